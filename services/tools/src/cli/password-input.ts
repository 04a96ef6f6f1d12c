/**
 * Reads a password the operator types (a terminal: asked twice, not echoed) or pipes in (the
 * first line of stdin). Never an argument: argv shows in `ps` and in shell history. The
 * password is handed to the caller and never written anywhere.
 */
import { createInterface } from 'node:readline';
import { UsageError } from './usage-error';

export interface PasswordSource {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

export async function readNewPassword(io: PasswordSource): Promise<string> {
  if (!io.stdin.isTTY) return firstLine(io.stdin);
  const password = await ask(io, 'New password: ');
  const again = await ask(io, 'Again: ');
  if (password !== again) throw new UsageError('the passwords do not match');
  return password;
}

async function firstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input: stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new UsageError('no password on stdin (pipe it in, or run on a terminal to be asked)');
}

function ask(io: PasswordSource, prompt: string): Promise<string> {
  io.stderr.write(prompt);
  const muted = { write: () => true } as unknown as NodeJS.WritableStream;
  const rl = createInterface({ input: io.stdin, output: muted, terminal: true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      io.stderr.write('\n');
      resolve(answer);
    });
  });
}

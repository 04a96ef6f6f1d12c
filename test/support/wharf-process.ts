/**
 * Starts the compiled embedded profile as a child process on a free port, for black-box tests.
 * The server reports its URL in its "wharf listening" log line.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface WharfProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends the signal and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `service` is the compiled entry point: the embedded profile (default), or one service of the
 * distributed profile (e.g. a second `gateway` in front of a running stack).
 */
export async function startWharf(
  env: Record<string, string>,
  timeoutMs = 60_000,
  service: 'embedded' | 'gateway' | 'metadata' | 'search' | 'blob' = 'embedded',
): Promise<WharfProcess> {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'scripts', 'dist-paths.js'), join(ROOT, 'dist', 'services', service, 'src', 'main.js')],
    {
      cwd: ROOT,
      // Open mode unless the test asks otherwise: most suites exercise the protocol, not accounts.
      env: { ...process.env, WHARF_PORT: '0', WHARF_HOST: '127.0.0.1', WHARF_AUTH_MODE: 'open', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`wharf did not start within ${timeoutMs} ms:\n${output.slice(-4000)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"wharf listening".*?"url":"([^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`wharf exited with ${code} before listening:\n${output.slice(-4000)}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

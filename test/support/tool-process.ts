/** Runs the compiled admin CLI (`wharf`, services/tools/src/cli) as a process, for black-box tests. */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './wharf-process';

export interface ToolRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `wharf <command> ...args` (the compiled CLI, as bin/wharf.js does, without its build
 * check: the test tiers build first) with `env` over this process's; `stdin` is piped in when
 * given. `killWhen` sees each stderr line and may ask for a SIGKILL.
 */
export function runTool(
  command: string,
  args: string[],
  env: Record<string, string>,
  killWhen?: (line: string) => boolean,
  stdin?: string,
): Promise<ToolRun> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-r',
      join(ROOT, 'scripts', 'dist-paths.js'),
      join(ROOT, 'dist', 'services', 'tools', 'src', 'cli', 'wharf.js'),
      command,
      ...args,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    },
  );
  if (stdin !== undefined) child.stdin!.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (killWhen && stderr.split('\n').some(killWhen)) child.kill('SIGKILL');
  });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** The JSON report a tool prints last on stdout. */
export const report = (run: ToolRun) => JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number>;

/**
 * An embedded Wharf started from a checkout's `dist/` (the current tree, or an older commit
 * built in a worktree), on a free port with a fresh data directory: what the standalone attack
 * benchmarks (memory-attack, upload-stall, password-guessing) compare side by side.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './targets';

export interface BuildServer {
  url: string;
  child: ChildProcess;
  /** SIGTERM, wait for the exit, remove the data directory. */
  stop(): Promise<void>;
}

/** Starts `root`'s embedded profile with `env` over the defaults, and waits until it answers. */
export async function startBuild(
  root: string,
  env: Record<string, string>,
  stdio: 'inherit' | 'ignore' = 'ignore',
): Promise<BuildServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-build-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['-r', join(root, 'scripts', 'dist-paths.js'), join(root, 'dist', 'services', 'embedded', 'src', 'main.js')],
    {
      cwd: root,
      env: {
        ...process.env,
        WHARF_DATA_DIR: dataDir,
        WHARF_PORT: String(port),
        WHARF_HOST: '127.0.0.1',
        WHARF_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', stdio, 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (
      await fetch(`${url}/version`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 600 || child.exitCode !== null) throw new Error(`wharf at ${root} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Who writes an embedded data directory: the embedded server and `npm run import` each hold
 * `<data>/wharf.lock` while they run, so neither writes under the other (the server's package
 * writer is the single writer of every package in the directory; an import alongside it would be
 * a second one). The file names its holder's process id: a holder that died without removing it
 * (SIGKILL, power loss) is detected by that id no longer running, and the lock is taken over.
 * Readers (`npm run replay`, `npm run export`) take no lock: SQLite lets them read while the
 * server writes.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const DATA_DIR_LOCK_FILE = 'wharf.lock';

export interface DataDirLockHolder {
  pid: number;
  /** What holds it: `server`, `import`. */
  role: string;
  since: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: DataDirLockHolder,
  ) {
    super(
      `the data directory ${dataDir} is in use by ${holder.role === 'server' ? 'a running Wharf server' : `a running ${holder.role}`} (process ${holder.pid}, since ${holder.since}); stop it first`,
    );
  }
}

export interface DataDirLock {
  release(): void;
}

/** Takes the directory's lock for `role`, or throws DataDirLockedError naming the live holder. */
export function lockDataDir(dataDir: string, role: string): DataDirLock {
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  const mine: DataDirLockHolder = { pid: process.pid, role, since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, JSON.stringify(mine) + '\n');
      } finally {
        closeSync(fd);
      }
      return {
        release: () => {
          if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
    }
    const holder = readHolder(path);
    // A lock naming this very process was left by an earlier one that had the same id (a
    // container's process 1 after a restart): this process takes the lock once, at its start.
    if (holder && holder.pid !== process.pid && isRunning(holder.pid)) throw new DataDirLockedError(dataDir, holder);
    // Left by a process that is gone (or half written by one that died at once): take it over.
    rmSync(path, { force: true });
  }
}

function readHolder(path: string): DataDirLockHolder | null {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as DataDirLockHolder;
    return Number.isInteger(holder.pid) ? holder : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

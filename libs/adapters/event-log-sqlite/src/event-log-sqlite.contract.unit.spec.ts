import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEventLogContract } from '@wharf/testing';
import { SqliteEventLog, SqliteEventLogOptions } from './event-log-sqlite.adapter';

describeEventLogContract('event-log-sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-event-log-'));
  const options: SqliteEventLogOptions = {
    path: join(dir, 'events.db'),
    synchronous: 'normal',
    pollIntervalMs: 10,
    retryDelayMs: 10,
  };
  const log = new SqliteEventLog(options);
  return {
    subject: log,
    reopen: async () => new SqliteEventLog(options),
    appendRaw: async (pkg, sequence, raw) => {
      const db = new Database(options.path);
      db.prepare('INSERT INTO events (package, sequence, id, envelope) VALUES (?, ?, ?, ?)').run(
        pkg,
        sequence,
        randomUUID(),
        raw,
      );
      db.close();
    },
    setAside: async (group) => (await log.deadLetters(group)).map(({ position, reason }) => ({ position, reason })),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

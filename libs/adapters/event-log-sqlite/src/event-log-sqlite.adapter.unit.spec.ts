/**
 * What the EventLog contract cannot see from outside, checked on this adapter only: the group
 * commit, the durability level around a checkpoint, and the events shared among groups.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '@wharf/contracts';
import type { ReleasePublished } from '@wharf/domain';
import { ConcurrencyConflictError } from '@wharf/domain';
import { eventually, publishedEnvelopes } from '@wharf/testing';
import { SqliteEventLog, SqliteEventLogOptions } from './event-log-sqlite.adapter';

const opened: { log: SqliteEventLog; dir: string }[] = [];

function openLog(options: Partial<SqliteEventLogOptions> = {}): { log: SqliteEventLog; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-event-log-'));
  const path = join(dir, 'events.db');
  const log = new SqliteEventLog({ path, pollIntervalMs: 10, retryDelayMs: 10, ...options });
  opened.push({ log, dir });
  return { log, path };
}

afterEach(async () => {
  for (const { log, dir } of opened.splice(0)) {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Commits in the WAL since it was last reset, read from the file as SQLite wrote it: frames that
 * carry the header's salts and a "database size after commit" (https://sqlite.org/fileformat.html#the_write_ahead_log).
 */
function walCommits(path: string): number {
  const wal = readFileSync(`${path}-wal`);
  const pageSize = wal.readUInt32BE(8);
  const salts = wal.subarray(16, 24);
  let commits = 0;
  for (let frame = 32; frame + 24 + pageSize <= wal.length; frame += 24 + pageSize) {
    if (!wal.subarray(frame + 8, frame + 16).equals(salts)) break;
    if (wal.readUInt32BE(frame + 4) !== 0) commits++;
  }
  return commits;
}

/** The adapter's own connection: `PRAGMA synchronous` is a setting of the connection. */
const synchronousOf = (log: SqliteEventLog) => (log['db'] as Database.Database).pragma('synchronous', { simple: true });

describe(SqliteEventLog.name, () => {
  describe('append', () => {
    it('should commit the appends of one turn of the event loop in one transaction, a refused one included', async () => {
      const { log, path } = openLog();
      const [a, b, c, conflicted] = ['ns/a', 'ns/b', 'ns/c', 'ns/conflicted'];
      const before = walCommits(path);
      await log.append(conflicted, 0, publishedEnvelopes(conflicted, 0, 1));
      await log.append(a, 0, publishedEnvelopes(a, 0, 1));
      const grouped = walCommits(path);

      const results = await Promise.allSettled([
        log.append(a, 1, publishedEnvelopes(a, 1, 2)),
        log.append(b, 0, publishedEnvelopes(b, 0, 1)),
        log.append(conflicted, 0, publishedEnvelopes(conflicted, 0, 1)),
        log.append(c, 0, publishedEnvelopes(c, 0, 3)),
      ]);

      // Appends awaited one by one commit one by one: the count is of commits, not of appends.
      expect(grouped - before).toBe(2);
      expect(walCommits(path) - grouped).toBe(1);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyConflictError);
      expect(await log.count()).toBe(2 + 2 + 1 + 3);
    });
  });

  describe('checkpoints', () => {
    it.each([
      { synchronous: undefined, level: 2 },
      { synchronous: 'full' as const, level: 2 },
      { synchronous: 'normal' as const, level: 1 },
    ])(
      'should leave the connection at its configured durability ($synchronous) after a checkpoint, saved or failed',
      async ({ synchronous, level }) => {
        const { log, path } = openLog({ synchronous });
        expect(synchronousOf(log)).toBe(level);

        log.saveCheckpoint('saved', 1, []);
        expect(synchronousOf(log)).toBe(level);

        const other = new Database(path);
        other.exec(
          `CREATE TRIGGER refuse_checkpoints BEFORE INSERT ON checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoint refused'); END`,
        );
        other.close();
        expect(() => log.saveCheckpoint('refused', 1, [])).toThrow('checkpoint refused');
        expect(synchronousOf(log)).toBe(level);
        expect(log.checkpoint('refused')).toBe(0);
      },
    );
  });

  describe('subscribe', () => {
    it('should hand out frozen events, so a handler that mutates one throws and the other groups get it unchanged', async () => {
      const { log } = openLog();
      const pkg = 'ns/app';
      const stored = await log.append(pkg, 0, publishedEnvelopes(pkg, 0, 1));
      const mutations: ((event: StoredEvent<ReleasePublished>) => void)[] = [
        (event) => {
          event.sequence = 99;
        },
        (event) => {
          event.data.release = '9.9.9';
        },
        (event) => {
          event.data.chart!.keywords!.push('changed');
        },
        (event) => {
          (event.data.metadata as Record<string, unknown>).release = '9.9.9';
        },
      ];
      let outcomes: string[] = [];
      await log.subscribe({ group: 'mutating' }, async ([event]) => {
        outcomes = mutations.map((mutate) => {
          try {
            mutate(event as StoredEvent<ReleasePublished>);
            return 'mutated';
          } catch (error) {
            return error instanceof TypeError ? 'refused' : String(error);
          }
        });
      });
      await eventually(() => expect(outcomes).toHaveLength(mutations.length));

      const received: StoredEvent[] = [];
      await log.subscribe({ group: 'reading' }, async (batch) => void received.push(...batch));

      await eventually(() => expect(received).toHaveLength(1));
      expect(received).toEqual(stored);
      expect(outcomes).toEqual(mutations.map(() => 'refused'));
    });
  });
});

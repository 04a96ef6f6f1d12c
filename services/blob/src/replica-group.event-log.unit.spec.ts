import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventLog, SubscribeOptions } from '@wharf/ports';
import { ReplicaGroupEventLog, replicaGroupOf } from './replica-group.event-log';

describe('replicaGroupOf', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wharf-replica-group-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should give each new data directory a group of its own, the same one on every start', () => {
    const other = mkdtempSync(join(tmpdir(), 'wharf-replica-group-'));
    try {
      const first = replicaGroupOf(dir, 'blob-references', 'blob-refs.db');

      expect(first).toMatch(/^blob-references\.[0-9a-f-]{36}$/);
      expect(replicaGroupOf(dir, 'blob-references', 'blob-refs.db')).toBe(first);
      expect(replicaGroupOf(other, 'blob-references', 'blob-refs.db')).not.toBe(first);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('should keep the shared group for counts written before replicas, whose checkpoint it holds', () => {
    writeFileSync(join(dir, 'blob-refs.db'), '');

    expect(replicaGroupOf(dir, 'blob-references', 'blob-refs.db')).toBe('blob-references');
    expect(replicaGroupOf(dir, 'blob-references', 'blob-refs.db')).toBe('blob-references');
  });
});

describe('ReplicaGroupEventLog', () => {
  it("should rename only the replica's group, in subscriptions and dead letters", async () => {
    const groups: string[] = [];
    const log = {
      subscribe: async (options: SubscribeOptions) => void groups.push(options.group),
      deadLetters: async (group: string) => (groups.push(group), []),
    } as unknown as EventLog;
    const renamed = new ReplicaGroupEventLog(log, 'blob-references', 'blob-references.r1');

    await renamed.subscribe({ group: 'blob-references' }, async () => undefined);
    await renamed.deadLetters('blob-references');
    await renamed.subscribe({ group: 'search' }, async () => undefined);

    expect(groups).toEqual(['blob-references.r1', 'blob-references.r1', 'search']);
  });
});

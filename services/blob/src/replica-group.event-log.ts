/**
 * The blob reference counts are a projection in a SQLite file of each blob replica's own
 * (WHARF_DATA_DIR), and the collector deletes what those counts say nobody references. Replicas
 * sharing consumer group "blob-references" would each count only the partitions the group gave
 * them, and each collector would delete blobs the other partitions' releases reference. So each
 * replica follows the whole log in a group of its own, named in a file next to its counts: a
 * lost data directory is a new group, which counts again from the start of the log.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventEnvelope, StoredEvent } from '@wharf/contracts';
import type { DeadLetter, EventLog, SubscribeOptions, Subscription } from '@wharf/ports';

/**
 * This replica's group in place of `group`: the name kept in `<dataDir>/<group>.group`, made on
 * first start (`<group>.<uuid>`). A data directory that already holds `countsFile` from before
 * replicas keeps `group` itself, whose checkpoint matches those counts.
 */
export function replicaGroupOf(dataDir: string, group: string, countsFile: string): string {
  const file = join(dataDir, `${group}.group`);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const name = existsSync(join(dataDir, countsFile)) ? group : `${group}.${randomUUID()}`;
  writeFileSync(file, `${name}\n`);
  return name;
}

/** The event log, with consumer group `group` renamed `replicaGroup` (subscriptions and dead letters). */
export class ReplicaGroupEventLog implements EventLog {
  constructor(
    private readonly log: EventLog,
    private readonly group: string,
    private readonly replicaGroup: string,
  ) {}

  append(pkg: string, expectedSequence: number, events: EventEnvelope[]): Promise<StoredEvent[]> {
    return this.log.append(pkg, expectedSequence, events);
  }

  subscribe(options: SubscribeOptions, handler: (events: StoredEvent[]) => Promise<void>): Promise<Subscription> {
    return this.log.subscribe({ ...options, group: this.renamed(options.group) }, handler);
  }

  count(): Promise<number> {
    return this.log.count();
  }

  deadLetters(group: string): Promise<DeadLetter[]> {
    return this.log.deadLetters(this.renamed(group));
  }

  close(): Promise<void> {
    return this.log.close();
  }

  private renamed(group: string): string {
    return group === this.group ? this.replicaGroup : group;
  }
}

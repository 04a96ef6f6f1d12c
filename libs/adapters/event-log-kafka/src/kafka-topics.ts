/**
 * The event log's Kafka topics, declared in code and created idempotently at start-up
 * (`ensureEventLogTopics`), so no environment depends on broker-side auto-creation or on
 * hand-made topics with the wrong settings.
 */
import type { Admin, ITopicConfig } from 'kafkajs';

export interface EventLogTopicOptions {
  /** Prepended to every topic and consumer group name. */
  topicPrefix: string;
  /** Partitions of the events topic. A package's stream lives in one of them (key = package). */
  partitions: number;
  replicationFactor: number;
}

export interface EventLogTopics {
  /** `<prefix>events`: the source of truth; keeps everything. */
  events: ITopicConfig;
  /** `<prefix>events.dlq`: events a consumer group set aside, with the reason in headers. */
  deadLetters: ITopicConfig;
}

/** Header names of a set-aside event on the dead-letter topic. */
export const DEAD_LETTER_HEADERS = {
  reason: 'reason',
  group: 'group',
  sourcePartition: 'source-partition',
  sourceOffset: 'source-offset',
} as const;

export function eventLogTopics(options: EventLogTopicOptions): EventLogTopics {
  const keepEverything = [
    { name: 'cleanup.policy', value: 'delete' },
    // The log is the source of truth: never delete by age or size.
    { name: 'retention.ms', value: '-1' },
    { name: 'retention.bytes', value: '-1' },
    // acks=all is only as strong as the in-sync replica set; with replicas, require two of them.
    { name: 'min.insync.replicas', value: String(Math.min(2, options.replicationFactor)) },
    { name: 'unclean.leader.election.enable', value: 'false' },
  ];
  return {
    events: {
      topic: `${options.topicPrefix}events`,
      numPartitions: options.partitions,
      replicationFactor: options.replicationFactor,
      configEntries: keepEverything,
    },
    // One partition: low volume, read in order when inspected.
    deadLetters: {
      topic: `${options.topicPrefix}events.dlq`,
      numPartitions: 1,
      replicationFactor: options.replicationFactor,
      configEntries: keepEverything,
    },
  };
}

/**
 * Creates the topics that do not exist yet (existing ones are left as they are) and waits for
 * their partition leaders. Returns the events topic's actual partition count, which is what
 * producers must partition by (it may differ from `partitions` if the topic existed before).
 */
export async function ensureEventLogTopics(admin: Admin, topics: EventLogTopics, timeoutMs = 30_000): Promise<number> {
  return ensureTopics(admin, [topics.events, topics.deadLetters], timeoutMs);
}

/**
 * Creates those of `topics` that do not exist yet (existing ones are left as they are) and waits
 * until every partition of all of them has a leader that answers; returns the first topic's
 * partition count. Every side that uses a topic calls it before producing or subscribing, also
 * when the topic exists: one created a moment ago by another process may not be known to the
 * broker yet (a subscribe then fails with UNKNOWN_TOPIC_OR_PARTITION).
 */
export async function ensureTopics(admin: Admin, topics: ITopicConfig[], timeoutMs = 30_000): Promise<number> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) {
    // waitForLeaders is done below: kafkajs's own wait (waitForLeaders: true) only retries
    // LEADER_NOT_AVAILABLE, but a KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION until the new
    // topic's metadata reached it, and kafkajs then fails the whole createTopics call.
    // Resolves false when another process created them meanwhile, which is fine.
    await admin.createTopics({ topics: missing, waitForLeaders: false });
  }
  return waitForLeaders(
    admin,
    topics.map((t) => t.topic),
    timeoutMs,
  );
}

/**
 * Waits until every partition of `topics` has a leader that answers ListOffsets; returns the
 * first topic's partition count. (Right after creation a KRaft broker may list itself as leader
 * in metadata and still answer NOT_LEADER_OR_FOLLOWER for a moment.)
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const ready =
        metadata.topics.length === topics.length &&
        metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) {
        for (const topic of topics) await admin.fetchTopicOffsets(topic);
        return metadata.topics.find((t) => t.name === topics[0])!.partitions.length;
      }
    } catch (error) {
      if (!isRetriable(error)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the leaders of ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** kafkajs marks transient broker errors (leader moved, topic not yet known, ...) retriable. */
export function isRetriable(error: unknown): boolean {
  const e = error as { retriable?: boolean; type?: string };
  return e?.retriable === true || e?.type === 'UNKNOWN_TOPIC_OR_PARTITION' || e?.type === 'LEADER_NOT_AVAILABLE';
}

/** Runs an admin call again on retriable errors (kafkajs's admin gives up on NOT_LEADER_OR_FOLLOWER). */
export async function retrying<T>(call: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1, delay = 50; ; attempt++, delay = Math.min(delay * 2, 1000)) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isRetriable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * `<prefix><name>`: the topic of a lease held through consumer group membership (kafka-lease.ts).
 * One partition, which carries no records: the member of group `<prefix><name>` assigned
 * partition 0 holds the lease.
 */
export function leaseTopic(topicPrefix: string, name: string, replicationFactor: number): ITopicConfig {
  return { topic: `${topicPrefix}${name}`, numPartitions: 1, replicationFactor };
}

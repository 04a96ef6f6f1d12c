/** The command bus's topics (names, partitions, retention), created idempotently by either side. */
import { Admin, Kafka } from 'kafkajs';
import { IdempotentSender } from '@wharf/adapters/event-log-kafka';
import type { KafkaCommandBusOptions } from './kafka-command-bus';

/** `<prefix>commands` (keyed by package) and `<prefix>replies` (keyed by gateway instance). */
export function commandTopics(prefix: string) {
  return { commands: `${prefix}commands`, replies: `${prefix}replies` };
}

export async function ensureCommandTopics(admin: Admin, options: KafkaCommandBusOptions): Promise<void> {
  const t = commandTopics(options.topicPrefix ?? 'wharf.');
  const existing = new Set(await admin.listTopics());
  const wanted = [
    {
      topic: t.commands,
      numPartitions: options.partitions ?? 12,
      configEntries: [{ name: 'retention.ms', value: String(24 * 3600_000) }],
    },
    { topic: t.replies, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(3600_000) }] },
  ].filter((w) => !existing.has(w.topic));
  if (wanted.length === 0) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: wanted.map((w) => ({ ...w, replicationFactor: options.replicationFactor ?? 1 })),
    });
  } catch (error) {
    // Another process created them first.
    if (!String((error as Error).message).includes('exists')) throw error;
  }
}

/**
 * Creates the topics if needed, then connects an idempotent producer (an IdempotentSender: a
 * failed send retires it, so a later command or reply is never acknowledged as its duplicate).
 */
export async function connectWithTopics(kafka: Kafka, options: KafkaCommandBusOptions): Promise<IdempotentSender> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureCommandTopics(admin, options);
  } finally {
    await admin.disconnect();
  }
  const sender = new IdempotentSender(() =>
    kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
  );
  await sender.connect();
  return sender;
}

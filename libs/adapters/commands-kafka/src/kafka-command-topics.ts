/** The command bus's topics (names, partitions, retention), created idempotently by either side. */
import { Admin, Kafka } from 'kafkajs';
import { splitPackageName } from '@wharf/domain';
import { IdempotentSender, ensureTopics } from '@wharf/adapters/event-log-kafka';
import type { KafkaCommandBusOptions } from './kafka-command-bus';

/** `<prefix>commands` (keyed by namespace, commandKeyOf) and `<prefix>replies` (keyed by gateway instance). */
export function commandTopics(prefix: string) {
  return { commands: `${prefix}commands`, replies: `${prefix}replies` };
}

/**
 * The key of a command into `pkg` ("namespace/name"): its namespace. All of a namespace's commands
 * reach the one writer that owns the namespace's partition, which keeps each package's single
 * writer (a package never changes namespace) and also makes that writer the only one deciding
 * the namespace's storage quota, so its reservations (NamespaceReservations, in process) are
 * exact across replicas. The price: one namespace's writes go through one writer process.
 * Changing the key moves packages between partitions, so gateways keying differently must not
 * run side by side (stop every gateway of the old key before one of the new key starts).
 */
export function commandKeyOf(pkg: string): string {
  return splitPackageName(pkg).namespace;
}

export async function ensureCommandTopics(admin: Admin, options: KafkaCommandBusOptions): Promise<void> {
  const t = commandTopics(options.topicPrefix ?? 'wharf.');
  const replicationFactor = options.replicationFactor ?? 1;
  await ensureTopics(admin, [
    {
      topic: t.commands,
      numPartitions: options.partitions ?? 12,
      replicationFactor,
      configEntries: [{ name: 'retention.ms', value: String(24 * 3600_000) }],
    },
    {
      topic: t.replies,
      numPartitions: 1,
      replicationFactor,
      configEntries: [{ name: 'retention.ms', value: String(3600_000) }],
    },
  ]);
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

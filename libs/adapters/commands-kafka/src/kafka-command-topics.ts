/** The command bus's topics (names, partitions, retention), created idempotently by either side. */
import { Admin, Kafka, Partitioners } from 'kafkajs';
import { splitPackageName } from '@wharf/domain';
import { IdempotentSender, ensureTopics } from '@wharf/adapters/event-log-kafka';
import type { KafkaCommandBusOptions } from './kafka-command-bus';

/** `<prefix>commands` (keyed by namespace, commandKeyOf) and `<prefix>replies` (keyed by gateway instance, replyPartitionOf). */
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

/**
 * The partition of the replies topic that carries gateway `instance`'s replies. The gateway
 * decides it and sends it with each command (header `reply-partition`); the writer replies to
 * that partition (replyPartitionIn), so a gateway reads only its own partition, not every
 * gateway's replies. It is the partition kafkajs's DefaultPartitioner (Java's murmur2) gives the
 * key `instance`, which is also where a writer puts a reply to a command without the header
 * (a gateway from before it), keyed by the instance.
 */
export function replyPartitionOf(instance: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    offlineReplicas: [],
    partitionErrorCode: 0,
  }));
  return replyPartitioner({ topic: 'replies', partitionMetadata, message: { key: instance, value: null } });
}

/**
 * The partition a command's `reply-partition` header names, when it is one of the replies topic's
 * `partitions`; undefined otherwise (no header: the reply is partitioned by its key).
 */
export function replyPartitionIn(header: string | undefined, partitions: number): number | undefined {
  if (header === undefined || !/^\d{1,6}$/.test(header)) return undefined;
  const partition = Number(header);
  return partition < partitions ? partition : undefined;
}
const replyPartitioner = Partitioners.DefaultPartitioner();

/**
 * Creates the bus's topics when missing and waits for their leaders; returns the replies topic's
 * partition count (topics created before replies had one partition per writer keep theirs: every
 * gateway then reads partition 0). The replies topic gets as many partitions as the commands
 * topic, so gateways rarely share one.
 */
export async function ensureCommandTopics(admin: Admin, options: KafkaCommandBusOptions): Promise<number> {
  const t = commandTopics(options.topicPrefix ?? 'wharf.');
  const replicationFactor = options.replicationFactor ?? 1;
  // Replies first: ensureTopics answers the first topic's partition count.
  return ensureTopics(admin, [
    {
      topic: t.replies,
      numPartitions: options.partitions ?? 12,
      replicationFactor,
      configEntries: [{ name: 'retention.ms', value: String(3600_000) }],
    },
    {
      topic: t.commands,
      numPartitions: options.partitions ?? 12,
      replicationFactor,
      configEntries: [{ name: 'retention.ms', value: String(24 * 3600_000) }],
    },
  ]);
}

/**
 * Creates the topics if needed, then connects an idempotent producer (an IdempotentSender: a
 * failed send retires it, so a later command or reply is never acknowledged as its duplicate),
 * which partitions by key when a message names no partition. Also returns the replies topic's
 * partition count.
 */
export async function connectWithTopics(
  kafka: Kafka,
  options: KafkaCommandBusOptions,
): Promise<{ sender: IdempotentSender; repliesPartitions: number }> {
  const admin = kafka.admin();
  await admin.connect();
  let repliesPartitions: number;
  try {
    repliesPartitions = await ensureCommandTopics(admin, options);
  } finally {
    await admin.disconnect();
  }
  const sender = new IdempotentSender(() =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    }),
  );
  await sender.connect();
  return { sender, repliesPartitions };
}

/**
 * Request-reply for package commands over Kafka, between the gateway and the metadata service.
 *
 *   <prefix>commands  keyed by namespace, so one package's commands reach one writer, in order,
 *                     and one namespace's quota is decided by one writer (commandKeyOf);
 *                     headers `command-id`, `reply-to` (the asking gateway instance), `deadline`.
 *   <prefix>replies   keyed by gateway instance; each gateway reads every reply with a consumer
 *                     group of its own and keeps those addressed to it.
 *
 * The metadata instance that owns a namespace's commands partition (consumer group
 * `metadata-writers`) is the single writer of its packages; when the group moves partitions
 * (a writer joined, left or died), the new owner reads them from the last committed offset. A
 * command redelivered after a crash is answered from the package's recent command ids without
 * appending again.
 *
 * The gateway's end is KafkaCommandClient, the metadata service's KafkaCommandServer, the topics
 * are declared in kafka-command-topics.ts; this file holds what both ends share.
 */
import { Consumer, Kafka, PartitionAssigner, logLevel } from 'kafkajs';
import { RestartingConsumer } from '@wharf/adapters/event-log-kafka';
import type { WireErrorBody } from '@wharf/contracts';
import type { CommandResult } from '@wharf/ports';

export interface KafkaCommandBusOptions {
  brokers: string[];
  clientId: string;
  topicPrefix?: string;
  /** Partitions of the commands topic (match the events topic). Default 12. */
  partitions?: number;
  replicationFactor?: number;
  /**
   * How long a gateway waits for the reply, the send to Kafka included, before answering 503
   * (a Kafka that is down makes the producer retry for longer than that). Default 30 s.
   */
  replyTimeoutMs?: number;
}

/** What the replies topic carries: the command's result, or its typed error. */
export type Reply = { ok: true; result: CommandResult } | { ok: false; error: WireErrorBody };

/**
 * Session timeout of the writers' and the gateways' consumers: how long the partitions of a
 * member that died stay unowned (the broker's minimum is 6 s).
 */
export const WRITER_SESSION_TIMEOUT_MS = 10_000;
/**
 * How long the broker holds an empty fetch. It answers a held fetch as soon as a record arrives
 * (minBytes 1), so this bounds idle polling, not delivery: at 20 ms one idle consumer cost
 * ~140 ms of CPU a second (plus the broker's), at 500 ms ~40, with the same produce-to-consume
 * latency (p50 6-8 ms; docs/benchmarks.md, "Distributed profile: where the CPU goes").
 */
export const FETCH_MAX_WAIT_MS = 500;

/**
 * The bus's client. Its retries are the event log's (8: about a minute of backoff before a
 * connection is given up), so a service started beside a broker still starting (a compose stack
 * on a loaded machine) waits for it rather than failing its start after kafkajs's default 5.
 */
export function kafkaOf(options: KafkaCommandBusOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.ERROR,
    retry: { retries: 8 },
  });
}

/**
 * Starts a consumer of the bus in `groupId` with the short session both ends need (a member that
 * died holds its partitions until its session expires, and replies time out meanwhile), restarted
 * when a crash leaves it stopped (kafkajs restarts only retriable ones; the new one joins the same
 * group, so it goes on from the commits). Resolves once the first consumer has joined its group:
 * an end that reports started is reading. `created` sees each consumer before it runs;
 * `partitionAssigners`, when given, replace kafkajs's (a gateway reads one partition of the replies).
 */
export async function startBusConsumer(
  kafka: Kafka,
  groupId: string,
  role: string,
  run: (consumer: Consumer) => Promise<void>,
  created: (consumer: Consumer) => void = () => undefined,
  partitionAssigners?: PartitionAssigner[],
): Promise<RestartingConsumer> {
  const logger = kafka.logger();
  // Any consumer's join counts: on a broker that has just started, the first one may crash
  // (its group coordinator still loading) and a restarted one joins instead.
  let joinedOnce: () => void = () => undefined;
  const joined = new Promise<void>((resolve) => (joinedOnce = resolve));
  const restarting = new RestartingConsumer(
    () => {
      const consumer = kafka.consumer({
        groupId,
        maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
        allowAutoTopicCreation: false,
        sessionTimeout: WRITER_SESSION_TIMEOUT_MS,
        heartbeatInterval: 1_000,
        ...(partitionAssigners ? { partitionAssigners } : {}),
      });
      consumer.on(consumer.events.GROUP_JOIN, () => joinedOnce());
      created(consumer);
      return consumer;
    },
    run,
    {
      retryDelayMs: 1_000,
      onRestart: (error) =>
        logger.error(`restarting the ${role} consumer that kafkajs left stopped after a crash`, {
          error: error.message,
        }),
    },
  );
  try {
    await restarting.start();
  } catch (error) {
    // Nothing of a consumer that failed to start stays open behind the caller's error.
    await restarting.stop().catch(() => undefined);
    throw error;
  }
  await joined;
  return restarting;
}

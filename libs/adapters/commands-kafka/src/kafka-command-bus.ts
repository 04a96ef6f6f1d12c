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
import { Kafka, logLevel } from 'kafkajs';
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

export function kafkaOf(options: KafkaCommandBusOptions): Kafka {
  return new Kafka({ clientId: options.clientId, brokers: options.brokers, logLevel: logLevel.ERROR });
}

/**
 * The distributed profile's event log on Apache Kafka (kafkajs).
 *
 * Layout (declared in kafka-topics.ts, created idempotently by `init()`): `<prefix>events`, keyed
 * by package ("namespace/name"), so a package's stream lives in one partition, in order; the value
 * is the JSON envelope, headers `type`, `version`, `id`. Retention is infinite: the log is the
 * source of truth. `<prefix>events.dlq` receives what a consumer group set aside, with the reason
 * in headers. `position` is "<partition>:<offset>".
 *
 * Appends. Kafka has no conditional append, so the optimistic concurrency check lives here: a
 * per-package mutex and a cache of each package's last sequence, shared by every handle on the
 * same brokers and topic in this process. The cache is filled by our own appends and, the first
 * time a partition is needed, by reading that partition from its start up to the high watermark
 * (which warms every package of the partition). A partition is read again after a failed send,
 * whose outcome is unknown.
 *
 * Cross-process guarantee, honestly: the check is exact within one process. Across processes the
 * design relies on a single writer per package (the metadata service's partition owner); a
 * process that is not that writer may hold a stale cache. If two processes ever append the same
 * (package, sequence), both land in the log and the first in log order wins, because every
 * projection skips sequences at or below what it has already applied.
 *
 * Durability: the producer is idempotent with acks=all (and the topics require two in-sync
 * replicas when they have more than one), so a resolved append survives the crash of any process.
 * An acknowledgement is trusted only through IdempotentSender: after a failed send kafkajs would
 * reuse the failed batch's sequence numbers, and the broker would acknowledge the next batch as
 * that one's retry without writing it (see there).
 * It is deliberately not transactional: transactions write control records that occupy offsets
 * (breaking count() as high - low) and add two round trips to every append.
 *
 * Delivery: one kafkajs consumer per subscription, group `<prefix><group>`, autoCommit off and
 * eachBatchAutoResolve off; the offset after a handler batch is committed explicitly only after
 * the handler resolved, so a crash or a rebalance redelivers, never skips.
 */
import { randomUUID } from 'node:crypto';
import { Admin, IHeaders, Kafka, KafkaMessage, logLevel, Partitioners } from 'kafkajs';
import { ConcurrencyConflictError } from '@wharf/domain';
import { EventEnvelope, StoredEvent } from '@wharf/contracts';
import { DeadLetter, EventLog, SubscribeOptions, Subscription } from '@wharf/ports';
import { injectTraceContext } from '@wharf/tracing';
import { IdempotentSender } from './idempotent-sender';
import { jsonLines } from './kafka-json-log';
import { KafkaSubscription } from './kafka-subscription';
import { DEAD_LETTER_HEADERS, EventLogTopics, ensureEventLogTopics, eventLogTopics, retrying } from './kafka-topics';
import { onlyPartition } from './only-partition.assigner';
import { PartitionSequences, SequenceRegistry } from './sequence-registry';

export interface KafkaEventLogOptions {
  brokers: string[];
  clientId?: string;
  /** Prepended to topic and consumer group names. Default 'wharf.'. */
  topicPrefix?: string;
  /** Partitions of the events topic when it is created. Default 12. */
  partitions?: number;
  /** Default 1 (local); 3 in production. */
  replicationFactor?: number;
  /** Pause before a failed batch is handed over again. Default 1000. */
  retryDelayMs?: number;
  /** kafkajs log level (its INFO is noisy). Default WARN; lines are JSON on stderr. */
  logLevel?: logLevel;
  /**
   * Longest time the broker holds a fetch when there is nothing new. Default 500: the broker
   * answers a held fetch as soon as a record arrives, so this bounds idle polling (CPU in every
   * subscriber and the broker), not delivery latency.
   */
  maxWaitTimeInMs?: number;
  /**
   * Consumer group session timeout. Default 10000: a member that died without leaving (kill -9)
   * holds its partitions this long, and a process joining the group meanwhile (its restart)
   * waits for it.
   */
  sessionTimeoutMs?: number;
  /** Consumer heartbeat interval; also how fast a member notices a rebalance. Default 1000. */
  heartbeatIntervalMs?: number;
  /**
   * Most bytes a fetch takes from one partition (kafkajs's maxBytesPerPartition; maxBytes, the
   * whole fetch, is four times this). A subscriber's handler batch is at most one partition's
   * fetch, so this bounds it too: about 1,400 events at the default of 1 MiB. A bulk reader
   * (the replay) raises it.
   */
  maxBytesPerPartition?: number;
}

export class KafkaEventLog implements EventLog {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: IdempotentSender;
  private readonly prefix: string;
  private readonly topics: EventLogTopics;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private readonly registry: SequenceRegistry;
  private readonly partitionFor = Partitioners.DefaultPartitioner();
  private partitionCount = 0;
  private ready?: Promise<void>;
  private closed = false;

  constructor(private readonly options: KafkaEventLogOptions) {
    this.prefix = options.topicPrefix ?? 'wharf.';
    this.topics = eventLogTopics({
      topicPrefix: this.prefix,
      partitions: options.partitions ?? 12,
      replicationFactor: options.replicationFactor ?? 1,
    });
    this.kafka = new Kafka({
      brokers: options.brokers,
      clientId: options.clientId ?? 'wharf-event-log',
      logLevel: options.logLevel ?? logLevel.WARN,
      logCreator: jsonLines(options.logLevel ?? logLevel.WARN),
      retry: { retries: 8 },
    });
    this.admin = this.kafka.admin();
    this.producer = new IdempotentSender(() =>
      this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    );
    this.registry = SequenceRegistry.acquire(`${[...options.brokers].sort().join(',')}|${this.topics.events.topic}`);
  }

  /** Creates the topics if needed and connects. Idempotent; the other methods call it too. */
  init(): Promise<void> {
    this.assertOpen();
    this.ready ??= this.connect().catch((error) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  get eventsTopic(): string {
    return this.topics.events.topic;
  }

  get deadLetterTopic(): string {
    return this.topics.deadLetters.topic;
  }

  /** The events topic's partition that holds `pkg`'s stream (Kafka's default murmur2 partitioner). */
  partitionOf(pkg: string): number {
    const partitionMetadata = Array.from({ length: this.partitionCount }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    return this.partitionFor({ topic: this.eventsTopic, partitionMetadata, message: { key: pkg, value: null } });
  }

  async append(pkg: string, expectedSequence: number, events: EventEnvelope[]): Promise<StoredEvent[]> {
    this.assertOpen();
    events.forEach((event, i) => {
      if (event.package !== pkg || event.sequence !== expectedSequence + i + 1) {
        throw new Error(`event ${event.id} does not continue ${pkg} at sequence ${expectedSequence + i + 1}`);
      }
    });
    await this.init();
    const topic = this.eventsTopic;
    const partition = this.partitionOf(pkg);
    return this.registry.exclusive(pkg, async () => {
      this.assertOpen();
      const actual = await this.registry.lastSequence(partition, pkg, () => this.readSequences(partition));
      if (actual !== expectedSequence) throw new ConcurrencyConflictError(pkg, expectedSequence, actual);
      if (events.length === 0) return [];
      // One send, one partition: kafkajs puts the messages in one record batch of one produce
      // request, which the broker appends whole or not at all. Caveat: a send that fails (timeout,
      // lost connection, retries exhausted) has an unknown outcome: the batch may be in the log
      // although append threw. The partition's cache is then dropped and read again, so a retry
      // by the writer sees the truth; duplicates of (package, sequence) cannot arise from that.
      // Everything the log held before this send lies below the offset the batch gets.
      let baseOffset: string | undefined;
      // The appending span's trace context, so consumers' spans join the trace (tracing on).
      const traceContext: Record<string, string> = {};
      injectTraceContext(traceContext);
      try {
        const [written] = await this.producer.send(
          {
            topic,
            acks: -1,
            messages: events.map((event) => ({
              key: pkg,
              partition,
              value: JSON.stringify(event),
              headers: { type: event.type, version: String(event.version), id: event.id, ...traceContext },
            })),
          },
          this.registry.offsetFloor(partition),
        );
        baseOffset = written?.baseOffset;
      } catch (error) {
        this.registry.forget(partition);
        throw error;
      }
      if (baseOffset === undefined) {
        this.registry.forget(partition);
        throw new Error(`no acknowledgement for ${topic}[${partition}]`);
      }
      const base = Number(baseOffset);
      this.registry.record(partition, pkg, expectedSequence + events.length, base + events.length);
      return events.map((event, i) => ({ ...event, position: `${partition}:${base + i}` }));
    });
  }

  async subscribe(options: SubscribeOptions, handler: (events: StoredEvent[]) => Promise<void>): Promise<Subscription> {
    this.assertOpen();
    await this.init();
    const subscription = new KafkaSubscription(this, this.kafka, this.admin, options, handler);
    this.subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      await subscription.stop().catch(() => undefined);
      throw error;
    }
    return subscription;
  }

  async count(): Promise<number> {
    this.assertOpen();
    await this.init();
    const offsets = await retrying(() => this.admin.fetchTopicOffsets(this.eventsTopic));
    return offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0);
  }

  /** Events `group` set aside: they failed validation or its handler could not apply them (read from the dead-letter topic). */
  async deadLetters(group: string): Promise<DeadLetter[]> {
    this.assertOpen();
    await this.init();
    const found: DeadLetter[] = [];
    await this.readPartition(this.deadLetterTopic, 0, (message) => {
      const header = (name: string) => message.headers?.[name]?.toString();
      if (header(DEAD_LETTER_HEADERS.group) !== group) return;
      found.push({
        position: `${header(DEAD_LETTER_HEADERS.sourcePartition)}:${header(DEAD_LETTER_HEADERS.sourceOffset)}`,
        reason: header(DEAD_LETTER_HEADERS.reason) ?? '',
        record: message.value?.toString('utf8') ?? '',
      });
    });
    return found;
  }

  /**
   * Makes every partition's last-sequence cache be read again before its next append. For a
   * writer that has just been given packages another process wrote meanwhile (the writers'
   * group moved partitions to it): its cache of those packages may be stale, and a stale cache
   * either refuses every append (cache behind the store) or lets an append reuse a sequence
   * (cache and store both behind the log).
   */
  forgetSequences(): void {
    for (let partition = 0; partition < this.partitionCount; partition++) this.registry.forget(partition);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    SequenceRegistry.release(this.registry);
    await this.ready?.catch(() => undefined);
    await Promise.allSettled([this.producer.close(), this.admin.disconnect()]);
  }

  /** @internal */
  groupId(group: string): string {
    return `${this.prefix}${group}`;
  }

  /** @internal */
  retryDelayMs(): number {
    return this.options.retryDelayMs ?? 1000;
  }

  /** @internal */
  consumerTuning() {
    return {
      maxWaitTimeInMs: this.options.maxWaitTimeInMs ?? 500,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 1_000,
      ...(this.options.maxBytesPerPartition
        ? { maxBytesPerPartition: this.options.maxBytesPerPartition, maxBytes: 4 * this.options.maxBytesPerPartition }
        : {}),
    };
  }

  /** @internal Writes set-aside messages to the dead-letter topic; resolves when durable. */
  async setAside(group: string, partition: number, dead: { message: KafkaMessage; reason: string }[]): Promise<void> {
    if (dead.length === 0) return;
    await this.producer.send({
      topic: this.deadLetterTopic,
      acks: -1,
      messages: dead.map(({ message, reason }) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...copyHeaders(message.headers),
          [DEAD_LETTER_HEADERS.reason]: reason,
          [DEAD_LETTER_HEADERS.group]: group,
          [DEAD_LETTER_HEADERS.sourcePartition]: String(partition),
          [DEAD_LETTER_HEADERS.sourceOffset]: message.offset,
        },
      })),
    });
  }

  /** @internal */
  forget(subscription: KafkaSubscription): void {
    this.subscriptions.delete(subscription);
  }

  private async connect(): Promise<void> {
    await this.admin.connect();
    this.partitionCount = await ensureEventLogTopics(this.admin, this.topics);
    await this.producer.connect();
  }

  /** Each package's last sequence in `partition`, read from the partition's start to its high watermark (`end`). */
  private async readSequences(partition: number): Promise<PartitionSequences> {
    const sequences = new Map<string, number>();
    const end = await this.readPartition(this.eventsTopic, partition, (message) => {
      const pkg = message.key?.toString();
      const sequence = sequenceOf(message.value);
      if (pkg && sequence !== undefined && sequence > (sequences.get(pkg) ?? 0)) sequences.set(pkg, sequence);
    });
    return { sequences, end };
  }

  /**
   * Reads one partition from its low to its high watermark (as of the call). kafkajs has no
   * `assign()`, so this is a throwaway consumer group (unique id, nothing committed, so the
   * broker drops it when it leaves) whose own partition assigner hands it just this partition.
   * Cost: one group join (~0.3 s locally; more where group.initial.rebalance.delay.ms > 0), paid
   * once per partition and process, and not at all for an empty partition. Returns the high
   * watermark it read up to.
   */
  private async readPartition(
    topic: string,
    partition: number,
    onMessage: (message: KafkaMessage) => void,
  ): Promise<number> {
    const offsets = await retrying(() => this.admin.fetchTopicOffsets(topic));
    const range = offsets.find((o) => o.partition === partition);
    if (!range) throw new Error(`${topic} has no partition ${partition}`);
    const high = Number(range.high);
    if (high <= Number(range.low)) return high;
    const consumer = this.kafka.consumer({
      groupId: `${this.prefix}reader.${randomUUID()}`,
      partitionAssigners: [onlyPartition(topic, partition)],
      maxWaitTimeInMs: 50,
      minBytes: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 8 },
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`reading ${topic}[${partition}] up to ${high} timed out`)),
          60_000,
        );
        const done = (error?: unknown) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        };
        let finished = false;
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              if (finished || batch.partition !== partition) return;
              for (const message of batch.messages) {
                if (Number(message.offset) >= high) break;
                onMessage(message);
              }
              if (Number(batch.lastOffset()) >= high - 1) {
                finished = true;
                done();
              }
            },
          })
          .catch(done);
      });
    } finally {
      await consumer.disconnect();
    }
    return high;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event log is closed');
  }
}

/** The `sequence` of a serialized envelope, without full validation (used to warm the cache). */
function sequenceOf(value: Buffer | null): number | undefined {
  if (!value) return undefined;
  try {
    const sequence = (JSON.parse(value.toString('utf8')) as { sequence?: unknown }).sequence;
    return typeof sequence === 'number' && Number.isInteger(sequence) && sequence > 0 ? sequence : undefined;
  } catch {
    return undefined;
  }
}

function copyHeaders(headers: IHeaders | undefined): IHeaders {
  const copy: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) copy[name] = value;
  return copy;
}

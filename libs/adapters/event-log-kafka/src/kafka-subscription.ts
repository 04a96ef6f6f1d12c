import { Admin, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { EventEnvelope, StoredEvent, validateOnConsume } from '@wharf/contracts';
import { DEFAULT_MAX_ATTEMPTS, SubscribeOptions, Subscription, deliverBounded } from '@wharf/ports';
import { inSpanFrom } from '@wharf/tracing';
import type { KafkaEventLog } from './event-log-kafka.adapter';
import { retrying } from './kafka-topics';
import { RestartingConsumer } from './restarting-consumer';

/** One consumer group's delivery of the events topic to a handler (KafkaEventLog's header, "Delivery"). */
export class KafkaSubscription implements Subscription {
  private readonly consumer: RestartingConsumer;
  private readonly groupId: string;
  private readonly batchSize: number;
  private stopping = false;
  private stopped?: Promise<void>;
  private wake: () => void = () => {};

  constructor(
    private readonly log: KafkaEventLog,
    kafka: Kafka,
    private readonly admin: Admin,
    private readonly options: SubscribeOptions,
    private readonly handler: (events: StoredEvent[]) => Promise<void>,
  ) {
    this.groupId = log.groupId(options.group);
    this.batchSize = Math.max(1, options.batchSize ?? 500);
    const logger = kafka.logger();
    this.consumer = new RestartingConsumer(
      () =>
        kafka.consumer({
          groupId: this.groupId,
          ...log.consumerTuning(),
          minBytes: 1,
          allowAutoTopicCreation: false,
          retry: { retries: 8 },
        }),
      async (consumer) => {
        await consumer.connect();
        await consumer.subscribe({ topics: [this.log.eventsTopic], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: (payload) => this.eachBatch(payload),
        });
      },
      {
        retryDelayMs: log.retryDelayMs(),
        onRestart: (error) =>
          logger.warn('restarting a consumer that kafkajs left stopped after a crash', {
            groupId: this.groupId,
            error: error.message,
          }),
      },
    );
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.wake();
      // kafkajs waits for the eachBatch in flight (which stops after its current handler batch).
      await this.consumer.stop();
      this.log.forget(this);
    })();
    return this.stopped;
  }

  async lag(): Promise<number> {
    const topic = this.log.eventsTopic;
    const [ends, committed] = await Promise.all([
      retrying(() => this.admin.fetchTopicOffsets(topic)),
      retrying(() => this.admin.fetchOffsets({ groupId: this.groupId, topics: [topic] })),
    ]);
    const done = new Map(
      (committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
    );
    return ends.reduce((sum, p) => {
      const from = done.get(p.partition) ?? -1;
      return sum + Math.max(0, Number(p.high) - (from >= 0 ? from : Number(p.low)));
    }, 0);
  }

  /**
   * Splits kafkajs's batch into handler batches of at most `batchSize` valid events. After each
   * one the handler took (deliverBounded: retried, and what it cannot apply set aside), and its
   * invalid or unappliable events are on the dead-letter topic, the offset after it is resolved
   * and committed. When delivery stops midway (stop, rebalance) or the dead-letter write fails,
   * nothing is resolved: we return, and kafkajs fetches again from the last resolved offset.
   */
  private async eachBatch({
    batch,
    resolveOffset,
    commitOffsetsIfNecessary,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    let valid: StoredEvent[] = [];
    let dead: { message: KafkaMessage; reason: string }[] = [];
    let lastOffset: string | undefined;
    const messageOf = new Map<string, KafkaMessage>();

    const flush = async (): Promise<boolean> => {
      const outcome =
        valid.length === 0
          ? { delivered: true as const, setAside: [] }
          : await deliverBounded(
              valid,
              (events) =>
                // One span per delivery, in the trace of its first event's append, linked to the others'.
                inSpanFrom(
                  events.map((e) => messageOf.get(e.id)?.headers),
                  `${this.options.group} handle events`,
                  'consumer',
                  { 'messaging.system': 'kafka', 'messaging.batch.message_count': events.length },
                  () => this.handler(events),
                ).then(() => heartbeat().catch(() => undefined)),
              {
                maxAttempts: this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
                pause: async () => {
                  await this.pause(this.log.retryDelayMs());
                  if (this.stopping || !isRunning() || isStale()) return false;
                  // A long retry must not cost the group its membership.
                  return heartbeat().then(
                    () => true,
                    () => false,
                  );
                },
              },
            );
      if (!outcome.delivered) return false;
      try {
        await this.log.setAside(this.options.group, partition, [
          ...dead,
          ...outcome.setAside.map(({ event, reason }) => ({ message: messageOf.get(event.id)!, reason })),
        ]);
      } catch {
        await this.pause(this.log.retryDelayMs());
        return false;
      }
      resolveOffset(lastOffset!);
      // With autoCommit off, commitOffsetsIfNecessary() without offsets commits nothing.
      await commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [{ partition, offset: String(Number(lastOffset) + 1) }] }],
      });
      valid = [];
      dead = [];
      messageOf.clear();
      lastOffset = undefined;
      return true;
    };

    for (const message of batch.messages) {
      if (this.stopping || !isRunning() || isStale()) return;
      const checked = checkMessage(message);
      if ('event' in checked) {
        valid.push({ ...checked.event, position: `${partition}:${message.offset}` });
        messageOf.set(checked.event.id, message);
      } else dead.push({ message, reason: checked.reason });
      lastOffset = message.offset;
      if (valid.length >= this.batchSize) {
        if (!(await flush())) return;
        await heartbeat();
      }
    }
    if (lastOffset !== undefined && !this.stopping && !isStale()) await flush();
  }

  /** Sleeps `ms`; stop() cuts it short. */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** Parses and validates a message of the events topic; the reason when it must be set aside. */
function checkMessage(message: KafkaMessage): { event: EventEnvelope } | { reason: string } {
  try {
    if (!message.value) return { reason: 'empty message value' };
    const event = validateOnConsume(JSON.parse(message.value.toString('utf8')));
    const key = message.key?.toString();
    if (key !== event.package)
      return { reason: `message key ${JSON.stringify(key)} is not the event's package ${event.package}` };
    return { event };
  } catch (error) {
    return { reason: (error as Error).message || String(error) };
  }
}

import { randomUUID } from 'node:crypto';
import { Consumer, Kafka } from 'kafkajs';
import { IdempotentSender, RestartingConsumer, onlyPartition } from '@wharf/adapters/event-log-kafka';
import { PackageCommand, ServiceUnavailableError } from '@wharf/domain';
import { fromWire, toWire } from '@wharf/contracts';
import type { CommandResult, PackageCommands } from '@wharf/ports';
import { inSpan, injectTraceContext } from '@wharf/tracing';
import { KafkaCommandBusOptions, Reply, kafkaOf, startBusConsumer } from './kafka-command-bus';
import { commandKeyOf, commandTopics, connectWithTopics, replyPartitionOf } from './kafka-command-topics';

/** The gateway's side: sends a command, waits for its reply. */
export class KafkaCommandClient implements PackageCommands {
  private readonly instance = randomUUID();
  private readonly pending = new Map<string, { resolve: (r: Reply) => void; timer: NodeJS.Timeout }>();
  private readonly kafka: Kafka;
  private producer: IdempotentSender | null = null;
  private consumer: RestartingConsumer | null = null;
  private replyPartition = 0;

  constructor(private readonly options: KafkaCommandBusOptions) {
    this.kafka = kafkaOf(options);
  }

  /** Creates the topics if needed and joins the replies; resolves once replies can be received. */
  async start(): Promise<void> {
    const { sender, repliesPartitions } = await connectWithTopics(this.kafka, this.options);
    this.producer = sender;
    this.replyPartition = replyPartitionOf(this.instance, repliesPartitions);
    // Only this instance's partition of the replies (each command names it, header
    // `reply-partition`, and the writer replies there). After a broker restart the consumer rejoins as a new member and waits for its
    // old self's session to expire before replies flow again: the same short session as the writers.
    const replies = commandTopics(this.options.topicPrefix ?? 'wharf.').replies;
    this.consumer = await startBusConsumer(
      this.kafka,
      `${this.options.topicPrefix ?? 'wharf.'}gateway-${this.instance}`,
      'replies',
      (consumer) => this.run(consumer),
      undefined,
      [onlyPartition(replies, this.replyPartition)],
    );
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({
      topic: commandTopics(this.options.topicPrefix ?? 'wharf.').replies,
      fromBeginning: false,
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.headers?.['reply-to']?.toString() !== this.instance) return;
        const id = message.headers?.['command-id']?.toString() ?? '';
        const waiter = this.pending.get(id);
        if (!waiter || !message.value) return;
        this.pending.delete(id);
        clearTimeout(waiter.timer);
        waiter.resolve(JSON.parse(message.value.toString()) as Reply);
      },
    });
  }

  /** Commands sent whose reply has neither arrived nor timed out. */
  get awaitingReplies(): number {
    return this.pending.size;
  }

  /** Sends the command and waits for its reply, in a span whose context travels in the message's headers. */
  execute(command: PackageCommand): Promise<CommandResult> {
    return inSpan(
      `send ${command.type}`,
      'producer',
      { 'messaging.system': 'kafka', 'wharf.package': command.package, 'wharf.command.id': command.meta.commandId },
      () => this.send(command),
    );
  }

  private async send(command: PackageCommand): Promise<CommandResult> {
    if (!this.producer) throw new ServiceUnavailableError('command bus');
    const id = command.meta.commandId;
    const timeoutMs = this.options.replyTimeoutMs ?? 30_000;
    // Past its deadline nobody waits for the command's answer, so the writer answers it expired
    // instead of applying it (see KafkaCommandServer).
    const deadline = String(Date.now() + timeoutMs);
    const headers: Record<string, string> = {
      'command-id': id,
      'reply-to': this.instance,
      'reply-partition': String(this.replyPartition),
      deadline,
    };
    injectTraceContext(headers);
    const reply = new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: toWire(new ServiceUnavailableError('metadata service')) });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
    });
    // The reply's timer bounds the whole call: a send still retrying against a broker that is down
    // loses the race; a send that fails is an answer of its own.
    const sendFailed = this.producer
      .send({
        topic: commandTopics(this.options.topicPrefix ?? 'wharf.').commands,
        acks: -1,
        messages: [
          {
            key: commandKeyOf(command.package),
            value: JSON.stringify(command),
            headers,
          },
        ],
      })
      .then(
        () => new Promise<Reply>(() => undefined),
        (): Reply => ({ ok: false, error: toWire(new ServiceUnavailableError('event log')) }),
      );
    const answer = await Promise.race([reply, sendFailed]);
    const waiter = this.pending.get(id);
    if (waiter) {
      clearTimeout(waiter.timer);
      this.pending.delete(id);
    }
    if (answer.ok) return answer.result;
    throw fromWire(answer.error);
  }

  async close(): Promise<void> {
    for (const [id, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.resolve({ ok: false, error: toWire(new ServiceUnavailableError('gateway shutting down')) });
      this.pending.delete(id);
    }
    await this.consumer?.stop();
    await this.producer?.close();
  }
}

/**
 * Request-reply for package commands over Kafka, between the gateway and the metadata service.
 *
 *   <prefix>commands  keyed by package, so one package's commands reach one writer, in order;
 *                     headers `command-id`, `reply-to` (the asking gateway instance).
 *   <prefix>replies   keyed by gateway instance; each gateway reads every reply with a consumer
 *                     group of its own and keeps those addressed to it.
 *
 * The partition count of `commands` matches the events topic, so the metadata instance that owns
 * a package's commands partition is its single writer. A command redelivered after a crash is
 * answered from the package's recent command ids without appending again.
 */
import { randomUUID } from 'node:crypto';
import { Admin, Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import { PackageCommand, ServiceUnavailableError, WharfError } from '@wharf/domain';
import { WireErrorBody, fromWire, toWire } from '@wharf/contracts';
import type { CommandResult, PackageCommands } from '@wharf/ports';

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

type Reply = { ok: true; result: CommandResult } | { ok: false; error: WireErrorBody };

/**
 * Session timeout of the writers' and the gateways' consumers: how long the partitions of a
 * member that died stay unowned (the broker's minimum is 6 s).
 */
const WRITER_SESSION_TIMEOUT_MS = 10_000;
/**
 * How long the broker holds an empty fetch. It answers a held fetch as soon as a record arrives
 * (minBytes 1), so this bounds idle polling, not delivery: at 20 ms one idle consumer cost
 * ~140 ms of CPU a second (plus the broker's), at 500 ms ~40, with the same produce-to-consume
 * latency (p50 6-8 ms; docs/benchmarks.md, "Distributed profile: where the CPU goes").
 */
const FETCH_MAX_WAIT_MS = 500;

const COMMAND_TYPES = new Set(['PushRelease', 'DeleteRelease', 'AddReleaseToChannel', 'RemoveReleaseFromChannel', 'DeleteChannel', 'SetVisibility']);

function topics(prefix: string) {
  return { commands: `${prefix}commands`, replies: `${prefix}replies` };
}

export async function ensureCommandTopics(admin: Admin, options: KafkaCommandBusOptions): Promise<void> {
  const t = topics(options.topicPrefix ?? 'wharf.');
  const existing = new Set(await admin.listTopics());
  const wanted = [
    { topic: t.commands, numPartitions: options.partitions ?? 12, configEntries: [{ name: 'retention.ms', value: String(24 * 3600_000) }] },
    { topic: t.replies, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(3600_000) }] },
  ].filter((w) => !existing.has(w.topic));
  if (wanted.length === 0) return;
  try {
    await admin.createTopics({ waitForLeaders: true, topics: wanted.map((w) => ({ ...w, replicationFactor: options.replicationFactor ?? 1 })) });
  } catch (error) {
    // Another process created them first.
    if (!String((error as Error).message).includes('exists')) throw error;
  }
}

/** Creates the topics if needed, then connects an idempotent producer. */
async function connectWithTopics(kafka: Kafka, options: KafkaCommandBusOptions): Promise<Producer> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureCommandTopics(admin, options);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

function kafkaOf(options: KafkaCommandBusOptions): Kafka {
  return new Kafka({ clientId: options.clientId, brokers: options.brokers, logLevel: logLevel.ERROR });
}

/** The gateway's side: sends a command, waits for its reply. */
export class KafkaCommandClient implements PackageCommands {
  private readonly instance = randomUUID();
  private readonly pending = new Map<string, { resolve: (r: Reply) => void; timer: NodeJS.Timeout }>();
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;

  constructor(private readonly options: KafkaCommandBusOptions) {
    this.kafka = kafkaOf(options);
  }

  /** Creates the topics if needed and joins the replies; resolves once replies can be received. */
  async start(): Promise<void> {
    this.producer = await connectWithTopics(this.kafka, this.options);
    // After a broker restart the consumer rejoins as a new member and waits for its old self's
    // session to expire before replies flow again: the same short session as the writers.
    this.consumer = this.kafka.consumer({
      groupId: `${this.options.topicPrefix ?? 'wharf.'}gateway-${this.instance}`,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      allowAutoTopicCreation: false,
      sessionTimeout: WRITER_SESSION_TIMEOUT_MS,
      heartbeatInterval: 1_000,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: topics(this.options.topicPrefix ?? 'wharf.').replies, fromBeginning: false });
    const joined = new Promise<void>((resolve) => this.consumer!.on(this.consumer!.events.GROUP_JOIN, () => resolve()));
    await this.consumer.run({
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
    await joined;
  }

  async execute(command: PackageCommand): Promise<CommandResult> {
    if (!this.producer) throw new ServiceUnavailableError('command bus');
    const id = command.meta.commandId;
    const reply = new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: toWire(new ServiceUnavailableError('metadata service')) });
      }, this.options.replyTimeoutMs ?? 30_000);
      this.pending.set(id, { resolve, timer });
    });
    // The reply's timer bounds the whole call: a send still retrying against a broker that is down
    // loses the race; a send that fails is an answer of its own.
    const sendFailed = this.producer
      .send({
        topic: topics(this.options.topicPrefix ?? 'wharf.').commands,
        acks: -1,
        messages: [{ key: command.package, value: JSON.stringify(command), headers: { 'command-id': id, 'reply-to': this.instance } }],
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
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}

/** The metadata service's side: runs each command through the package writer and replies. */
export class KafkaCommandServer {
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;

  constructor(
    private readonly options: KafkaCommandBusOptions,
    private readonly writer: PackageCommands,
    private readonly onUnexpected: (error: unknown) => void,
  ) {
    this.kafka = kafkaOf(options);
  }

  async start(): Promise<void> {
    const t = topics(this.options.topicPrefix ?? 'wharf.');
    this.producer = await connectWithTopics(this.kafka, this.options);
    // A writer that dies without leaving the group (kill -9, a lost host) holds its partitions until
    // its session expires, and the gateways' replies time out meanwhile: keep that well under
    // the reply timeout (kafkajs's default, 30 s, is the reply timeout itself).
    this.consumer = this.kafka.consumer({
      groupId: `${this.options.topicPrefix ?? 'wharf.'}metadata-writers`,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      allowAutoTopicCreation: false,
      sessionTimeout: WRITER_SESSION_TIMEOUT_MS,
      heartbeatInterval: 1_000,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: t.commands, fromBeginning: false });
    await this.consumer.run({
      partitionsConsumedConcurrently: this.options.partitions ?? 12,
      eachMessage: async ({ message }) => {
        const replyTo = message.headers?.['reply-to']?.toString();
        const id = message.headers?.['command-id']?.toString();
        if (!message.value || !replyTo || !id) return;
        const reply = await this.handle(message.value.toString());
        await this.producer!.send({
          topic: t.replies,
          acks: -1,
          messages: [{ key: replyTo, value: JSON.stringify(reply), headers: { 'command-id': id, 'reply-to': replyTo } }],
        });
      },
    });
  }

  private async handle(raw: string): Promise<Reply> {
    let command: PackageCommand;
    try {
      command = JSON.parse(raw) as PackageCommand;
      if (!COMMAND_TYPES.has(command.type) || typeof command.package !== 'string' || !command.meta?.commandId) throw new Error('malformed command');
    } catch (error) {
      this.onUnexpected(error);
      return { ok: false, error: { code: 'internal-error', message: 'malformed command', details: {} } };
    }
    try {
      return { ok: true, result: await this.writer.execute(command) };
    } catch (error) {
      if (error instanceof WharfError) return { ok: false, error: toWire(error) };
      this.onUnexpected(error);
      return { ok: false, error: toWire(new ServiceUnavailableError('metadata service')) };
    }
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}

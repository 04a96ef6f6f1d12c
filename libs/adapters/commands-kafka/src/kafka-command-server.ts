import { Consumer, Kafka } from 'kafkajs';
import { IdempotentSender, RestartingConsumer } from '@wharf/adapters/event-log-kafka';
import { PackageCommand, ServiceUnavailableError, WharfError } from '@wharf/domain';
import { toWire } from '@wharf/contracts';
import type { PackageCommands } from '@wharf/ports';
import { inSpanFrom } from '@wharf/tracing';
import { KafkaCommandBusOptions, Reply, kafkaOf, startBusConsumer } from './kafka-command-bus';
import { commandTopics, connectWithTopics, replyPartitionIn } from './kafka-command-topics';

const COMMAND_TYPES = new Set([
  'PushRelease',
  'DeleteRelease',
  'AddReleaseToChannel',
  'RemoveReleaseFromChannel',
  'DeleteChannel',
  'ImportReleases',
  'SetVisibility',
  'PutOciManifest',
  'DeleteOciManifest',
  'DeleteOciTag',
]);

/**
 * The metadata service's side: runs each command through the package writer and replies.
 *
 * No command is skipped and none is applied twice:
 * - The writers' group reads from its last commit, and from the earliest offset when it has none
 *   (brand-new topics or group): a command sent before any writer had joined is still read.
 *   Reading from the latest offset instead skipped every command sent while the first writer
 *   was joining, and the gateway answered 503 after its timeout.
 * - Reading from the earliest offset must not apply old commands late, so each command carries
 *   the instant its gateway stops waiting (header `deadline`, ms since the epoch: the send plus
 *   the gateway's reply timeout, WHARF_DEPENDENCY_TIMEOUT_SECONDS). A command read after its
 *   deadline is answered `service-unavailable` ("command expired") and not applied: its caller
 *   has had a 503 already. The check is made when the writer takes the command, so a command
 *   started just before its deadline may still finish after it, as any command slower than the
 *   timeout could. The gateways' and writers' clocks must agree to well within the timeout.
 * - A command redelivered (a writer died before committing its offset, or a rebalance moved the
 *   partition) is answered from the package view's recent command ids, without appending again.
 */
export class KafkaCommandServer {
  private readonly kafka: Kafka;
  private producer: IdempotentSender | null = null;
  private repliesPartitions = 1;
  private consumer: RestartingConsumer | null = null;

  constructor(
    private readonly options: KafkaCommandBusOptions,
    private readonly writer: PackageCommands,
    private readonly onUnexpected: (error: unknown) => void,
    /**
     * Called with this writer's partitions of the commands topic each time the group assigns
     * them, before any command of theirs is handled: the packages of a partition gained from
     * another writer were written by it, so what this process remembers of them is stale.
     */
    private readonly onAssigned: (partitions: number[]) => void = () => undefined,
  ) {
    this.kafka = kafkaOf(options);
  }

  async start(): Promise<void> {
    const { sender, repliesPartitions } = await connectWithTopics(this.kafka, this.options);
    this.producer = sender;
    this.repliesPartitions = repliesPartitions;
    // A writer that dies without leaving the group (kill -9, a lost host) holds its partitions until
    // its session expires, and the gateways' replies time out meanwhile: keep that well under
    // the reply timeout (kafkajs's default, 30 s, is the reply timeout itself). A crash kafkajs
    // does not restart starts a new consumer in the same group.
    const commandsTopic = commandTopics(this.options.topicPrefix ?? 'wharf.').commands;
    // Resolves once this writer holds its share of the partitions (or all of them, alone):
    // a writer that reports started is reading commands.
    this.consumer = await startBusConsumer(
      this.kafka,
      `${this.options.topicPrefix ?? 'wharf.'}metadata-writers`,
      'commands',
      (consumer) => this.run(consumer),
      // kafkajs emits GROUP_JOIN after the assignment and before fetching from it.
      (consumer) =>
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
          this.onAssigned(payload.memberAssignment[commandsTopic] ?? []),
        ),
    );
  }

  private async run(consumer: Consumer): Promise<void> {
    const t = commandTopics(this.options.topicPrefix ?? 'wharf.');
    await consumer.connect();
    await consumer.subscribe({ topic: t.commands, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: this.options.partitions ?? 12,
      eachMessage: async ({ message }) => {
        const replyTo = message.headers?.['reply-to']?.toString();
        const id = message.headers?.['command-id']?.toString();
        if (!message.value || !replyTo || !id) return;
        const deadline = Number(message.headers?.['deadline']?.toString() ?? Infinity);
        const partition = replyPartitionIn(message.headers?.['reply-partition']?.toString(), this.repliesPartitions);
        const value = message.value.toString();
        // A span of the command's trace (its context came in the headers), around the writer's
        // work and the reply.
        await inSpanFrom([message.headers], 'handle command', 'consumer', { 'wharf.command.id': id }, async () => {
          const reply = Date.now() > deadline ? expired() : await this.handle(value);
          await this.producer!.send({
            topic: t.replies,
            acks: -1,
            messages: [
              {
                key: replyTo,
                partition,
                value: JSON.stringify(reply),
                headers: { 'command-id': id, 'reply-to': replyTo },
              },
            ],
          });
        });
      },
    });
  }

  private async handle(raw: string): Promise<Reply> {
    let command: PackageCommand;
    try {
      command = JSON.parse(raw) as PackageCommand;
      if (!COMMAND_TYPES.has(command.type) || typeof command.package !== 'string' || !command.meta?.commandId)
        throw new Error('malformed command');
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
    await this.consumer?.stop();
    await this.producer?.close();
  }
}

function expired(): Reply {
  return {
    ok: false,
    error: toWire(new ServiceUnavailableError('metadata service (command expired before a writer took it)')),
  };
}

/**
 * An idempotent kafkajs producer whose acknowledgements can be trusted after a failed send.
 *
 * Why it exists. The broker deduplicates an idempotent producer's batches by (producer id,
 * partition, sequence numbers): a batch that repeats the sequences of one it already holds is
 * acknowledged with THAT batch's offset and not written. kafkajs 2.2.4 gives each batch its
 * partition's next sequence number and, when the produce request fails, takes the number back
 * (`producer/sendMessages.js`: `updateSequence(..., -entry.messages.length)`). A failed request
 * may nevertheless have been appended: a broker shutting down closes connections with responses
 * unsent, and the reconnect then fails (`KafkaJSNonRetriableError` ... `ECONNREFUSED`). The next
 * batch for that partition, another event altogether, then carries the failed batch's sequence
 * numbers, and the broker acknowledges it as a retry without writing it: an append that resolved
 * although its events are not in the log (seen in the broker-restart test as a package stream
 * missing one sequence, the metadata store holding it).
 *
 * What it does. Sends go one at a time (a send queued behind a failed one would take the number
 * back just the same, inside kafkajs), and after a send fails the producer is replaced: a new
 * producer has a new producer id, whose sequences the broker has never seen. kafkajs's own
 * retries of one send reuse the number for the same batch, which is what the broker's
 * deduplication is for. As a last line, a caller may name the lowest offset its batch can get
 * (anything the log held before the send began lies below it); an acknowledgement below it is a
 * duplicate's, and the send fails instead of resolving.
 *
 * Cost: one produce request in flight per event log handle. kafkajs already allows one per
 * broker for an idempotent producer (maxInFlightRequests 1), so with one broker nothing changes.
 */
import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';

/** The part of a kafkajs producer the sender uses (a model of it in the unit test). */
export type SendingProducer = Pick<Producer, 'connect' | 'send' | 'disconnect'>;

export class AcknowledgedAsDuplicateError extends Error {
  constructor(topic: string, partition: number, baseOffset: number, minimumOffset: number) {
    super(
      `${topic}[${partition}] acknowledged a batch at offset ${baseOffset}, below ${minimumOffset}, which the log held before it was sent: a duplicate's acknowledgement, the batch is not in the log`,
    );
    this.name = 'AcknowledgedAsDuplicateError';
  }
}

export class IdempotentSender {
  private producer: Promise<SendingProducer> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** `create` makes an idempotent producer (not yet connected); called again after every failed send. */
  constructor(private readonly create: () => SendingProducer) {}

  /** Connects the current producer (or a new one). */
  async connect(): Promise<void> {
    await this.current();
  }

  /**
   * Sends `record` after the sends before it have settled. With `minimumOffset`, the record must
   * go to one partition, and an acknowledgement below that offset fails the send.
   */
  send(record: ProducerRecord, minimumOffset?: number): Promise<RecordMetadata[]> {
    const turn = this.queue.then(() => this.sendNow(record, minimumOffset));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Disconnects the producer; a send in flight fails (as it would on kafkajs's own disconnect), later ones too. */
  async close(): Promise<void> {
    this.closed = true;
    const producer = this.producer;
    this.producer = null;
    await producer?.then((p) => p.disconnect()).catch(() => undefined);
  }

  private async sendNow(record: ProducerRecord, minimumOffset: number | undefined): Promise<RecordMetadata[]> {
    if (this.closed) throw new Error('the producer is closed');
    const producer = await this.current();
    let written: RecordMetadata[];
    try {
      written = await producer.send(record);
    } catch (error) {
      this.retire(producer);
      throw error;
    }
    if (minimumOffset !== undefined) {
      const [first] = written;
      if (first?.baseOffset !== undefined && Number(first.baseOffset) < minimumOffset) {
        this.retire(producer);
        throw new AcknowledgedAsDuplicateError(
          first.topicName,
          first.partition,
          Number(first.baseOffset),
          minimumOffset,
        );
      }
    }
    return written;
  }

  private current(): Promise<SendingProducer> {
    if (!this.producer) {
      const producer = this.create();
      const connected = producer.connect().then(() => producer);
      this.producer = connected;
      // A producer that could not connect is not kept: the next send makes a new one.
      connected.catch(() => {
        if (this.producer === connected) this.producer = null;
      });
    }
    return this.producer;
  }

  /** The next send uses a new producer; this one leaves in the background. */
  private retire(producer: SendingProducer): void {
    this.producer = null;
    producer.disconnect().catch(() => undefined);
  }
}

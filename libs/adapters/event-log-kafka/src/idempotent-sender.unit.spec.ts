/**
 * IdempotentSender against a model of the two behaviours that lost an acknowledged event across
 * a broker restart: the broker's deduplication of an idempotent producer's batches, and kafkajs
 * 2.2.4 taking a failed batch's sequence numbers back (producer/sendMessages.js).
 */
import type { ProducerRecord, RecordMetadata } from 'kafkajs';
import { AcknowledgedAsDuplicateError, IdempotentSender, SendingProducer } from './idempotent-sender';

/**
 * One partition of a broker, deduplicating as Kafka does: per producer id, the last batch's
 * sequence numbers; a batch that repeats them is acknowledged with that batch's offset and not
 * written. `appendThenDropConnection` makes the next produce request be appended and then
 * fail on the client's side, as when a broker shuts down with the response unsent.
 */
class BrokerModel {
  readonly log: string[] = [];
  appendThenDropConnection = 0;
  private producerIds = 0;
  private readonly last = new Map<number, { firstSequence: number; lastSequence: number; baseOffset: number }>();

  initProducerId(): number {
    return ++this.producerIds;
  }

  async produce(producerId: number, firstSequence: number, values: string[]): Promise<number> {
    await Promise.resolve();
    const last = this.last.get(producerId);
    const lastSequence = firstSequence + values.length - 1;
    let baseOffset: number;
    if (last && last.firstSequence === firstSequence && last.lastSequence === lastSequence) {
      baseOffset = last.baseOffset;
    } else {
      if (firstSequence !== (last ? last.lastSequence + 1 : 0)) throw new Error('OUT_OF_ORDER_SEQUENCE_NUMBER');
      baseOffset = this.log.length;
      this.log.push(...values);
      this.last.set(producerId, { firstSequence, lastSequence, baseOffset });
    }
    if (this.appendThenDropConnection > 0) {
      this.appendThenDropConnection--;
      throw new Error('KafkaJSNonRetriableError: connect ECONNREFUSED');
    }
    return baseOffset;
  }
}

/**
 * kafkajs's idempotent producer on one partition: each send waits for the previous one (its
 * per-broker lock), takes the next sequence numbers, and gives them back when the request fails.
 */
class ProducerModel implements SendingProducer {
  private producerId = -1;
  private nextSequence = 0;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly broker: BrokerModel) {}

  async connect(): Promise<void> {
    this.producerId = this.broker.initProducerId();
  }

  async disconnect(): Promise<void> {}

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const turn = this.lock.then(async () => {
      const values = record.messages.map((m) => String(m.value));
      const firstSequence = this.nextSequence;
      this.nextSequence += values.length;
      try {
        const baseOffset = await this.broker.produce(this.producerId, firstSequence, values);
        return [{ topicName: record.topic, partition: 0, errorCode: 0, baseOffset: String(baseOffset) }];
      } catch (error) {
        this.nextSequence -= values.length;
        throw error;
      }
    });
    this.lock = turn.catch(() => undefined);
    return turn;
  }
}

const record = (value: string): ProducerRecord => ({
  topic: 'events',
  acks: -1,
  messages: [{ key: 'ns/pkg', partition: 0, value }],
});

describe('IdempotentSender', () => {
  let broker: BrokerModel;
  beforeEach(() => (broker = new BrokerModel()));

  it('writes the batch sent after a failed one that the broker had appended, instead of having it acknowledged as that one', async () => {
    const sender = new IdempotentSender(() => new ProducerModel(broker));
    await sender.send(record('seq 8'));
    broker.appendThenDropConnection = 1;
    await expect(sender.send(record('seq 9'))).rejects.toThrow('ECONNREFUSED');

    const [ack] = await sender.send(record('seq 10'));

    expect(broker.log).toEqual(['seq 8', 'seq 9', 'seq 10']);
    expect(ack.baseOffset).toBe('2');
  });

  it('writes a batch that was waiting behind the failed one', async () => {
    const sender = new IdempotentSender(() => new ProducerModel(broker));
    await sender.send(record('seq 8'));
    broker.appendThenDropConnection = 1;

    const [failed, queued] = await Promise.allSettled([sender.send(record('seq 9')), sender.send(record('seq 10'))]);

    expect(failed.status).toBe('rejected');
    expect(queued).toEqual({ status: 'fulfilled', value: [expect.objectContaining({ baseOffset: '2' })] });
    expect(broker.log).toEqual(['seq 8', 'seq 9', 'seq 10']);
  });

  it('fails a send acknowledged below the offset the log had reached before it', async () => {
    // One producer, never replaced or initialised again: the failed batch's numbers are reused.
    const producer = new ProducerModel(broker);
    const connected = producer.connect();
    const sender = new IdempotentSender(() => ({
      connect: () => connected,
      send: (r) => producer.send(r),
      disconnect: async () => {},
    }));
    broker.appendThenDropConnection = 1;
    await expect(sender.send(record('seq 9'))).rejects.toThrow('ECONNREFUSED');

    await expect(sender.send(record('seq 10'), broker.log.length)).rejects.toThrow(AcknowledgedAsDuplicateError);
    expect(broker.log).toEqual(['seq 9']);
  });

  it('makes a new producer when the previous one could not connect', async () => {
    let attempts = 0;
    const sender = new IdempotentSender(() => {
      const producer = new ProducerModel(broker);
      if (++attempts === 1) producer.connect = () => Promise.reject(new Error('connect ECONNREFUSED'));
      return producer;
    });
    await expect(sender.send(record('first'))).rejects.toThrow('ECONNREFUSED');

    await sender.send(record('second'));

    expect(broker.log).toEqual(['second']);
  });
});

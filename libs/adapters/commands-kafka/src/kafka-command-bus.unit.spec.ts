import { EventEmitter } from 'node:events';
import type { Consumer, Kafka } from 'kafkajs';
import { startBusConsumer } from './kafka-command-bus';
import { replyPartitionIn } from './kafka-command-topics';

/** What startBusConsumer sees of a kafkajs consumer: GROUP_JOIN, CRASH and disconnect. */
class ConsumerModel {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' };
  readonly emitter = new EventEmitter();
  disconnected = false;

  on(eventName: string, listener: (event: unknown) => void) {
    this.emitter.on(eventName, listener);
    return () => this.emitter.off(eventName, listener);
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  join(): void {
    this.emitter.emit('consumer.group_join', { payload: { memberAssignment: {} } });
  }

  /** A crash kafkajs does not restart by itself (a group coordinator still loading, say). */
  crash(): void {
    this.emitter.emit('consumer.crash', { payload: { error: new Error('coordinator is loading'), restart: false } });
  }
}

function kafkaModel() {
  const made: ConsumerModel[] = [];
  const kafka = {
    consumer: () => {
      const model = new ConsumerModel();
      made.push(model);
      return model;
    },
    logger: () => ({ error: () => undefined }),
  } as unknown as Kafka;
  return { kafka, made };
}

describe('startBusConsumer', () => {
  it('resolves once a consumer restarted after a crash before joining has joined', async () => {
    const { kafka, made } = kafkaModel();
    let started = false;

    const starting = startBusConsumer(kafka, 'g', 'test', async () => undefined).then((consumer) => {
      started = true;
      return consumer;
    });
    await new Promise((resolve) => setImmediate(resolve));
    made[0]!.crash();
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the restart delay
    expect(made).toHaveLength(2);
    expect(started).toBe(false);
    made[1]!.join();

    const consumer = await starting;
    expect(started).toBe(true);
    await consumer.stop();
  });

  it('rejects as the first run does, leaving no consumer open', async () => {
    const { kafka, made } = kafkaModel();

    await expect(
      startBusConsumer(kafka, 'g', 'test', async (consumer: Consumer) => {
        void consumer;
        throw new Error('This server does not host this topic-partition');
      }),
    ).rejects.toThrow('does not host');

    expect(made).toHaveLength(1);
    expect(made[0]!.disconnected).toBe(true);
  });
});

describe('replyPartitionIn', () => {
  it('takes the partition the gateway named when the replies topic has it', () => {
    expect(replyPartitionIn('0', 12)).toBe(0);
    expect(replyPartitionIn('11', 12)).toBe(11);
  });

  it('falls back to key partitioning for a missing, malformed or out-of-range header', () => {
    for (const header of [undefined, '', '12', '-1', '1.5', ' 3', '3x', '99999999'])
      expect(replyPartitionIn(header, 12)).toBeUndefined();
  });
});

import { EventEmitter } from 'node:events';
import { CrashingConsumer, RestartingConsumer } from './restarting-consumer';

/** What RestartingConsumer sees of a kafkajs consumer: its CRASH event (with kafkajs's `restart` verdict) and disconnect. */
class ConsumerModel implements CrashingConsumer {
  readonly events = { CRASH: 'consumer.crash' } as CrashingConsumer['events'];
  readonly emitter = new EventEmitter();
  running = false;
  disconnected = false;

  on: CrashingConsumer['on'] = (eventName, listener) => {
    this.emitter.on(eventName, listener as (event: unknown) => void);
    return () => this.emitter.off(eventName, listener as (event: unknown) => void);
  };

  async disconnect(): Promise<void> {
    this.running = false;
    this.disconnected = true;
  }

  /** kafkajs's crash: it has disconnected already, and restarts by itself only when `restart`. */
  crash(restart: boolean): void {
    this.running = false;
    this.emitter.emit('consumer.crash', {
      payload: {
        error: new Error('KafkaJSNonRetriableError: Failed to find group coordinator'),
        groupId: 'g',
        restart,
      },
    });
  }
}

function restarting(options: { failRuns?: number } = {}) {
  const made: ConsumerModel[] = [];
  let failRuns = options.failRuns ?? 0;
  const consumer = new RestartingConsumer(
    () => {
      const model = new ConsumerModel();
      made.push(model);
      return model;
    },
    async (model) => {
      if (made.length > 1 && failRuns-- > 0) throw new Error('connect ECONNREFUSED');
      model.running = true;
    },
    { retryDelayMs: 1_000 },
  );
  return { consumer, made };
}

describe('RestartingConsumer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs a new consumer after a crash kafkajs does not restart', async () => {
    const { consumer, made } = restarting();
    await consumer.start();

    made[0].crash(false);
    await jest.advanceTimersByTimeAsync(1_000);

    expect(made).toHaveLength(2);
    expect(made[1].running).toBe(true);
    expect(consumer.current).toBe(made[1]);
  });

  it('tries again until the new consumer runs', async () => {
    const { consumer, made } = restarting({ failRuns: 2 });
    await consumer.start();

    made[0].crash(false);
    await jest.advanceTimersByTimeAsync(3_000);

    expect(made.map((m) => m.running)).toEqual([false, false, false, true]);
    expect(made[1].disconnected && made[2].disconnected).toBe(true);
  });

  it('leaves the crashes kafkajs restarts itself to kafkajs', async () => {
    const { consumer, made } = restarting();
    await consumer.start();

    made[0].crash(true);
    await jest.advanceTimersByTimeAsync(5_000);

    expect(made).toHaveLength(1);
  });

  it('restarts nothing once stopped', async () => {
    const { consumer, made } = restarting();
    await consumer.start();
    await consumer.stop();

    made[0].crash(false);
    await jest.advanceTimersByTimeAsync(5_000);

    expect(made).toHaveLength(1);
    expect(made[0].disconnected).toBe(true);
  });
});

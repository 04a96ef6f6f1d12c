/**
 * A kafkajs consumer that comes back after every crash.
 *
 * kafkajs 2.2.4 restarts a crashed consumer only when the crash's original cause is retriable
 * (`consumer/index.js`, `onCrash`); otherwise it disconnects the consumer and leaves it so. Across
 * a broker restart a crash can have a cause that is not ("KafkaJSNonRetriableError: Failed to
 * find group coordinator", seen in the broker-restart test): the consumer's group then has no
 * member for good, and the process carries on as if nothing happened (a gateway that never reads
 * another reply, a writer that never reads another command, a projector that stops). After such
 * a crash this makes a new consumer and starts it again, every `retryDelayMs` until it runs,
 * until stop(). Commits are the starter's business, so a restart redelivers what the crashed
 * consumer had not committed, exactly as a rebalance would.
 */
import type { Consumer } from 'kafkajs';

/** The part of a kafkajs consumer this needs (a model of it in the unit test). */
export type CrashingConsumer = Pick<Consumer, 'on' | 'events' | 'disconnect'>;

export class RestartingConsumer<C extends CrashingConsumer = Consumer> {
  private consumer: C;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;

  /** `create` makes a consumer (not connected); `run` connects, subscribes and runs one. */
  constructor(
    private readonly create: () => C,
    private readonly run: (consumer: C) => Promise<void>,
    private readonly options: { retryDelayMs: number; onRestart?: (error: Error) => void },
  ) {
    this.consumer = this.watched(create());
  }

  /** The consumer that runs now (a new one after each restart). */
  get current(): C {
    return this.consumer;
  }

  /** Runs the first consumer; rejects as `run` does (no restart for that one). */
  async start(): Promise<void> {
    await this.run(this.consumer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.restarting;
    await this.consumer.disconnect();
  }

  private watched(consumer: C): C {
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopped || consumer !== this.consumer) return;
      this.options.onRestart?.(payload.error);
      this.schedule();
    });
    return consumer;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.restarting = this.restart().finally(() => (this.restarting = undefined));
    }, this.options.retryDelayMs);
  }

  private async restart(): Promise<void> {
    if (this.stopped) return;
    const consumer = this.watched(this.create());
    this.consumer = consumer;
    try {
      await this.run(consumer);
    } catch {
      await consumer.disconnect().catch(() => undefined);
      if (!this.stopped) this.schedule();
    }
  }
}

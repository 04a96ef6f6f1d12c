/**
 * Bounds password hashing. scrypt runs on libuv's thread pool (four threads by default, shared
 * with file I/O and zlib) and takes 32 MiB per hash, so an unbounded number of guesses in
 * flight queues every other user of that pool behind them and costs 32 MiB each. At most
 * `concurrency` hashes run at once; at most `queueLimit` more wait; one more is refused at once
 * with 503 `service-unavailable` and Retry-After, before any work is done.
 *
 * Waiting hashes are served round-robin across lanes (the gateway uses the client address), so
 * one address with many guesses in flight delays another address's login by at most one hash
 * per other busy lane, not by the attacker's whole queue.
 */
import { ServiceUnavailableError } from '@wharf/domain';

type Waiter = () => void;

export class PasswordHashPool {
  private running = 0;
  private waiting = 0;
  /** Lanes with waiters, in round-robin order (Map order; a served lane moves to the end). */
  private readonly lanes = new Map<string, Waiter[]>();

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
    private readonly retryAfterSeconds = 1,
  ) {}

  /** Runs `hash` when a slot is free; throws ServiceUnavailableError when the queue is full. */
  async run<T>(lane: string, hash: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await this.enqueue(lane);
    else this.running++;
    try {
      return await hash();
    } finally {
      this.release();
    }
  }

  /** Hashes running and waiting, for tests and metrics. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting };
  }

  private enqueue(lane: string): Promise<void> {
    if (this.waiting >= this.queueLimit) throw new ServiceUnavailableError('password hashing', this.retryAfterSeconds);
    this.waiting++;
    return new Promise<void>((resolve) => {
      const queue = this.lanes.get(lane);
      if (queue) queue.push(resolve);
      else this.lanes.set(lane, [resolve]);
    });
  }

  /** Hands the finished hash's slot to the next lane in turn (the slot stays counted), or frees it. */
  private release(): void {
    const next = this.lanes.entries().next();
    if (next.done) {
      this.running--;
      return;
    }
    const [lane, queue] = next.value;
    const waiter = queue.shift()!;
    this.lanes.delete(lane);
    if (queue.length > 0) this.lanes.set(lane, queue);
    this.waiting--;
    waiter();
  }
}

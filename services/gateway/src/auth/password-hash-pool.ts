/**
 * Bounds password hashing. scrypt runs on libuv's thread pool (four threads by default, shared
 * with file I/O and zlib) and takes 32 MiB per hash, so an unbounded number of guesses in
 * flight queues every other user of that pool behind them and costs 32 MiB each. At most
 * `concurrency` hashes run at once and at most `queueLimit` more wait; a check that cannot wait
 * is refused with 503 `service-unavailable` and Retry-After, before any work is done for it.
 *
 * Waiting is shared fairly between lanes (the gateway uses the client address):
 * - Waiting hashes are served round-robin across lanes, so one address with many guesses in
 *   flight delays another address's login by at most one hash per other busy lane.
 * - One lane holds at most `perLaneLimit` waiters; one more from that lane is refused, so one
 *   address cannot fill the queue that everyone shares.
 * - When the queue is full, the newest waiter of the lane with the most waiters is refused to
 *   make room for a newcomer whose lane has at least two fewer (longest-queue drop; on a tie the
 *   newcomer is refused, so waiters are not churned for nothing). An address with nothing
 *   waiting therefore gets in as long as some other lane holds two or more; only callers with
 *   at least `queueLimit / (perLaneLimit - 1)` addresses can keep it out.
 * A refused waiter's promise rejects with the same ServiceUnavailableError; its hash never ran.
 */
import { ServiceUnavailableError } from '@wharf/domain';

interface Waiter {
  admit: () => void;
  refuse: (error: ServiceUnavailableError) => void;
}

/** Waiters one lane may hold unless configured otherwise: enough for a client's retries, not a flood. */
export const DEFAULT_WAITERS_PER_LANE = 2;

export class PasswordHashPool {
  private running = 0;
  private waiting = 0;
  /** Lanes with waiters, in round-robin order (Map order; a served lane moves to the end). */
  private readonly lanes = new Map<string, Waiter[]>();

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
    private readonly retryAfterSeconds = 1,
    private readonly perLaneLimit = DEFAULT_WAITERS_PER_LANE,
  ) {}

  /**
   * Runs `hash` when a slot is free. Rejects with ServiceUnavailableError, without running
   * `hash`, when `lane` cannot wait (see the header) or when a waiter is displaced later.
   */
  async run<T>(lane: string, hash: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await this.enqueue(lane);
    else this.running++;
    try {
      return await hash();
    } finally {
      this.release();
    }
  }

  /**
   * Whether `run(lane, …)` called now would start or wait rather than be refused at once. The
   * answer holds until the next `run` or until a hash finishes; a check made and acted on in the
   * same synchronous step is exact.
   */
  hasRoom(lane: string): boolean {
    if (this.running < this.concurrency) return true;
    const own = this.lanes.get(lane)?.length ?? 0;
    if (own >= this.perLaneLimit) return false;
    return this.waiting < this.queueLimit || this.laneToDisplace(own) !== undefined;
  }

  /** Hashes running and waiting, for tests and metrics. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting };
  }

  private enqueue(lane: string): Promise<void> {
    const own = this.lanes.get(lane)?.length ?? 0;
    if (own >= this.perLaneLimit) throw this.refusal();
    if (this.waiting >= this.queueLimit) {
      const victim = this.laneToDisplace(own);
      if (victim === undefined) throw this.refusal();
      this.displaceNewest(victim);
    }
    this.waiting++;
    return new Promise<void>((admit, refuse) => {
      const queue = this.lanes.get(lane);
      if (queue) queue.push({ admit, refuse });
      else this.lanes.set(lane, [{ admit, refuse }]);
    });
  }

  /**
   * The lane with the most waiters if it holds at least two more than `own` (the newcomer's
   * lane); of equal lanes, the one served last in the round-robin order.
   */
  private laneToDisplace(own: number): string | undefined {
    let busiest: string | undefined;
    let most = 0;
    for (const [lane, queue] of this.lanes) {
      if (queue.length >= most) [busiest, most] = [lane, queue.length];
    }
    return most > own + 1 ? busiest : undefined;
  }

  private displaceNewest(lane: string): void {
    const queue = this.lanes.get(lane)!;
    const newest = queue.pop()!;
    if (queue.length === 0) this.lanes.delete(lane);
    this.waiting--;
    newest.refuse(this.refusal());
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
    waiter.admit();
  }

  /** The error a refused check gets: for callers that ask `hasRoom` first and refuse themselves. */
  refusal(): ServiceUnavailableError {
    return new ServiceUnavailableError('password hashing', this.retryAfterSeconds);
  }
}

/**
 * Active/standby blob replicas. Reference counting and garbage collection are the same work on
 * every replica (each counts the whole log in a group of its own: replica-group.event-log.ts), so
 * exactly one replica does them: the one holding the lease. While it holds the lease its
 * reference projector follows the log and its collector runs; when it loses the lease both stop.
 * A standby reads nothing of the log. A replica that takes the lease over starts its projector
 * from its own group's committed offsets (its counts are its own), and its collector examines
 * nothing until those counts have caught up with the log (the projector's lag is 0), so a blob
 * is only ever deleted on counts of the whole log.
 */
import { JsonLogger } from '@wharf/config';

/**
 * A lease some process holds at a time (KafkaLease in the distributed profile).
 * `start` joins the contenders and resolves once it is known whether this one holds it
 * (`onChange(true)` already called if so); `onChange` is called with each change afterwards.
 * `stop` gives the lease up (calling `onChange(false)` if held). Holding is a belief with a
 * bound: after a holder dies, another may hold it within the lease's own take-over time.
 */
export interface Lease {
  start(onChange: (held: boolean) => void): Promise<void>;
  stop(): Promise<void>;
}

/** The work of the lease holder: the reference projector and the collector's schedule. */
export interface LeaderWork {
  startCounting(): Promise<void>;
  stopCounting(): Promise<void>;
  startCollecting(): void;
  /** Resolves once no pass runs. */
  stopCollecting(): Promise<void>;
}

export class BlobLeadership {
  private active = false;
  private wanted = false;
  private settling: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly lease: Lease,
    private readonly work: LeaderWork,
    private readonly logger: JsonLogger,
    private readonly retryDelayMs = 1_000,
  ) {}

  /** True while this replica counts references and collects garbage. */
  get isActive(): boolean {
    return this.active;
  }

  /** Contends for the lease; resolves once this replica is active or known to be a standby. */
  async start(): Promise<void> {
    await this.lease.start((held) => this.want(held));
    await this.settling;
  }

  /** Gives the lease up and stops the work. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.lease.stop();
    this.want(false);
    await this.settling;
  }

  private want(held: boolean): void {
    this.wanted = held && !this.stopped;
    this.settling = this.settling.then(() => this.settle());
  }

  /** One change at a time; a failed start is tried again while the lease is still held. */
  private async settle(): Promise<void> {
    if (this.active === this.wanted) return;
    if (this.wanted) {
      try {
        await this.work.startCounting();
        this.work.startCollecting();
        this.active = true;
        this.logger.event('info', 'blob replica active: counting references and collecting garbage', {});
      } catch (error) {
        this.logger.event('error', 'blob replica could not become active; trying again', { error: String(error) });
        await this.work.stopCounting().catch(() => undefined);
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.want(this.wanted), this.retryDelayMs);
        this.retry.unref();
      }
      return;
    }
    this.active = false;
    await this.work.stopCollecting();
    await this.work.stopCounting();
    this.logger.event('info', 'blob replica standing by: not counting references nor collecting garbage', {});
  }
}

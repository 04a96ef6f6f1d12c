import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { LatestPending } from '@wharf/collections';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { PULL_RECORDS, PullRecord, PullRecordStore } from '@wharf/ports';

/** Releases held before a write is started early, whatever the interval: bounds the memory. */
export const MAX_PENDING_PULLS = 10_000;

/**
 * Last-pull times for retention's `keep_pulled_within_days`, kept cheap: a pull only sets an
 * entry of an in-memory map ((package, release) → latest instant), and the map is written to the
 * PullRecordStore as one batch every `WHARF_PULL_RECORD_INTERVAL_SECONDS` (or as soon as it
 * holds MAX_PENDING_PULLS releases). So a release is written at most once per interval per
 * gateway however often it is pulled, no event is appended and no package view touched. A write
 * that fails keeps its entries for the next (merged, the later time winning); a crash loses at
 * most one interval of pulls, which retention, counting in days, does not notice.
 */
@Injectable()
export class PullRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly pending: LatestPending<PullRecord>;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(PULL_RECORDS) private readonly store: PullRecordStore,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {
    this.pending = new LatestPending(
      (pull) => `${pull.package}@${pull.release}`,
      (pull) => pull.pulledAt,
      (batch) => this.store.record(batch),
    );
  }

  /** A pull of `release` of `pkg` (any media type, any protocol) at `at`. Never waits, never throws. */
  pulled(pkg: string, release: string, at: Date = new Date()): void {
    this.pending.add({ package: pkg, release, pulledAt: at.toISOString() });
    if (this.pending.size >= MAX_PENDING_PULLS) void this.flush().catch(() => undefined);
  }

  /** Writes what was pulled since the last write; one write at a time, in order. */
  flush(): Promise<void> {
    return this.pending.flush();
  }

  /** The last pulls of `packages`, with this gateway's pulls not yet written written first. */
  async lastPulls(packages: readonly string[]): Promise<PullRecord[]> {
    await this.flush();
    return this.store.lastPulls(packages);
  }

  /** Since when the store records pulls (PullRecordStore.recordedSince): before it, no pull is known. */
  recordedSince(): Promise<string> {
    return this.store.recordedSince();
  }

  onApplicationBootstrap(): void {
    const seconds = this.config.retention.pullRecordIntervalSeconds;
    this.timer = setInterval(() => void this.flush().catch(() => undefined), seconds * 1000);
    this.timer.unref();
  }

  /** Before the stores are closed (they close with the HTTP server, or in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush().catch(() => undefined);
  }
}

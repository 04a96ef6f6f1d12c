/**
 * Deletes blobs no release references. A blob is garbage when its reference count is zero,
 * the counts are caught up with the log, and it was stored longer ago than the grace period:
 * the grace period covers a push that has stored its blob but whose event is not counted yet
 * (storing bytes that are already there refreshes their time, so an old orphan pushed again
 * is safe too). A blob any release references is never deleted, and neither is a blob named by
 * an event the reference projector set aside (its count may be missing that reference).
 * Every pass is reported to the metrics: its outcome, the blobs deleted and the bytes freed.
 */
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import {
  BLOB_REFERENCES,
  BLOB_STORE,
  BlobGcMetrics,
  BlobGcPass,
  BlobInfo,
  BlobReferenceStore,
  BlobStore,
  METRICS,
  NO_METRICS,
} from '@wharf/ports';
import { JsonLogger, WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { BlobReferenceProjector } from './blob-reference.projector';

export const BLOB_LOGGER = Symbol('BlobLogger');

export interface CollectionReport {
  /** False when the reference counts were behind the log, so nothing was examined. */
  ran: boolean;
  scanned: number;
  deleted: number;
  freedBytes: number;
  /** Unreferenced blobs kept because a set-aside event names them. */
  keptForSetAsideEvents: number;
  /** True for a dry run: `deleted` and `freedBytes` say what a pass would delete; nothing was. */
  dryRun: boolean;
}

export interface CollectOptions {
  /** Examine as a pass would, delete nothing, report nothing to the metrics (`wharf gc --dry-run`). */
  dryRun?: boolean;
}

const PAGE = 500;

@Injectable()
export class BlobGarbageCollector implements OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<CollectionReport> | null = null;

  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(BLOB_REFERENCES) private readonly references: BlobReferenceStore,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    @Inject(BLOB_LOGGER) private readonly logger: JsonLogger,
    private readonly projector: BlobReferenceProjector,
    @Optional() @Inject(METRICS) private readonly metrics: BlobGcMetrics = NO_METRICS,
  ) {}

  /** Runs the collector every `blobGc.intervalSeconds` (0: never). */
  schedule(): void {
    const seconds = this.config.blobGc.intervalSeconds;
    if (seconds === 0 || this.timer) return;
    this.timer = setInterval(
      () =>
        void this.collect().catch((error) => this.logger.event('error', 'blob gc failed', { error: String(error) })),
      seconds * 1000,
    );
    this.timer.unref();
  }

  /** One pass; concurrent calls share the pass in progress. A dry run shares nothing. */
  collect(now: Date = new Date(), options: CollectOptions = {}): Promise<CollectionReport> {
    if (options.dryRun) return this.pass(now, this.emptyReport(true));
    this.running ??= this.measured(now).finally(() => (this.running = null));
    return this.running;
  }

  private emptyReport(dryRun: boolean): CollectionReport {
    return { ran: false, scanned: 0, deleted: 0, freedBytes: 0, keptForSetAsideEvents: 0, dryRun };
  }

  /** Stops the schedule; resolves once the pass in progress, if any, has ended. */
  async unschedule(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  onApplicationShutdown(): Promise<void> {
    return this.unschedule();
  }

  private async measured(now: Date): Promise<CollectionReport> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const report = this.emptyReport(false);
    // A failed pass still reports what it deleted before it failed.
    const ran = (outcome: BlobGcPass['outcome']) =>
      this.metrics.blobGcRan({
        outcome,
        deletedBlobs: report.deleted,
        freedBytes: report.freedBytes,
        seconds: seconds(),
      });
    try {
      await this.pass(now, report);
    } catch (error) {
      ran('failed');
      throw error;
    }
    ran(report.ran ? 'completed' : 'skipped');
    return report;
  }

  private async pass(now: Date, report: CollectionReport): Promise<CollectionReport> {
    if ((await this.projector.lag()) !== 0) return report;
    report.ran = true;
    const named = await this.projector.digestsOfSetAsideEvents();
    const cutoff = now.getTime() - this.config.blobGc.graceSeconds * 1000;
    let page: BlobInfo[] = [];
    for await (const blob of this.blobs.list()) {
      page.push(blob);
      if (page.length === PAGE) {
        await this.sweep(page, cutoff, named, report);
        page = [];
      }
    }
    await this.sweep(page, cutoff, named, report);
    if (report.deleted > 0 && !report.dryRun) this.logger.event('info', 'blob gc', { ...report });
    if (report.keptForSetAsideEvents > 0) {
      this.logger.event(
        'warn',
        'blob gc kept blobs that events set aside by blob-references name (their counts may be missing a reference)',
        { kept: report.keptForSetAsideEvents },
      );
    }
    return report;
  }

  private async sweep(page: BlobInfo[], cutoff: number, named: Set<string>, report: CollectionReport): Promise<void> {
    report.scanned += page.length;
    const old = page.filter((b) => b.storedAt !== undefined && b.storedAt.getTime() < cutoff);
    const counts = await this.references.counts(old.map((b) => b.digest));
    for (const blob of old) {
      if (counts.get(blob.digest) !== 0) continue;
      if (named.has(blob.digest)) {
        report.keptForSetAsideEvents++;
        continue;
      }
      // Re-check just before deleting: a push may have stored these bytes again meanwhile.
      const current = await this.blobs.stat(blob.digest);
      if (!current?.storedAt || current.storedAt.getTime() >= cutoff) continue;
      if (report.dryRun || (await this.blobs.delete(blob.digest))) {
        report.deleted++;
        report.freedBytes += blob.size;
      }
    }
  }
}

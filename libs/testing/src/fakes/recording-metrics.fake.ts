import type { BlobGcPass, StoreWaitOutcome, WebhookAttemptOutcome, WharfMetricsPort } from '@wharf/ports';

/** Records what the code under test counted, one line per call (`pushed appr 42`), for unit tests. */
export class RecordingMetrics implements WharfMetricsPort {
  readonly counted: string[] = [];
  /** The durations webhook attempts reported, in order. */
  readonly webhookSeconds: number[] = [];

  pushed(protocol: string, bytes: number): void {
    this.counted.push(`pushed ${protocol} ${bytes}`);
  }

  pulled(protocol: string, bytes: number): void {
    this.counted.push(`pulled ${protocol} ${bytes}`);
  }

  authenticationFailed(credential: string): void {
    this.counted.push(`authentication failed: ${credential}`);
  }

  rateLimited(limit: string): void {
    this.counted.push(`rate limited: ${limit}`);
  }

  blobCacheLookup(hit: boolean): void {
    this.counted.push(hit ? 'blob cache hit' : 'blob cache miss');
  }

  blobGcRan(pass: BlobGcPass): void {
    this.counted.push(`blob gc ${pass.outcome}: ${pass.deletedBlobs} deleted, ${pass.freedBytes} bytes freed`);
  }

  webhookAttempted(outcome: WebhookAttemptOutcome, seconds: number): void {
    this.counted.push(`webhook ${outcome}`);
    this.webhookSeconds.push(seconds);
  }

  storeWaited(outcome: StoreWaitOutcome): void {
    this.counted.push(`metadata store wait ${outcome}`);
  }
}

/**
 * Removes OCI upload sessions idle for longer than WHARF_OCI_UPLOAD_MAX_AGE_SECONDS (no chunk
 * kept since, or since their start: a slow upload that keeps sending lives on), with their bytes
 * (the file adapter's files; the S3 adapter's multipart upload, aborted, and its objects, and
 * what removed sessions left in the bucket). Every gateway sweeps, a quarter of the age apart (15 s to 15 min): in the distributed
 * profile the replicas share the sessions, and a session two replicas remove at once is removed
 * once (the adapters' removal is idempotent). A session is gone at most a quarter of the age
 * late; until then a client may still finish it.
 */
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { UPLOAD_SESSIONS, UploadSessionStore } from '@wharf/ports';

@Injectable()
export class UploadSessionExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    @Inject(UPLOAD_SESSIONS) private readonly sessions: UploadSessionStore,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  /** Removes the sessions idle for longer than the age; how many. */
  sweep(now = new Date()): Promise<number> {
    this.running ??= this.sessions
      .expire(new Date(now.getTime() - this.config.ociUploads.maxAgeSeconds * 1000))
      .finally(() => (this.running = null));
    return this.running;
  }

  onApplicationBootstrap(): void {
    const everyMs = Math.min(15 * 60_000, Math.max(15_000, (this.config.ociUploads.maxAgeSeconds * 1000) / 4));
    // An outage skips one sweep; the next one takes what it left.
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), everyMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}

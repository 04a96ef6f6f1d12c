/**
 * Bounds the uploads one uploader (an account, or a client address for anonymous and open-mode
 * callers) has in the expensive part of a push at once: archive inspection, blob store, the
 * writer's answer. At most `maxConcurrentUploadsPerAccount` run; a few more wait their turn
 * (first come, first served), so a client that pushes a burst (helm cm-push of 20 charts, a CI
 * matrix) is slowed rather than failed; past that, 429 rate-limited with Retry-After. One
 * uploader therefore never holds more than its share of the inspection workers, and never more
 * than (running + waiting) archives in memory beyond the ones the body limit already admits.
 *
 * Bounded memory: a key exists only while it has uploads running or waiting.
 */
import { Inject, Injectable } from '@nestjs/common';
import { Caller, RateLimitedError, callerName } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';

/**
 * Uploads that may wait per running slot. A constant until the configuration has a setting for
 * it: the existing bursts (20 concurrent pushes from one address) must pass with the default of
 * 4 running, so 4 × 8 = 32 may wait.
 */
export const WAITING_UPLOADS_PER_SLOT = 8;

/** Seconds a refused uploader is told to wait: uploads of one account finish in about that. */
const RETRY_AFTER_SECONDS = 1;

interface Uploader {
  running: number;
  waiting: (() => void)[];
}

@Injectable()
export class UploadSlots {
  private readonly uploaders = new Map<string, Uploader>();
  private readonly maxRunning: number;
  private readonly maxWaiting: number;

  constructor(@Inject(WHARF_CONFIG) config: Pick<WharfConfig, 'push'>) {
    this.maxRunning = config.push.maxConcurrentUploadsPerAccount;
    this.maxWaiting = this.maxRunning * WAITING_UPLOADS_PER_SLOT;
  }

  /**
   * Runs `upload` once the uploader has a free slot, and frees the slot when it settles (resolved
   * or thrown). Throws RateLimitedError without running it when the uploader already has the
   * most uploads running and waiting.
   */
  async run<T>(uploader: string, upload: () => Promise<T>): Promise<T> {
    await this.acquire(uploader);
    try {
      return await upload();
    } finally {
      this.release(uploader);
    }
  }

  /** Uploads running and waiting for `uploader` (for tests and metrics). */
  inFlight(uploader: string): { running: number; waiting: number } {
    const u = this.uploaders.get(uploader);
    return { running: u?.running ?? 0, waiting: u?.waiting.length ?? 0 };
  }

  private async acquire(key: string): Promise<void> {
    let u = this.uploaders.get(key);
    if (!u) this.uploaders.set(key, (u = { running: 0, waiting: [] }));
    if (u.running < this.maxRunning) {
      u.running++;
      return;
    }
    if (u.waiting.length >= this.maxWaiting) throw new RateLimitedError(RETRY_AFTER_SECONDS);
    // The slot is handed over by release(): `running` stays counted for the waiter.
    await new Promise<void>((resolve) => u.waiting.push(resolve));
  }

  private release(key: string): void {
    const u = this.uploaders.get(key);
    if (!u) return;
    const next = u.waiting.shift();
    if (next) return next();
    u.running--;
    if (u.running === 0) this.uploaders.delete(key);
  }
}

/** Who an upload is counted against: the account, or the client address of an anonymous or open-mode caller. */
export function uploaderOf(caller: Caller, clientAddress: string): string {
  return caller.kind === 'user' || caller.kind === 'robot' ? `account:${callerName(caller)}` : `address:${clientAddress}`;
}

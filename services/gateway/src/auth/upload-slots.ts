/**
 * Bounds the uploads one uploader (an account, or a client address for anonymous and open-mode
 * callers) has at once, from before its body is read (the upload gate's `preParsing` hook,
 * body-limits.ts) to its answer: the body in memory, archive inspection, blob store, the
 * writer's answer. At most `maxConcurrentUploadsPerAccount` run; a few more wait their turn
 * (first come, first served), so a client that pushes a burst (helm cm-push of 20 charts, a CI
 * matrix) is slowed rather than failed; past that, 429 rate-limited with Retry-After. One
 * uploader therefore never holds more than its share of the inspection workers, and never more
 * than `maxConcurrentUploadsPerAccount` bodies in memory: a waiting upload's body is not read.
 *
 * Bounded memory: a key exists only while it has uploads running or waiting. Each 429 is counted
 * as a refusal of the `uploads` limit.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Caller, RateLimitedError, callerName } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { AccessMetrics, METRICS, NO_METRICS } from '@wharf/ports';

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

  constructor(
    @Inject(WHARF_CONFIG) config: Pick<WharfConfig, 'push'>,
    @Optional() @Inject(METRICS) private readonly metrics: AccessMetrics = NO_METRICS,
  ) {
    this.maxRunning = config.push.maxConcurrentUploadsPerAccount;
    this.maxWaiting = this.maxRunning * WAITING_UPLOADS_PER_SLOT;
  }

  /**
   * Runs `upload` once the uploader has a free slot, and frees the slot when it settles (resolved
   * or thrown). Throws RateLimitedError without running it when the uploader already has the
   * most uploads running and waiting.
   */
  async run<T>(uploader: string, upload: () => Promise<T>): Promise<T> {
    const release = await this.acquire(uploader);
    try {
      return await upload();
    } finally {
      release();
    }
  }

  /**
   * Takes a slot for `uploader`, waiting for one (first come, first served) when all are
   * running; resolves to the function that frees it, which may be called any number of times
   * (only the first counts). Throws RateLimitedError at once when the uploader's queue is full.
   * When `signal` aborts while waiting (the client went away), the waiter leaves the queue and
   * the promise rejects with the signal's reason; an aborted signal takes no slot at all.
   */
  async acquire(uploader: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    let u = this.uploaders.get(uploader);
    if (!u) this.uploaders.set(uploader, (u = { running: 0, waiting: [] }));
    const once = () => {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.release(uploader);
      };
    };
    if (u.running < this.maxRunning) {
      u.running++;
      return once();
    }
    if (u.waiting.length >= this.maxWaiting) {
      this.metrics.rateLimited('uploads');
      throw new RateLimitedError(RETRY_AFTER_SECONDS);
    }
    // The slot is handed over by release(): `running` stays counted for the waiter.
    const queue = u.waiting;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = queue.indexOf(handOver);
        if (at >= 0) queue.splice(at, 1);
        this.forgetIfIdle(uploader);
        reject(signal?.reason);
      };
      const handOver = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      queue.push(handOver);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return once();
  }

  /** Uploads running and waiting for `uploader` (for tests and metrics). */
  inFlight(uploader: string): { running: number; waiting: number } {
    const u = this.uploaders.get(uploader);
    return { running: u?.running ?? 0, waiting: u?.waiting.length ?? 0 };
  }

  private release(key: string): void {
    const u = this.uploaders.get(key);
    if (!u) return;
    const next = u.waiting.shift();
    if (next) return next();
    u.running--;
    this.forgetIfIdle(key);
  }

  private forgetIfIdle(key: string): void {
    const u = this.uploaders.get(key);
    if (u && u.running === 0 && u.waiting.length === 0) this.uploaders.delete(key);
  }
}

/** Who an upload is counted against: the account, or the client address of an anonymous or open-mode caller. */
export function uploaderOf(caller: Caller, clientAddress: string): string {
  return caller.kind === 'user' || caller.kind === 'robot'
    ? `account:${callerName(caller)}`
    : `address:${clientAddress}`;
}

/**
 * One server-wide bound on the upload bodies the gateway holds at once, whoever sends them
 * (issue 15: 40 parallel 40 MiB pushes of one account took the RSS from 82 MiB to 3 GiB, since
 * every body was read, parsed and decoded before any other bound applied). Each upload reserves
 * the most its body may be (the admitted body bound, or its declared Content-Length when that
 * is smaller: Node never delivers more than the declared length) before a byte is read, and
 * returns it when its answer is sent or the client goes away. An upload that does not fit waits,
 * first come first served, in a queue of at most `MAX_WAITING_UPLOADS`; past that it is refused
 * with 503 service-unavailable and Retry-After, its body unread.
 *
 * An upload larger than the whole bound is admitted when nothing else is in flight, so a
 * bound set below the body limit slows such uploads to one at a time instead of refusing them.
 */
import { Inject, Injectable } from '@nestjs/common';
import { ServiceUnavailableError } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';

/**
 * Uploads that may wait for room, all uploaders together. A constant until the configuration has
 * a setting for it: large enough for the bursts the other bounds let through (4 running per
 * account), small enough that the waiters cost only their sockets.
 */
export const MAX_WAITING_UPLOADS = 64;

/** Seconds a refused upload is told to wait: about the time a few large uploads take. */
const RETRY_AFTER_SECONDS = 5;

interface Waiter {
  bytes: number;
  admit: () => void;
}

@Injectable()
export class UploadBytesInFlight {
  private readonly capacity: number;
  private inFlight = 0;
  private readonly waiting: Waiter[] = [];

  constructor(@Inject(WHARF_CONFIG) config: Pick<WharfConfig, 'push'>) {
    this.capacity = config.push.maxUploadBytesInFlight;
  }

  /**
   * Reserves `bytes`, waiting while they do not fit; resolves to the function that returns them
   * (idempotent). Throws ServiceUnavailableError at once when the queue is full. When `signal`
   * aborts while waiting, the waiter leaves the queue and the promise rejects with its reason.
   */
  async acquire(bytes: number, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.inFlight += bytes;
      return this.releaser(bytes);
    }
    if (this.waiting.length >= MAX_WAITING_UPLOADS)
      throw new ServiceUnavailableError('upload capacity', RETRY_AFTER_SECONDS);
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        // The head may have been the one holding the others back.
        this.admitWaiters();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        bytes,
        admit: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return this.releaser(bytes);
  }

  /** Bytes reserved and uploads waiting (for tests and metrics). */
  usage(): { bytes: number; waiting: number } {
    return { bytes: this.inFlight, waiting: this.waiting.length };
  }

  private fits(bytes: number): boolean {
    return this.inFlight === 0 || this.inFlight + bytes <= this.capacity;
  }

  private releaser(bytes: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= bytes;
      this.admitWaiters();
    };
  }

  /** Admits waiters in arrival order while the head fits (no overtaking, so a large upload is not starved). */
  private admitWaiters(): void {
    for (;;) {
      const head = this.waiting[0];
      if (!head || !this.fits(head.bytes)) return;
      this.waiting.shift();
      this.inFlight += head.bytes;
      head.admit();
    }
  }
}

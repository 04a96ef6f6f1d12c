/**
 * How many blobs the blob store holds, without a walk of the store per request. Counting walks the
 * store (every blob listed: 2.1 s at 20,000 blobs on the filesystem, a paged listing on S3), so
 * the count is kept and refreshed at most once per MAX_AGE_MS: a request that finds it older gets
 * the last figure at once and starts one walk in the background (only the very first request
 * waits). `fresh()` is for callers that need the exact figure as of now (the tests that prove a
 * refused request stored nothing): it waits for a walk that started after it was called, and every
 * caller arriving during one walk shares the next, so concurrent calls never walk more than
 * twice over.
 */
import { Inject, Injectable } from '@nestjs/common';
import { BLOB_STORE, BlobStore } from '@wharf/ports';

/** How old a count may be before a request triggers a walk (a constant until it needs tuning). */
export const BLOB_CENSUS_MAX_AGE_MS = 60_000;

interface Count {
  blobs: number;
  countedAt: number;
}

@Injectable()
export class BlobCensus {
  private last: Count | null = null;
  /** The walk in flight. */
  private walking: Promise<number> | null = null;
  /** The walk that starts when the one in flight ends, shared by every fresh() meanwhile. */
  private queued: Promise<number> | null = null;

  constructor(@Inject(BLOB_STORE) private readonly blobs: BlobStore) {}

  /** The count, at most BLOB_CENSUS_MAX_AGE_MS old (older while a refresh is under way). */
  async cached(): Promise<number> {
    const last = this.last;
    if (last && Date.now() - last.countedAt < BLOB_CENSUS_MAX_AGE_MS) return last.blobs;
    const walk = this.walking ?? this.walk();
    if (!last) return walk;
    walk.catch(() => undefined); // a failed refresh keeps the last figure; the next request tries again
    return last.blobs;
  }

  /** The count from a walk that started after this call. */
  fresh(): Promise<number> {
    const inFlight = this.walking;
    if (!inFlight) return this.walk();
    // The walk in flight may have passed a blob stored just before this call.
    return (this.queued ??= inFlight.then(
      () => this.walkQueued(),
      () => this.walkQueued(),
    ));
  }

  private walkQueued(): Promise<number> {
    this.queued = null;
    return this.walk();
  }

  private walk(): Promise<number> {
    const walk = this.countAll().finally(() => {
      if (this.walking === walk) this.walking = null;
    });
    this.walking = walk;
    return walk;
  }

  private async countAll(): Promise<number> {
    let blobs = 0;
    for await (const _ of this.blobs.list()) blobs++;
    this.last = { blobs, countedAt: Date.now() };
    return blobs;
  }
}

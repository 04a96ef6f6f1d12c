/**
 * Requests per minute per key, as token buckets: each key may burst up to its limit, then gets
 * `limit / 60` requests a second. Per gateway process; with several replicas behind a balancer
 * the effective limit is the sum.
 *
 * Memory is bounded by `maxKeys`, evicting the least recently used bucket. Why that is safe,
 * and where it stops being safe: a bucket untouched for a minute has refilled completely, so
 * dropping it changes nothing. A bucket still spending its minute (a caller being limited right
 * now) is dropped only when `maxKeys` other keys were touched after it, so to reset a victim's
 * spent bucket an attacker must create `maxKeys` fresh keys (accounts, client addresses, wrong
 * passwords for distinct names) within the minute in which the victim was last limited. Each
 * such key costs the attacker a request (a hashed password, for the failure budget). Nothing
 * ever clears every bucket at once.
 */
export class RateLimiter {
  /** Insertion order is recency order: a touched bucket is deleted and set again. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly maxKeys = 100_000) {}

  /** Takes one request from `key`'s bucket; returns 0 when allowed, else seconds to wait. */
  take(key: string, perMinute: number, now: number = Date.now()): number {
    if (perMinute <= 0) return 0;
    const bucket = this.touch(key, perMinute, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return secondsUntilOne(bucket.tokens, perMinute);
  }

  /** Seconds until `key` may take a request again (0: it may now), without taking one. */
  wait(key: string, perMinute: number, now: number = Date.now()): number {
    if (perMinute <= 0) return 0;
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * (perMinute / 60_000));
    return tokens >= 1 ? 0 : secondsUntilOne(tokens, perMinute);
  }

  /** Returns a request taken by `take` that turned out not to count (a right password). */
  giveBack(key: string, perMinute: number, now: number = Date.now()): void {
    if (perMinute <= 0) return;
    const bucket = this.touch(key, perMinute, now);
    bucket.tokens = Math.min(perMinute, bucket.tokens + 1);
  }

  get size(): number {
    return this.buckets.size;
  }

  /** The key's bucket, refilled to `now` and moved to the most recently used end. */
  private touch(key: string, perMinute: number, now: number): { tokens: number; at: number } {
    let bucket = this.buckets.get(key);
    if (bucket) this.buckets.delete(key);
    else {
      bucket = { tokens: perMinute, at: now };
      while (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    this.buckets.set(key, bucket);
    bucket.tokens = Math.min(perMinute, bucket.tokens + Math.max(0, now - bucket.at) * (perMinute / 60_000));
    bucket.at = Math.max(bucket.at, now);
    return bucket;
  }
}

function secondsUntilOne(tokens: number, perMinute: number): number {
  return Math.max(1, Math.ceil(((1 - tokens) * 60) / perMinute));
}

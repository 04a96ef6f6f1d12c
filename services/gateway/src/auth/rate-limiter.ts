/**
 * Requests per minute per key (a token's account or a client address), as token buckets: each
 * key may burst up to its limit, then gets `limit / 60` requests a second. Per gateway process;
 * with several replicas behind a balancer the effective limit is the sum.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly maxKeys = 100_000) {}

  /** Takes one request from `key`'s bucket; returns 0 when allowed, else seconds to wait. */
  take(key: string, perMinute: number, now: number = Date.now()): number {
    if (perMinute <= 0) return 0;
    const rate = perMinute / 60_000;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.evict(now, rate);
      bucket = { tokens: perMinute, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate / 1000));
  }

  /** Drops buckets that have refilled (they hold nothing a fresh one would not). */
  private evict(now: number, rate: number): void {
    for (const [key, bucket] of this.buckets) if (now - bucket.at > 60_000 || bucket.tokens + (now - bucket.at) * rate >= 1e9) this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}

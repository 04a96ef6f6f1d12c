import { RateLimiter } from './rate-limiter';

describe(RateLimiter.name, () => {
  it('should allow a burst of the limit, then refuse with the seconds until the next request', () => {
    const limiter = new RateLimiter();
    const t0 = 1_000_000;
    expect([0, 1, 2].map(() => limiter.take('k', 3, t0))).toEqual([0, 0, 0]);
    expect(limiter.take('k', 3, t0)).toBe(20);
    expect(limiter.take('other', 3, t0)).toBe(0);
    expect(limiter.take('k', 3, t0 + 20_000)).toBe(0);
  });

  it('should never limit when the limit is 0', () => {
    const limiter = new RateLimiter();
    expect(Array.from({ length: 100 }, () => limiter.take('k', 0)).every((w) => w === 0)).toBe(true);
  });

  it('should stay bounded in memory', () => {
    const limiter = new RateLimiter(10);
    for (let i = 0; i < 100; i++) limiter.take(`k${i}`, 60, 0);
    expect((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(10);
  });
});

import { RateLimiter } from './rate-limiter';

const t0 = 1_000_000;

describe(RateLimiter.name, () => {
  it('should allow a burst of the limit, then refuse with the seconds until the next request', () => {
    const limiter = new RateLimiter();
    expect([0, 1, 2].map(() => limiter.take('k', 3, t0))).toEqual([0, 0, 0]);
    expect(limiter.take('k', 3, t0)).toBe(20);
    expect(limiter.take('other', 3, t0)).toBe(0);
    expect(limiter.take('k', 3, t0 + 20_000)).toBe(0);
  });

  it('should never limit when the limit is 0', () => {
    const limiter = new RateLimiter();
    expect(Array.from({ length: 100 }, () => limiter.take('k', 0)).every((w) => w === 0)).toBe(true);
  });

  it('should say how long a key must wait without taking from it, and take back a request given back', () => {
    const limiter = new RateLimiter();
    expect(limiter.wait('k', 2, t0)).toBe(0);
    limiter.take('k', 2, t0);
    expect(limiter.wait('k', 2, t0)).toBe(0);
    limiter.take('k', 2, t0);
    expect(limiter.wait('k', 2, t0)).toBe(30);
    expect(limiter.wait('k', 2, t0)).toBe(30);
    limiter.giveBack('k', 2, t0);
    expect(limiter.wait('k', 2, t0)).toBe(0);
    expect(limiter.take('k', 2, t0)).toBe(0);
    expect(limiter.take('k', 2, t0)).toBe(30);
  });

  it('should stay bounded in memory', () => {
    const limiter = new RateLimiter(10);
    for (let i = 0; i < 100; i++) limiter.take(`k${i}`, 60, 0);
    expect(limiter.size).toBe(10);
  });

  it("should keep a victim's spent bucket while an attacker floods new keys, evicting the least recently used", () => {
    const limiter = new RateLimiter(10);
    for (let i = 0; i < 5; i++) limiter.take('victim', 5, t0);
    expect(limiter.take('victim', 5, t0)).toBeGreaterThan(0);
    for (let i = 0; i < 1_000; i++) {
      limiter.take(`attacker-${i}`, 5, t0);
      // The victim keeps calling (and keeps being refused): its bucket stays among the recent ones.
      if (i % 5 === 0) expect(limiter.take('victim', 5, t0)).toBeGreaterThan(0);
    }
    expect(limiter.take('victim', 5, t0)).toBeGreaterThan(0);
    expect(limiter.size).toBe(10);
  });

  it('should evict the bucket touched longest ago, not a more recent one', () => {
    const limiter = new RateLimiter(3);
    limiter.take('old', 1, t0);
    limiter.take('recent', 1, t0);
    limiter.take('old', 1, t0); // touched again: now the most recent
    limiter.take('newcomer', 1, t0);
    limiter.take('another', 1, t0); // evicts 'recent', the least recently used
    expect(limiter.wait('old', 1, t0)).toBeGreaterThan(0);
    expect(limiter.wait('recent', 1, t0)).toBe(0);
  });
});

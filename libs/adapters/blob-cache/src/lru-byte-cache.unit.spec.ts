import { LruByteCache } from './lru-byte-cache';

const bytes = (size: number, fill = 1) => Buffer.alloc(size, fill);

describe(LruByteCache.name, () => {
  it('should hand back exactly the buffer kept under each key', () => {
    const cache = new LruByteCache({ maxEntryBytes: 100, maxTotalBytes: 1000 });
    const a = bytes(10, 0xa);
    const b = bytes(10, 0xb);
    cache.set('a', a);
    cache.set('b', b);
    expect(cache.get('a')).toBe(a);
    expect(cache.get('b')).toBe(b);
    expect(cache.get('c')).toBeUndefined();
    expect(cache.stats()).toEqual({ entries: 2, bytes: 20, hits: 2, misses: 1 });
  });

  it('should never keep an entry larger than the per-entry bound, nor one larger than the total', () => {
    const cache = new LruByteCache({ maxEntryBytes: 100, maxTotalBytes: 50 });
    cache.set('too big for an entry', bytes(101));
    cache.set('too big for the total', bytes(60));
    cache.set('fits', bytes(50));
    expect(cache.get('too big for an entry')).toBeUndefined();
    expect(cache.get('too big for the total')).toBeUndefined();
    expect(cache.get('fits')?.length).toBe(50);
    expect(cache.admits(50)).toBe(true);
    expect(cache.admits(51)).toBe(false);
  });

  it('should keep nothing when either bound is 0', () => {
    for (const limits of [
      { maxEntryBytes: 0, maxTotalBytes: 100 },
      { maxEntryBytes: 100, maxTotalBytes: 0 },
    ]) {
      const cache = new LruByteCache(limits);
      cache.set('empty', bytes(0));
      cache.set('small', bytes(1));
      expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
      expect(cache.admits(0)).toBe(false);
    }
  });

  it('should evict the least recently used first, a get counting as a use', () => {
    const cache = new LruByteCache({ maxEntryBytes: 100, maxTotalBytes: 30 });
    cache.set('a', bytes(10));
    cache.set('b', bytes(10));
    cache.set('c', bytes(10));
    cache.get('a');
    cache.set('d', bytes(10));
    expect(['a', 'b', 'c', 'd'].filter((key) => cache.get(key) !== undefined)).toEqual(['a', 'c', 'd']);
  });

  it('should stay within the total bound under any sequence of sets and deletes, counting its bytes exactly', () => {
    const cache = new LruByteCache({ maxEntryBytes: 64, maxTotalBytes: 200 });
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const kept = new Map<string, Buffer>();
    for (let i = 0; i < 5000; i++) {
      const key = `k${random(40)}`;
      if (random(5) === 0) {
        cache.delete(key);
        kept.delete(key);
      } else {
        const value = bytes(random(80), random(256));
        cache.set(key, value);
        kept.set(key, value);
      }
      const { bytes: total, entries } = cache.stats();
      expect(total).toBeLessThanOrEqual(200);
      let counted = 0;
      let present = 0;
      for (const [k, v] of kept) {
        const got = cache.get(k);
        if (got === undefined) continue;
        expect(got).toBe(v);
        counted += got.length;
        present++;
      }
      expect([counted, present]).toEqual([total, entries]);
    }
  });

  it('should count a replaced entry once', () => {
    const cache = new LruByteCache({ maxEntryBytes: 100, maxTotalBytes: 100 });
    cache.set('a', bytes(40));
    cache.set('a', bytes(60));
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 60 });
    cache.set('a', bytes(101));
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });
});

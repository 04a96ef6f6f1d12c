import { LruBySize } from './lru-by-size';

const cacheOf = (maxEntrySize: number, maxTotalSize: number) =>
  new LruBySize<string, string>({ maxEntrySize, maxTotalSize });
const kept = (cache: LruBySize<string, unknown>, keys: string[]) => keys.filter((key) => cache.get(key) !== undefined);
/** `cache` with `keys` set in order, each to its upper-case self, each of `size`. */
const filled = (cache: LruBySize<string, string>, keys: string[], size: number) => {
  for (const key of keys) cache.set(key, key.toUpperCase(), size);
  return cache;
};

describe(LruBySize.name, () => {
  it('should hand back exactly the value kept under each key', () => {
    const cache = new LruBySize<string, Buffer>({ maxEntrySize: 100, maxTotalSize: 1000 });
    const a = Buffer.alloc(10, 0xa);
    const b = Buffer.alloc(10, 0xb);
    cache.set('a', a, a.length);
    cache.set('b', b, b.length);
    expect(cache.get('a')).toBe(a);
    expect(cache.get('b')).toBe(b);
    expect(cache.get('c')).toBeUndefined();
    expect(cache.stats()).toEqual({ entries: 2, size: 20 });
  });

  it('should evict the least recently used first, a get counting as a use', () => {
    const cache = filled(cacheOf(100, 30), ['a', 'b', 'c'], 10);
    cache.get('a');
    cache.set('d', 'D', 10);
    expect(kept(cache, ['a', 'b', 'c', 'd'])).toEqual(['a', 'c', 'd']);
  });

  it('should evict as many entries as the new one needs room for, oldest first', () => {
    const cache = filled(cacheOf(100, 30), ['a', 'b', 'c'], 10);
    cache.set('d', 'D', 25);
    expect(kept(cache, ['a', 'b', 'c', 'd'])).toEqual(['d']);
    expect(cache.stats()).toEqual({ entries: 1, size: 25 });
  });

  it('should count an overwritten entry once, and make it the most recently used', () => {
    const cache = cacheOf(100, 100);
    cache.set('a', 'first', 40);
    cache.set('b', 'B', 30);
    cache.set('a', 'second', 60);
    expect(cache.stats()).toEqual({ entries: 2, size: 90 });
    expect(cache.get('a')).toBe('second');
    cache.set('c', 'C', 20);
    expect(kept(cache, ['a', 'b', 'c'])).toEqual(['a', 'c']);
    expect(cache.stats()).toEqual({ entries: 2, size: 80 });
  });

  it('should give back the size of a deleted entry, and tell whether there was one', () => {
    const cache = cacheOf(100, 100);
    cache.set('a', 'A', 40);
    cache.set('b', 'B', 30);
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    expect(cache.stats()).toEqual({ entries: 1, size: 30 });
    cache.set('c', 'C', 70);
    expect(kept(cache, ['b', 'c'])).toEqual(['b', 'c']);
  });

  it('should not keep an entry larger than the per-entry bound or the total, and drop what was under its key', () => {
    const cache = cacheOf(100, 50);
    cache.set('kept', 'K', 10);
    cache.set('too big for an entry', 'X', 101);
    cache.set('too big for the total', 'Y', 60);
    cache.set('kept', 'replaced by a value too big', 101);
    expect(kept(cache, ['kept', 'too big for an entry', 'too big for the total'])).toEqual([]);
    expect(cache.stats()).toEqual({ entries: 0, size: 0 });
    cache.set('fits', 'F', 50);
    expect(cache.get('fits')).toBe('F');
    expect(cache.admits(50)).toBe(true);
    expect(cache.admits(51)).toBe(false);
  });

  it('should keep nothing when either bound is 0', () => {
    for (const [maxEntrySize, maxTotalSize] of [
      [0, 100],
      [100, 0],
    ]) {
      const cache = cacheOf(maxEntrySize, maxTotalSize);
      cache.set('empty', '', 0);
      cache.set('small', 's', 1);
      expect(cache.stats()).toEqual({ entries: 0, size: 0 });
      expect(cache.enabled).toBe(false);
      expect(cache.admits(0)).toBe(false);
    }
    expect(cacheOf(1, 1).enabled).toBe(true);
  });

  it('should forget everything on clear, and keep working after', () => {
    const cache = cacheOf(100, 100);
    cache.set('a', 'A', 40);
    cache.set('b', 'B', 30);
    cache.clear();
    expect(kept(cache, ['a', 'b'])).toEqual([]);
    expect(cache.stats()).toEqual({ entries: 0, size: 0 });
    cache.set('c', 'C', 100);
    expect(cache.stats()).toEqual({ entries: 1, size: 100 });
  });

  it('should stay within the total bound under any sequence of sets and deletes, counting its size exactly', () => {
    const cache = cacheOf(64, 200);
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const model = new Map<string, { value: string; size: number }>();
    for (let i = 0; i < 5000; i++) {
      const key = `k${random(40)}`;
      if (random(5) === 0) {
        cache.delete(key);
        model.delete(key);
      } else {
        const entry = { value: `v${i}`, size: random(80) };
        cache.set(key, entry.value, entry.size);
        model.set(key, entry);
      }
      const { size: total, entries } = cache.stats();
      expect(total).toBeLessThanOrEqual(200);
      let counted = 0;
      let present = 0;
      for (const [k, { value, size }] of model) {
        const got = cache.get(k);
        if (got === undefined) continue;
        expect(got).toBe(value);
        counted += size;
        present++;
      }
      expect([counted, present]).toEqual([total, entries]);
    }
  });
});

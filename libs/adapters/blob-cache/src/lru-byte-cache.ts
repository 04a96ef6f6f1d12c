/**
 * A bounded map of byte buffers, least recently used first out. Two bounds, both in bytes: no
 * entry larger than `maxEntryBytes` is kept, and the entries kept never add up to more than
 * `maxTotalBytes`. Either bound at 0 keeps nothing. Buffers are held as given, not copied.
 */
export interface LruByteCacheLimits {
  maxEntryBytes: number;
  maxTotalBytes: number;
}

export interface LruByteCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
}

export class LruByteCache {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly limits: LruByteCacheLimits) {}

  /** Whether `size` bytes may be kept at all (within the per-entry and the total bound). */
  admits(size: number): boolean {
    return this.limits.maxEntryBytes > 0 && this.limits.maxTotalBytes > 0 && size <= this.limits.maxEntryBytes && size <= this.limits.maxTotalBytes;
  }

  get(key: string): Buffer | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Keeps `value` as the most recently used entry, evicting the least recently used ones to make room; ignores a value it does not admit. */
  set(key: string, value: Buffer): void {
    this.delete(key);
    if (!this.admits(value.length)) return;
    this.entries.set(key, value);
    this.bytes += value.length;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.limits.maxTotalBytes) break;
      this.entries.delete(oldest);
      this.bytes -= old.length;
    }
  }

  delete(key: string): boolean {
    const value = this.entries.get(key);
    if (value === undefined) return false;
    this.entries.delete(key);
    this.bytes -= value.length;
    return true;
  }

  stats(): LruByteCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
  }
}

/**
 * A bounded map, least recently used first out, where each entry weighs the size its caller
 * gives on `set` (bytes of a buffer, characters of a document's JSON, ...). Two bounds in that
 * unit: no entry larger than `maxEntrySize` is kept, and the entries kept never add up to more
 * than `maxTotalSize`. Either bound at 0 keeps nothing. Values are held as given, not copied.
 */
export interface LruBySizeLimits {
  maxEntrySize: number;
  maxTotalSize: number;
}

export interface LruBySizeStats {
  entries: number;
  /** The sum of the sizes of the entries kept. */
  size: number;
}

export class LruBySize<K, V> {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<K, { value: V; size: number }>();
  private size = 0;

  constructor(private readonly limits: LruBySizeLimits) {}

  /** Whether anything may be kept at all (both bounds above 0). */
  get enabled(): boolean {
    return this.limits.maxEntrySize > 0 && this.limits.maxTotalSize > 0;
  }

  /** Whether an entry of `size` may be kept (within the per-entry and the total bound). */
  admits(size: number): boolean {
    return this.enabled && size <= this.limits.maxEntrySize && size <= this.limits.maxTotalSize;
  }

  /** The value under `key`, which becomes the most recently used entry. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * Keeps `value` as the most recently used entry, evicting the least recently used ones to make
   * room. A value it does not admit is not kept, and any earlier value under `key` is dropped.
   */
  set(key: K, value: V, size: number): void {
    this.delete(key);
    if (!this.admits(size)) return;
    this.entries.set(key, { value, size });
    this.size += size;
    for (const [oldest, entry] of this.entries) {
      if (this.size <= this.limits.maxTotalSize) break;
      this.entries.delete(oldest);
      this.size -= entry.size;
    }
  }

  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.size -= entry.size;
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.size = 0;
  }

  stats(): LruBySizeStats {
    return { entries: this.entries.size, size: this.size };
  }
}

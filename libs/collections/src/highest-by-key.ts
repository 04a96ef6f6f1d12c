import { LruBySize } from './lru-by-size';

/**
 * Per key, the value with the highest `sequence` offered so far, for at most `maxKeys` keys
 * (the least recently used forgotten first). A process's memory of facts that only move forward
 * (a package applied through a sequence, the newest version it stored): a lower offer never
 * replaces a higher one, so a forgotten or missing key only means "ask the store".
 */
export class HighestByKey<V extends { sequence: number } = { sequence: number }> {
  private readonly entries: LruBySize<string, V>;

  constructor(maxKeys: number) {
    this.entries = new LruBySize({ maxEntrySize: 1, maxTotalSize: maxKeys });
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  /** The highest sequence kept for `key`; 0 when none is. */
  sequence(key: string): number {
    return this.entries.get(key)?.sequence ?? 0;
  }

  /** Keeps `value` for `key` if its sequence is higher than the one kept. */
  offer(key: string, value: V): void {
    if (value.sequence > this.sequence(key)) this.entries.set(key, value, 1);
  }
}

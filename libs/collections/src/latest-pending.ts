/**
 * Items kept until they are written, the latest per key: a recorder of last uses (a release's last
 * pull, a token's last use) notes each use here and writes the whole map as one batch now and
 * then, so a key is written at most once per batch however often it is used. `flush` runs one
 * write at a time, in order; a write that fails puts its items back (merged, the later instant
 * winning) for the next, and rejects.
 */
export class LatestPending<T> {
  private pending = new Map<string, T>();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly keyOf: (item: T) => string,
    /** An instant that orders an item's versions (ISO 8601 strings compare as text). */
    private readonly instantOf: (item: T) => string,
    private readonly write: (batch: T[]) => Promise<void>,
  ) {}

  /** How many keys wait to be written. */
  get size(): number {
    return this.pending.size;
  }

  add(item: T): void {
    const key = this.keyOf(item);
    const seen = this.pending.get(key);
    if (!seen || this.instantOf(seen) < this.instantOf(item)) this.pending.set(key, item);
  }

  /** Writes what was added since the last write, after the writes already started. */
  flush(): Promise<void> {
    const next = this.writing.catch(() => undefined).then(() => this.writePending());
    this.writing = next;
    return next;
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.write(batch);
    } catch (error) {
      for (const item of batch) this.add(item);
      throw error;
    }
  }
}

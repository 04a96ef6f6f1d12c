/**
 * A rebuild of a projection (the metadata store, the search index, the blob reference counts)
 * from the event log, while the live projection keeps serving. Obtained from the projection's
 * port (`rebuild()`); driven by the replay command (services/tools/src/projection-replay.ts).
 *
 * Life cycle: `store` starts EMPTY, in storage of its own (a new table, collection generation or
 * index); the replay folds the whole log into it through the port's ordinary write methods;
 * `switchOver()` makes it the live projection in one atomic step; or `abort()` drops it.
 */
export interface ProjectionRebuild<S> {
  /**
   * The fresh projection: the same port and contract as the live one, over its own, initially
   * empty storage. Nothing written here is visible through the live store before `switchOver`,
   * and nothing written to the live store shows up here.
   */
  readonly store: S;

  /**
   * Replaces the live projection's content with `store`'s, atomically: a reader of the live
   * store sees either all of the old content or all of the new, never a mix or an empty
   * projection. The live store object (and any other instance on the same storage) reads and
   * writes the new content from then on; the old storage is dropped (at once, or, where other
   * processes may still be using it, by the next rebuild). `store` must not be used
   * afterwards. Writes made to the live projection during the rebuild are NOT carried over:
   * the caller re-applies the log's tail to the live store after the switch (the projections'
   * per-package sequence makes that harmless). Fails, changing nothing, when called twice or
   * after `abort`.
   *
   * Resolves with how long other processes' instances may keep using the old storage (cached
   * pointers), in milliseconds: the caller keeps folding the log into the live store at least
   * that long before it stops. 0 where the switch is seen by everyone at once.
   */
  switchOver(): Promise<number>;

  /** Drops the fresh storage; the live projection is untouched. Idempotent; a no-op after `switchOver`. */
  abort(): Promise<void>;
}

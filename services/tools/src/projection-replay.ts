/**
 * Rebuilds one projection from the event log while the registry keeps serving, then switches
 * over (the port's ProjectionRebuild):
 *
 *   1. `rebuild()` gives an empty projection in fresh storage;
 *   2. a consumer group of the replay's own (`replay-<projection>-<time>`, so it starts at the
 *      beginning of the log and moves no live group's checkpoint) folds every event into it,
 *      until its lag is 0: the fresh projection has caught up with the log's end;
 *   3. the switch, between two batches: the fresh projection becomes the live one atomically;
 *   4. the same subscription keeps folding, now into the LIVE store, for as long as other
 *      processes may still write to the old storage (what `switchOver` answers) and until the
 *      lag is 0 again. Events appended during the rebuild that the live projectors applied to
 *      the old storage are applied again to the new one here; everywhere else re-application
 *      changes nothing, because every projection skips a package's sequences at or below what
 *      it has applied. The live projectors go on from their own checkpoints.
 *
 * Before the switch a projection may fold with `applyRebuilding` instead of `apply` (the
 * MongoDB metadata store's bulk writes): the fresh storage has no other writer and no reader.
 *
 * Progress (events done, rate, ETA) is reported every `progressEveryMs`. A batch that keeps
 * failing (`maxFailures` times in a row) stops the replay; before the switch the fresh storage
 * is dropped and the live projection was never touched.
 */
import type { StoredEvent } from '@wharf/contracts';
import { EventLog, ProjectionRebuild, UnappliableEventsError } from '@wharf/ports';

export interface ReplayedProjection<S> {
  /** The projection's name: progress lines and the replay's consumer group. */
  name: string;
  /** The live projection; the rebuild is started from it. */
  live: { rebuild(): Promise<ProjectionRebuild<S>> } & S;
  /** Folds a batch into a store of this projection, idempotently (per-package sequences). */
  apply(store: S, events: StoredEvent[]): Promise<void>;
  /**
   * Folds a batch into the FRESH store, before the switch, when that can be done faster than
   * `apply`: the replay is the only writer of the fresh storage and no one reads it yet, so it
   * may skip what `apply` pays for concurrent writers (a compare-and-set per package). Must
   * leave the store exactly as `apply` of the same batches would. Default: `apply`.
   */
  applyRebuilding?(store: S, events: StoredEvent[]): Promise<void>;
  /** Largest batch handed to `apply` (ReplayOptions.batchSize wins). Default 1000. */
  batchSize?: number;
}

export type ReplayPhase = 'rebuilding' | 'switching' | 'tail' | 'done';

export interface ReplayProgress {
  projection: string;
  phase: ReplayPhase;
  /** Events of the log folded so far (into the fresh projection, then into the live one). */
  done: number;
  /** Events in the log not yet folded by the replay. */
  remaining: number;
  /** Events per second since the start. */
  rate: number;
  /** Seconds until caught up at the current rate; null before the first event. */
  etaSeconds: number | null;
  /** The last failure of a batch, while it is being retried. */
  lastError?: string;
}

export interface ReplayReport {
  projection: string;
  /** Events in the log at the switch, all folded into the fresh projection. */
  rebuilt: number;
  /** Events appended after that, folded into the live projection (the tail). */
  tail: number;
  seconds: number;
  /** Events folded before the switch, per second of the rebuild phase. */
  eventsPerSecond: number;
}

export interface ReplayOptions {
  batchSize?: number;
  progressEveryMs?: number;
  onProgress?: (progress: ReplayProgress) => void;
  /** Consecutive failures of a batch before the replay gives up. Default 5. */
  maxFailures?: number;
  /** How often the lag is polled. Default 100 ms. */
  pollMs?: number;
}

export class ReplayFailedError extends Error {
  constructor(projection: string, cause: unknown) {
    super(`replay of ${projection} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'ReplayFailedError';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function replayProjection<S>(
  log: EventLog,
  projection: ReplayedProjection<S>,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const started = Date.now();
  const maxFailures = options.maxFailures ?? 5;
  const pollMs = options.pollMs ?? 100;
  const rebuild = await projection.live.rebuild();
  let target: S = rebuild.store;
  let phase: ReplayPhase = 'rebuilding';
  let failures = 0;
  let lastError: string | undefined;
  let fatal: unknown = null;
  // The handler and the switch run one at a time: no batch straddles the switch.
  let turn: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = turn.then(fn);
    turn = run.catch(() => undefined);
    return run;
  };

  const subscription = await log.subscribe(
    { group: `replay-${projection.name}-${started}`, batchSize: options.batchSize ?? projection.batchSize ?? 1000 },
    (events) =>
      exclusive(async () => {
        if (fatal) throw fatal;
        try {
          if (target === rebuild.store && projection.applyRebuilding) await projection.applyRebuilding(target, events);
          else await projection.apply(target, events);
        } catch (error) {
          // The rest of the batch was applied; the log sets these aside, as for the live projectors.
          if (error instanceof UnappliableEventsError) throw error;
          lastError = (error as Error)?.message ?? String(error);
          if (++failures >= maxFailures) fatal = error;
          throw error;
        }
        failures = 0;
        lastError = undefined;
      }),
  );

  let rebuilt = 0;
  let rebuildSeconds = 0;
  let lastReport = 0;
  // Counted from the log (its size less the replay group's lag), so a redelivered batch is not counted twice.
  const report = async (remaining: number, force = false) => {
    if (!options.onProgress || (!force && Date.now() - lastReport < (options.progressEveryMs ?? 1000))) return;
    lastReport = Date.now();
    const done = Math.max(0, (await log.count()) - remaining);
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    options.onProgress({
      projection: projection.name,
      phase,
      done,
      remaining,
      rate,
      etaSeconds: rate > 0 ? remaining / rate : null,
      ...(lastError ? { lastError } : {}),
    });
  };
  /** Polls until the replay's group has folded everything appended so far. */
  const caughtUp = async (notBefore = 0) => {
    for (;;) {
      if (fatal) throw fatal;
      const remaining = await subscription.lag();
      await report(remaining);
      if (remaining === 0 && Date.now() >= notBefore) return;
      await sleep(pollMs);
    }
  };

  try {
    try {
      await caughtUp();
      phase = 'switching';
      const settleMs = await exclusive(async () => {
        // Nothing is being folded now and the lag was 0: the log's size is what the fresh projection holds.
        rebuilt = await log.count();
        const ms = await rebuild.switchOver();
        rebuildSeconds = (Date.now() - started) / 1000;
        target = projection.live;
        return ms;
      });
      phase = 'tail';
      await caughtUp(Date.now() + settleMs);
    } catch (error) {
      await rebuild.abort().catch(() => undefined);
      throw new ReplayFailedError(projection.name, error);
    }
  } finally {
    await subscription.stop();
  }
  phase = 'done';
  await report(0, true);
  const total = await log.count();
  return {
    projection: projection.name,
    rebuilt,
    tail: Math.max(0, total - rebuilt),
    seconds: (Date.now() - started) / 1000,
    eventsPerSecond: rebuildSeconds > 0 ? rebuilt / rebuildSeconds : 0,
  };
}

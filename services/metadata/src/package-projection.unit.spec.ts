import type { EventEnvelope } from '@wharf/contracts';
import {
  PackageEvent,
  PackageView,
  chartVersionsOf,
  emptyPackageView,
  evolve,
  evolveHeadAll,
  packageHead,
  releaseNames,
} from '@wharf/domain';
import {
  InMemoryMetadataStore,
  RecordingMetrics,
  TEST_PACKAGE,
  addedToChannel,
  commandMeta,
  published,
  deleted,
} from '@wharf/testing';
import { envelopesFor } from './event-envelopes';
import { PackageProjection, STORE_BEHIND } from './package-projection';
import { ChartIndexStore, DependencyUnavailableError, UnappliableEventsError } from '@wharf/ports';
import { JsonLogger } from '@wharf/config';
import { ChartIndexProjection } from './chart-index-projection';

/** Envelopes for `events` at sequences from+1, from+2, ... of the test package. */
function stream(from: number, ...events: PackageEvent[]): EventEnvelope[] {
  return events.map(
    (event, i) => envelopesFor(TEST_PACKAGE, from + i, [event], commandMeta({ commandId: `c${from + i + 1}` }))[0],
  );
}

function fold(envelopes: readonly EventEnvelope[]) {
  return envelopes.reduce(evolve, emptyPackageView(TEST_PACKAGE));
}

describe('PackageProjection', () => {
  let store: InMemoryMetadataStore;
  let projection: PackageProjection;

  beforeEach(() => {
    store = new InMemoryMetadataStore();
    projection = new PackageProjection(store);
  });

  it('folds events into a package the store has never seen, and stores the result', async () => {
    const events = stream(0, published({ release: '1.0.0' }), addedToChannel({ release: '1.0.0' }));

    const view = await projection.apply(TEST_PACKAGE, events);

    expect(view).toEqual(fold(events));
    expect(await store.get(TEST_PACKAGE)).toEqual(view);
    expect(store.putAttempts).toEqual([{ pkg: TEST_PACKAGE, sequence: 2, expectedSequence: 0, stored: true }]);
  });

  it('folds events in sequence order whatever order they arrive in', async () => {
    const events = stream(
      0,
      published({ release: '1.0.0' }),
      published({ release: '2.0.0' }),
      deleted({ release: '1.0.0' }),
    );

    const view = await projection.apply(TEST_PACKAGE, [events[2], events[0], events[1]]);

    expect(releaseNames(view)).toEqual(['2.0.0']);
    expect(view.sequence).toBe(3);
  });

  it('continues from the stored sequence with a compare-and-set on it', async () => {
    const first = stream(0, published({ release: '1.0.0' }));
    await projection.apply(TEST_PACKAGE, first);
    const next = stream(1, published({ release: '2.0.0' }));

    const view = await projection.apply(TEST_PACKAGE, next);

    expect(view).toEqual(fold([...first, ...next]));
    expect(store.putAttempts.at(-1)).toEqual({ pkg: TEST_PACKAGE, sequence: 2, expectedSequence: 1, stored: true });
  });

  it('skips a redelivered batch entirely: nothing is written and the stored view is returned', async () => {
    const events = stream(0, published({ release: '1.0.0' }), published({ release: '2.0.0' }));
    await projection.apply(TEST_PACKAGE, events);
    const stored = await store.get(TEST_PACKAGE);

    const view = await projection.apply(TEST_PACKAGE, events);

    expect(view).toEqual(stored);
    expect(store.putAttempts).toHaveLength(1);
  });

  it('skips events at or below the stored sequence without folding them again', async () => {
    await projection.apply(TEST_PACKAGE, stream(0, published({ release: '1.0.0' }), published({ release: '2.0.0' })));
    // A different event claiming sequence 2 would show up in the view if it were folded.
    const impostor = stream(1, published({ release: '6.6.6' }))[0];
    const third = stream(2, published({ release: '3.0.0' }))[0];

    const view = await projection.apply(TEST_PACKAGE, [impostor, third]);

    expect(releaseNames(view).sort()).toEqual(['1.0.0', '2.0.0', '3.0.0']);
    expect(view.sequence).toBe(3);
  });

  it('refuses a gap between the stored sequence and the next event, writing nothing', async () => {
    await projection.apply(TEST_PACKAGE, stream(0, published({ release: '1.0.0' })));
    const before = await store.get(TEST_PACKAGE);

    await expect(projection.apply(TEST_PACKAGE, stream(2, published({ release: '3.0.0' })))).rejects.toThrow(/gap/);

    expect(await store.get(TEST_PACKAGE)).toEqual(before);
    expect(store.putAttempts).toHaveLength(1);
  });

  it('parks a package behind a gap: every event after it is rejected as unappliable, to be set aside', async () => {
    await projection.apply(TEST_PACKAGE, stream(0, published({ release: '1.0.0' })));
    const after = stream(2, published({ release: '3.0.0' }), addedToChannel({ release: '3.0.0' }));

    const failure = await projection.apply(TEST_PACKAGE, after).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UnappliableEventsError);
    expect((failure as UnappliableEventsError).rejected).toEqual(
      after.map((event) => ({
        event,
        reason: expect.stringMatching(/parked at sequence 1 \(event 2 was set aside\)/),
      })),
    );
    expect((await store.get(TEST_PACKAGE))?.sequence).toBe(1);
  });

  it('refuses a batch that starts past sequence 1 for a package the store has never seen', async () => {
    await expect(projection.apply(TEST_PACKAGE, stream(1, published({ release: '2.0.0' })))).rejects.toThrow(/gap/);
    expect(await store.get(TEST_PACKAGE)).toBeNull();
  });

  it('when the compare-and-set loses to a writer that applied the same events, returns that view', async () => {
    const events = stream(0, published({ release: '1.0.0' }), published({ release: '2.0.0' }));
    store.beforeNextPut(() => store.seed(fold(events)));

    const view = await projection.apply(TEST_PACKAGE, events);

    expect(view).toEqual(fold(events));
    expect(store.putAttempts.map((p) => p.stored)).toEqual([false]);
  });

  it('when the compare-and-set loses to a writer that applied part of the batch, re-reads and folds the rest', async () => {
    const events = stream(
      0,
      published({ release: '1.0.0' }),
      published({ release: '2.0.0' }),
      addedToChannel({ release: '2.0.0' }),
    );
    store.beforeNextPut(() => store.seed(fold(events.slice(0, 1))));

    const view = await projection.apply(TEST_PACKAGE, events);

    expect(view).toEqual(fold(events));
    expect(await store.get(TEST_PACKAGE)).toEqual(view);
    expect(store.putAttempts.map((p) => [p.expectedSequence, p.stored])).toEqual([
      [0, false],
      [1, true],
    ]);
  });

  describe("the writer's apply of the events it appended, when the store is behind them (a replay's switch)", () => {
    let metrics: RecordingMetrics;
    let lines: Record<string, unknown>[];

    beforeEach(() => {
      metrics = new RecordingMetrics();
      lines = [];
      const logger = new JsonLogger('info', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
      projection = new PackageProjection(store, null, metrics, logger);
    });

    /** The store answers its stored view, and after `reads` reads, the view `caughtUp` (the replay's tail folded it in). */
    function catchingUpAfter(reads: number, caughtUp: PackageView) {
      const get = store.get.bind(store);
      let read = 0;
      return jest.spyOn(store, 'get').mockImplementation(async (pkg) => {
        if (++read === reads) store.seed(caughtUp);
        return get(pkg);
      });
    }

    it('waits for the missing events and then applies its own, instead of rejecting them', async () => {
      const [first, missing, appended] = stream(
        0,
        published({ release: '1.0.0' }),
        published({ release: '2.0.0' }),
        addedToChannel({ release: '2.0.0' }),
      );
      await projection.apply(TEST_PACKAGE, [first]);
      const reads = catchingUpAfter(3, fold([first, missing]));

      const view = await projection.applyAppended(TEST_PACKAGE, [appended]);

      expect(view).toEqual(fold([first, missing, appended]));
      expect(await store.get(TEST_PACKAGE)).toEqual(view);
      expect(reads.mock.calls.length).toBeGreaterThanOrEqual(3);
      expect(metrics.counted).toEqual(['metadata store wait caught_up']);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'info',
          msg: 'metadata store caught up with the events just appended',
          outcome: 'caught_up',
          package: TEST_PACKAGE,
          through_sequence: 3,
          reads: 3,
          waited_ms: expect.any(Number),
        }),
      ]);
    });

    it('counts and logs nothing when the store was not behind', async () => {
      await projection.applyAppended(TEST_PACKAGE, stream(0, published({ release: '1.0.0' })));
      expect([metrics.counted, lines]).toEqual([[], []]);
    });

    it('answers an outage (the client retries), not events to set aside, when the store stays behind', async () => {
      jest.useFakeTimers();
      try {
        await projection.apply(TEST_PACKAGE, stream(0, published({ release: '1.0.0' })));
        const outcome = projection
          .applyAppended(TEST_PACKAGE, stream(2, published({ release: '3.0.0' })))
          .catch((error: unknown) => error);
        await jest.advanceTimersByTimeAsync(STORE_BEHIND.reads * STORE_BEHIND.pauseMs);

        const failure = await outcome;
        expect(failure).toBeInstanceOf(DependencyUnavailableError);
        expect((failure as Error).message).toMatch(/behind the events just appended/);
        expect((await store.get(TEST_PACKAGE))?.sequence).toBe(1);
        expect(metrics.counted).toEqual(['metadata store wait gave_up']);
        expect(lines).toEqual([
          expect.objectContaining({
            level: 'warn',
            msg: 'metadata store still behind the events just appended: answered 503',
            outcome: 'gave_up',
            package: TEST_PACKAGE,
            through_sequence: 3,
            reads: STORE_BEHIND.reads,
          }),
        ]);
      } finally {
        jest.useRealTimers();
      }
    });

    it('counts and logs a wait the store ends with another failure, and passes that failure on', async () => {
      await projection.apply(TEST_PACKAGE, stream(0, published({ release: '1.0.0' })));
      const outage = new DependencyUnavailableError('the metadata store', { cause: new Error('connection reset') });
      const get = store.get.bind(store);
      let read = 0;
      jest.spyOn(store, 'get').mockImplementation(async (pkg) => {
        if (++read === 2) throw outage;
        return get(pkg);
      });

      await expect(projection.applyAppended(TEST_PACKAGE, stream(2, published({ release: '3.0.0' })))).rejects.toBe(
        outage,
      );

      expect(metrics.counted).toEqual(['metadata store wait failed']);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'warn',
          msg: 'metadata store failed while the writer waited for it to catch up',
          outcome: 'failed',
          package: TEST_PACKAGE,
          through_sequence: 3,
          reads: 2,
        }),
      ]);
    });

    it('records the charts of the view it put, not of an older generation the store reads back after its put', async () => {
      const synced: number[] = [];
      // A chart index that lacks the package's earlier events: it asks for the whole view.
      const charts = {
        applyChanges: async () => 'behind' as const,
        sync: async (c: { sequence: number }) => synced.push(c.sequence) > 0,
      };
      projection = new PackageProjection(store, new ChartIndexProjection(charts as unknown as ChartIndexStore));
      const [first, second] = stream(0, published({ release: '1.0.0' }), published({ release: '2.0.0' }));
      await projection.apply(TEST_PACKAGE, [first]);
      synced.length = 0;
      const before = { head: packageHead(fold([first])), rows: [] };
      const after = evolveHeadAll(before, [second]);
      // The first read after the put answers the generation the put missed (still at sequence 1).
      const get = store.get.bind(store);
      jest.spyOn(store, 'get').mockImplementationOnce(async () => fold([first]));

      await projection.applyHead(TEST_PACKAGE, [second], before, after);

      expect(synced).toEqual([2]);
      expect(await get(TEST_PACKAGE)).toEqual(fold([first, second]));
      expect(chartVersionsOf((await get(TEST_PACKAGE))!).sequence).toBe(2);
    });
  });

  it('gives up after a bounded number of lost compare-and-sets', async () => {
    const put = jest.spyOn(store, 'put').mockResolvedValue(false);

    await expect(projection.apply(TEST_PACKAGE, stream(0, published({ release: '1.0.0' })))).rejects.toThrow(
      /could not store/,
    );

    expect(put.mock.calls.length).toBeGreaterThan(1);
    expect(put.mock.calls.length).toBeLessThanOrEqual(10);
  });
});

import { StoredEvent, currentEventVersion, validateForProduce } from '@wharf/contracts';
import { PackageView, emptyPackageView, evolveAll } from '@wharf/domain';
import { UnappliableEventsError } from '@wharf/ports';
import { InMemoryMetadataStore, published } from '@wharf/testing';
import type { RebuiltPut } from '@wharf/adapters/metadata-mongo';
import { MetadataRebuildFold, RebuiltMetadataStore } from './metadata-rebuild-fold';

/** The `sequence`th event of `pkg`: a publication of release `1.<sequence>.0`. */
function event(pkg: string, sequence: number): StoredEvent {
  return {
    ...validateForProduce({
      type: 'ReleasePublished',
      version: currentEventVersion('ReleasePublished'),
      id: `${pkg}#${sequence}`,
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, sequence)).toISOString(),
      correlationId: `c${sequence}`,
      causationId: `c${sequence}`,
      package: pkg,
      sequence,
      data: published({ release: `1.${sequence}.0` }).data,
    }),
    position: `${pkg}:${sequence}`,
  };
}

const history = (pkg: string, last: number): PackageView =>
  evolveAll(
    emptyPackageView(pkg),
    Array.from({ length: last }, (_, i) => event(pkg, i + 1)),
  );

/** A rebuild's store over the in-memory adapter: each bulk put is `put`, and a write can be made to fail part-way. */
class RecordingStore implements RebuiltMetadataStore {
  readonly views = new InMemoryMetadataStore();
  readonly reads: string[] = [];
  readonly writes: { pkg: string; expectedSequence: number }[][] = [];
  /** Puts of the next bulk write stored before it fails (null: it does not fail). */
  failAfter: number | null = null;

  async get(pkg: string): Promise<PackageView | null> {
    this.reads.push(pkg);
    return this.views.get(pkg);
  }

  async putRebuilt(puts: readonly RebuiltPut[]): Promise<void> {
    this.writes.push(puts.map((p) => ({ pkg: p.view.package, expectedSequence: p.expectedSequence })));
    for (const [i, put] of puts.entries()) {
      if (this.failAfter === i) {
        this.failAfter = null;
        throw new Error('connection reset');
      }
      if (!(await this.views.put(put.view, put.expectedSequence)))
        throw new Error(`${put.view.package} is not stored at ${put.expectedSequence}`);
    }
  }
}

describe('MetadataRebuildFold', () => {
  let store: RecordingStore;

  beforeEach(() => {
    store = new RecordingStore();
  });

  it('folds packages new to the generation without reading them, and carries a package across batches', async () => {
    const fold = new MetadataRebuildFold();

    await fold.apply(store, [event('a/x', 1), event('a/x', 2), event('b/y', 1)]);
    await fold.apply(store, [event('b/y', 2), event('a/x', 3)]);

    expect(store.reads).toEqual([]);
    expect(store.writes).toEqual([
      [
        { pkg: 'a/x', expectedSequence: 0 },
        { pkg: 'b/y', expectedSequence: 0 },
      ],
      [
        { pkg: 'b/y', expectedSequence: 1 },
        { pkg: 'a/x', expectedSequence: 2 },
      ],
    ]);
    expect(await store.views.get('a/x')).toEqual(history('a/x', 3));
    expect(await store.views.get('b/y')).toEqual(history('b/y', 2));
  });

  it('reads back a package it stored but no longer carries', async () => {
    const fold = new MetadataRebuildFold(0);

    await fold.apply(store, [event('a/x', 1)]);
    await fold.apply(store, [event('a/x', 2), event('b/y', 1)]);

    expect(store.reads).toEqual(['a/x']);
    expect(await store.views.get('a/x')).toEqual(history('a/x', 2));
  });

  it('after a write that failed part-way, reads the batch back and stores only what is missing', async () => {
    const fold = new MetadataRebuildFold();
    const batch = [event('a/x', 1), event('b/y', 1), event('b/y', 2)];
    store.failAfter = 1;

    await expect(fold.apply(store, batch)).rejects.toThrow(/connection reset/);
    await fold.apply(store, batch);

    expect(store.reads.sort()).toEqual(['a/x', 'b/y']);
    expect(store.writes.at(-1)).toEqual([{ pkg: 'b/y', expectedSequence: 0 }]);
    expect(await store.views.get('a/x')).toEqual(history('a/x', 1));
    expect(await store.views.get('b/y')).toEqual(history('b/y', 2));
  });

  it('sets aside the events of a package behind a gap and stores the others', async () => {
    const fold = new MetadataRebuildFold();

    const failure = await fold.apply(store, [event('a/x', 1), event('b/y', 2)]).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UnappliableEventsError);
    expect((failure as UnappliableEventsError).rejected.map((r) => r.event.id)).toEqual(['b/y#2']);
    expect(await store.views.get('a/x')).toEqual(history('a/x', 1));
    expect(await store.views.get('b/y')).toBeNull();
  });
});

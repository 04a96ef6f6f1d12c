import { EventEnvelope, StoredEvent, validateForProduce } from '@wharf/contracts';
import { PackageEvent, describingRow, emptyPackageView, evolveAll, newestRow, searchDocumentFrom } from '@wharf/domain';
import {
  NewestRowsRequest,
  SearchDocument,
  SearchIndex,
  SearchRow,
  SearchUpdate,
  StoredSearchRows,
  UnappliableEventsError,
} from '@wharf/ports';
import { InMemoryEventLog, addedToChannel, chartMetadata, published, deleted } from '@wharf/testing';
import { SearchProjector } from './search-projector';

/**
 * A strict in-memory SearchIndex (unit tests only): copies in and out, never moves a document
 * backwards, keeps rows per package and answers `newestRows` by the domain's rules.
 */
class InMemorySearchIndex implements SearchIndex {
  private readonly docs = new Map<string, string>();
  private readonly rows = new Map<string, Map<string, SearchRow>>();
  readonly putManyCalls: SearchUpdate[][] = [];
  readonly getManyCalls: string[][] = [];
  readonly newestRowsCalls: string[][] = [];

  async getMany(packages: readonly string[]): Promise<Map<string, SearchDocument>> {
    this.getManyCalls.push([...packages]);
    const found = new Map<string, SearchDocument>();
    for (const pkg of packages) {
      const text = this.docs.get(pkg);
      if (text !== undefined) found.set(pkg, JSON.parse(text) as SearchDocument);
    }
    return found;
  }

  async putMany(updates: readonly SearchUpdate[]): Promise<void> {
    this.putManyCalls.push(JSON.parse(JSON.stringify(updates)) as SearchUpdate[]);
    for (const { document, rows = [], deletedRows = [] } of updates) {
      const stored = this.docs.get(document.package);
      if (stored !== undefined && (JSON.parse(stored) as SearchDocument).sequence >= document.sequence) continue;
      const held = this.rows.get(document.package) ?? new Map<string, SearchRow>();
      for (const row of deletedRows) held.delete(`${row.mediaType}\0${row.release}`);
      for (const row of rows)
        held.set(`${row.mediaType}\0${row.release}`, JSON.parse(JSON.stringify(row)) as SearchRow);
      this.rows.set(document.package, held);
      const { view: _view, ...doc } = document;
      this.docs.set(document.package, JSON.stringify(doc));
    }
  }

  async newestRows(requests: readonly NewestRowsRequest[]): Promise<Map<string, StoredSearchRows>> {
    this.newestRowsCalls.push(requests.map((r) => r.package));
    const found = new Map<string, StoredSearchRows>();
    for (const { package: pkg, excluding } of requests) {
      const rows = [...(this.rows.get(pkg)?.values() ?? [])].filter(
        (r) => !excluding.some((x) => x.release === r.release && x.mediaType === r.mediaType),
      );
      found.set(pkg, { newest: newestRow(rows), described: describingRow(rows) });
    }
    return found;
  }

  /** Stores a document as it is (one of the former layout, say). */
  seed(doc: SearchDocument): void {
    this.docs.set(doc.package, JSON.stringify(doc));
  }

  async listRows(packages: readonly string[]): Promise<Map<string, SearchRow[]>> {
    return new Map(packages.map((pkg) => [pkg, this.rowsOf(pkg)]));
  }

  /** The package's rows, by (media type, release). */
  rowsOf(pkg: string): SearchRow[] {
    return [...(this.rows.get(pkg)?.values() ?? [])].sort((a, b) =>
      `${a.mediaType}\0${a.release}` < `${b.mediaType}\0${b.release}` ? -1 : 1,
    );
  }

  async search(): Promise<string[]> {
    throw new Error('not used by the projector');
  }

  async rebuild(): Promise<never> {
    throw new Error('not used by the projector');
  }

  async count(): Promise<number> {
    return [...this.docs.values()].filter((text) => (JSON.parse(text) as SearchDocument).active).length;
  }

  async close(): Promise<void> {}

  get(pkg: string): SearchDocument | undefined {
    const text = this.docs.get(pkg);
    return text === undefined ? undefined : (JSON.parse(text) as SearchDocument);
  }

  snapshot(): string {
    return JSON.stringify([[...this.docs.entries()].sort(), [...this.rows.keys()].sort().map((p) => this.rowsOf(p))]);
  }
}

/** Builds stored events per package, continuing each package's stream, in the order given. */
function eventStream() {
  const sequences = new Map<string, number>();
  let position = 0;
  return (pkg: string, event: PackageEvent): StoredEvent => {
    const last = sequences.get(pkg) ?? 0;
    sequences.set(pkg, last + 1);
    position++;
    const envelope = validateForProduce({
      type: event.type,
      version: 1,
      id: `event-${position}`,
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, position)).toISOString(),
      correlationId: `request-${position}`,
      causationId: `${pkg}#${last + 1}`,
      package: pkg,
      sequence: last + 1,
      data: event.data,
    } as EventEnvelope);
    return { ...envelope, position: String(position) };
  };
}

describe('SearchProjector', () => {
  let index: InMemorySearchIndex;
  let projector: SearchProjector;

  beforeEach(() => {
    index = new InMemorySearchIndex();
    projector = new SearchProjector(new InMemoryEventLog(), index);
  });

  it('folds a batch touching several packages with one read and one write', async () => {
    const next = eventStream();
    const batch = [
      next('ns1/app1', published({ release: '1.0.0', mediaType: 'helm' })),
      next('ns2/other', published({ release: '0.1.0', mediaType: 'kpm', visibility: 'private' })),
      next('ns1/app1', published({ release: '1.1.0-beta.1', mediaType: 'helm' })),
      next('ns1/app1', addedToChannel({ release: '1.0.0' })),
    ];

    await projector.handle(batch);

    expect(index.getManyCalls).toEqual([['ns1/app1', 'ns2/other']]);
    expect(index.putManyCalls).toHaveLength(1);
    expect(index.get('ns1/app1')).toMatchObject({
      namespace: 'ns1',
      name: 'app1',
      sequence: 3,
      active: true,
      visibility: 'public',
      mediaTypes: ['helm'],
      manifestCounts: [{ mediaType: 'helm', count: 2 }],
      updatedAt: batch[3].occurredAt,
    });
    expect(index.rowsOf('ns1/app1').map((r) => [r.release, r.sequence])).toEqual([
      ['1.0.0', 1],
      ['1.1.0-beta.1', 2],
    ]);
    expect(index.get('ns2/other')).toMatchObject({
      sequence: 1,
      active: true,
      visibility: 'private',
      mediaTypes: ['kpm'],
    });
    expect(index.rowsOf('ns2/other').map((r) => r.release)).toEqual(['0.1.0']);
  });

  it('continues each package from its stored document, writing only the rows its events touch', async () => {
    const next = eventStream();
    await projector.handle([next('ns1/app1', published({ release: '1.0.0' }))]);

    await projector.handle([next('ns1/app1', published({ release: '2.0.0', mediaType: 'kpm' }))]);

    expect(index.get('ns1/app1')).toMatchObject({
      sequence: 2,
      mediaTypes: ['helm', 'kpm'],
    });
    expect(index.rowsOf('ns1/app1').map((r) => r.release)).toEqual(['1.0.0', '2.0.0']);
    expect(index.putManyCalls[1]!.map((u) => u.rows?.map((r) => r.release))).toEqual([['2.0.0']]);
    expect(index.newestRowsCalls).toEqual([]);
  });

  it('a redelivered batch changes nothing', async () => {
    const next = eventStream();
    const batch = [
      next('ns1/app1', published({ release: '1.0.0' })),
      next('ns2/other', published({ release: '1.0.0' })),
    ];
    await projector.handle(batch);
    const before = index.snapshot();

    await projector.handle(batch);

    expect(index.snapshot()).toBe(before);
    expect(index.putManyCalls).toHaveLength(1);
  });

  it('a batch overlapping what was indexed folds only the new events', async () => {
    const next = eventStream();
    const first = next('ns1/app1', published({ release: '1.0.0' }));
    await projector.handle([first]);
    // A different event claiming sequence 1 would show up if it were folded again.
    const impostor = { ...first, data: published({ release: '6.6.6' }).data };
    const second = next('ns1/app1', published({ release: '2.0.0' }));

    await projector.handle([impostor, second]);

    expect(index.rowsOf('ns1/app1').map((r) => r.release)).toEqual(['1.0.0', '2.0.0']);
  });

  it('parks a package behind a gap (its events rejected as unappliable, its document kept) and indexes the others', async () => {
    const next = eventStream();
    await projector.handle([next('ns1/app1', published({ release: '1.0.0' }))]);
    next('ns1/app1', published({ release: '2.0.0' }));
    const third = next('ns1/app1', published({ release: '3.0.0' }));
    const other = next('ns2/other', published({ release: '0.1.0' }));

    const failure = await projector.handle([third, other]).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UnappliableEventsError);
    expect((failure as UnappliableEventsError).rejected).toEqual([
      { event: third, reason: expect.stringMatching(/gap.*parked at sequence 1/) },
    ]);
    expect(index.get('ns1/app1')?.sequence).toBe(1);
    expect(index.get('ns2/other')?.sequence).toBe(1);
  });

  describe('description and keywords', () => {
    it('come from the newest release by semver, not the latest pushed', async () => {
      const next = eventStream();
      await projector.handle([
        next(
          'ns1/app1',
          published({ release: '2.0.0', chart: chartMetadata({ description: 'two', keywords: ['b'] }) }),
        ),
        next(
          'ns1/app1',
          published({ release: '1.0.0', chart: chartMetadata({ description: 'one', keywords: ['a'] }) }),
        ),
      ]);

      expect(index.get('ns1/app1')).toMatchObject({ description: 'two', keywords: ['b'] });
    });

    it('skip newer releases that carry no chart metadata', async () => {
      const next = eventStream();
      await projector.handle([
        next(
          'ns1/app1',
          published({ release: '1.0.0', chart: chartMetadata({ description: 'charted', keywords: ['k'] }) }),
        ),
        next('ns1/app1', published({ release: '2.0.0', mediaType: 'kpm', chart: null })),
      ]);

      expect(index.get('ns1/app1')).toMatchObject({ description: 'charted', keywords: ['k'] });
    });

    it('count a pre-release of a higher version as newer', async () => {
      const next = eventStream();
      await projector.handle([
        next('ns1/app1', published({ release: '1.9.0', chart: chartMetadata({ description: 'stable' }) })),
        next('ns1/app1', published({ release: '2.0.0-rc.1', chart: chartMetadata({ description: 'candidate' }) })),
      ]);

      expect(index.get('ns1/app1')?.description).toBe('candidate');
    });

    it('follow a forced re-push of the newest release', async () => {
      const next = eventStream();
      await projector.handle([
        next('ns1/app1', published({ release: '1.0.0', chart: chartMetadata({ description: 'before' }) })),
      ]);
      // As the decider records a forced push: naming what it replaced.
      const replaced = { apprDigest: 'a'.repeat(64), blobDigest: 'b'.repeat(64) };
      await projector.handle([
        next('ns1/app1', published({ release: '1.0.0', chart: chartMetadata({ description: 'after' }), replaced })),
      ]);

      expect(index.get('ns1/app1')?.description).toBe('after');
      expect(index.get('ns1/app1')?.manifestCounts).toEqual([{ mediaType: 'helm', count: 1 }]);
    });

    it('are empty when no release carries chart metadata', async () => {
      const next = eventStream();
      await projector.handle([next('ns1/app1', published({ release: '1.0.0', chart: null }))]);

      expect(index.get('ns1/app1')).toMatchObject({ description: '', keywords: [] });
    });

    it('fall back to the next release with a chart when the newest one is deleted', async () => {
      const next = eventStream();
      await projector.handle([
        next('ns1/app1', published({ release: '1.0.0', chart: chartMetadata({ description: 'old' }) })),
        next('ns1/app1', published({ release: '2.0.0', chart: chartMetadata({ description: 'new' }) })),
      ]);
      await projector.handle([next('ns1/app1', deleted({ release: '2.0.0' }))]);

      expect(index.get('ns1/app1')?.description).toBe('old');
    });
  });

  it('a package whose last release is deleted becomes inactive, with its sequence moving on', async () => {
    const next = eventStream();
    await projector.handle([
      next('ns1/app1', published({ release: '1.0.0' })),
      next('ns2/other', published({ release: '1.0.0' })),
    ]);

    await projector.handle([next('ns1/app1', deleted({ release: '1.0.0' }))]);

    expect(index.get('ns1/app1')).toMatchObject({ active: false, sequence: 2, mediaTypes: [], releasedAt: null });
    expect(index.rowsOf('ns1/app1')).toEqual([]);
    expect(index.get('ns2/other')?.active).toBe(true);
    expect(await index.count()).toBe(1);
  });

  it('a package pushed again after being emptied is active again', async () => {
    const next = eventStream();
    await projector.handle([
      next('ns1/app1', published({ release: '1.0.0' })),
      next('ns1/app1', deleted({ release: '1.0.0' })),
    ]);

    await projector.handle([next('ns1/app1', published({ release: '2.0.0' }))]);

    expect(index.get('ns1/app1')).toMatchObject({ active: true, sequence: 3 });
    expect(index.rowsOf('ns1/app1').map((r) => r.release)).toEqual(['2.0.0']);
  });

  it('a push reads no rows, whatever the package holds: one read, one write of its own row and the document', async () => {
    const next = eventStream();
    await projector.handle(Array.from({ length: 50 }, (_, i) => next('ns1/big', published({ release: `1.${i}.0` }))));
    const [reads, writes] = [index.getManyCalls.length, index.putManyCalls.length];

    await projector.handle([next('ns1/big', published({ release: '2.0.0', mediaType: 'kpm' }))]);

    expect(index.getManyCalls.length - reads).toBe(1);
    expect(index.putManyCalls.slice(writes)).toEqual([
      [{ document: index.get('ns1/big'), rows: [expect.objectContaining({ release: '2.0.0' })], deletedRows: [] }],
    ]);
    expect(index.newestRowsCalls).toEqual([]);
  });

  it('a delete of the newest release finds the new newest time and description in the rows, not in a view', async () => {
    const next = eventStream();
    const first = next('ns1/app1', published({ release: '1.0.0', chart: chartMetadata({ description: 'one' }) }));
    await projector.handle([
      first,
      next('ns1/app1', published({ release: '3.0.0', mediaType: 'kpm', chart: null })),
      next('ns1/app1', published({ release: '2.0.0', chart: chartMetadata({ description: 'two' }) })),
    ]);
    expect(index.get('ns1/app1')).toMatchObject({ description: 'two', mediaTypes: ['helm', 'kpm'] });

    await projector.handle([
      next('ns1/app1', deleted({ release: '2.0.0' })),
      next('ns1/app1', deleted({ release: '3.0.0', mediaType: 'kpm' })),
    ]);

    expect(index.newestRowsCalls).toEqual([['ns1/app1']]);
    expect(index.get('ns1/app1')).toMatchObject({
      description: 'one',
      mediaTypes: ['helm'],
      releasedAt: first.occurredAt,
      describedBy: { release: '1.0.0', mediaType: 'helm' },
    });
  });

  it('asks the index for the rows of every package a batch deleted from in one lookup, and for no other', async () => {
    const next = eventStream();
    const seed = ['ns1/a', 'ns1/b', 'ns1/c'].flatMap((pkg) => [
      next(pkg, published({ release: '1.0.0', chart: chartMetadata({ description: `${pkg} one` }) })),
      next(pkg, published({ release: '2.0.0', chart: chartMetadata({ description: `${pkg} two` }) })),
    ]);
    await projector.handle(seed);

    await projector.handle([
      next('ns1/a', deleted({ release: '2.0.0' })),
      next('ns1/b', deleted({ release: '2.0.0' })),
      next('ns1/c', published({ release: '3.0.0', chart: chartMetadata({ description: 'ns1/c three' }) })),
    ]);

    expect(index.newestRowsCalls).toEqual([['ns1/a', 'ns1/b']]);
    expect(index.putManyCalls).toHaveLength(2);
    expect(['ns1/a', 'ns1/b', 'ns1/c'].map((pkg) => index.get(pkg)?.description)).toEqual([
      'ns1/a one',
      'ns1/b one',
      'ns1/c three',
    ]);
  });

  it('moves a document of the former layout (its whole view) to rows on its next event', async () => {
    const next = eventStream();
    const events = [
      next('ns1/app1', published({ release: '1.0.0', chart: chartMetadata({ description: 'one' }) })),
      next('ns1/app1', published({ release: '2.0.0', chart: chartMetadata({ description: 'two' }) })),
    ];
    const view = evolveAll(emptyPackageView('ns1/app1'), events);
    const { manifestCounts: _counts, describedBy: _by, ...former } = searchDocumentFrom(view);
    index.seed({ ...former, releases: ['2.0.0', '1.0.0'], view } as unknown as SearchDocument);

    const deleteNewest = next('ns1/app1', deleted({ release: '2.0.0' }));
    await projector.handle([deleteNewest]);

    expect(index.get('ns1/app1')).toEqual(searchDocumentFrom(evolveAll(view, [deleteNewest])));
    expect(index.get('ns1/app1')).toMatchObject({ sequence: 3, description: 'one' });
    expect(index.get('ns1/app1')).not.toHaveProperty('view');
    expect(index.rowsOf('ns1/app1').map((r) => r.release)).toEqual(['1.0.0']);
  });

  describe('the document equals the one derived from the whole view', () => {
    const charted = (description: string) => chartMetadata({ description, keywords: [description] });
    const replaced = { apprDigest: 'a'.repeat(64), blobDigest: 'b'.repeat(64) };
    /** Pushes, forced re-pushes, deletes (of the newest, of the describing manifest, of everything), visibility, channels, imports. */
    const story: PackageEvent[] = [
      published({ release: '1.0.0', chart: charted('one') }),
      published({ release: '1.0.0', mediaType: 'kpm', chart: charted('one kpm') }),
      published({ release: '2.0.0', mediaType: 'kpm', chart: null }),
      published({ release: '0.5.0', chart: charted('half'), createdAt: '2020-01-01T00:00:00.000Z' }),
      addedToChannel({ release: '1.0.0' }),
      published({ release: '1.0.0', chart: charted('one forced'), replaced }),
      published({ release: '3.0.0-rc.1', chart: charted('candidate') }),
      deleted({ release: '3.0.0-rc.1' }),
      { type: 'PackageVisibilityChanged', data: { visibility: 'private' } } as PackageEvent,
      deleted({ release: '2.0.0', mediaType: 'kpm' }),
      published({ release: '1.0.0', mediaType: 'kpm', chart: null, replaced }),
      published({ release: '0.5.0', chart: charted('half again'), replaced, createdAt: '2019-01-01T00:00:00.000Z' }),
      deleted({ release: '1.0.0' }),
      deleted({ release: '1.0.0', mediaType: 'kpm' }),
      deleted({ release: '0.5.0' }),
      published({ release: '4.0.0', chart: charted('reborn'), visibility: 'public' }),
      published({ release: '4.0.1', mediaType: 'kpm', chart: charted('kpm only') }),
    ];

    it.each([1, 2, 3, 5, story.length])('in batches of %i events', async (size) => {
      const next = eventStream();
      const events = story.map((e) => next('ns1/app1', e));
      for (let at = 0; at < events.length; at += size) {
        await projector.handle(events.slice(at, at + size));
        const view = evolveAll(emptyPackageView('ns1/app1'), events.slice(0, at + size));
        expect({ after: at + size, doc: index.get('ns1/app1') }).toEqual({
          after: at + size,
          doc: searchDocumentFrom(view),
        });
        expect(
          index
            .rowsOf('ns1/app1')
            .map((r) => `${r.mediaType} ${r.release} ${r.createdAt}`)
            .sort(),
        ).toEqual(view.manifests.map((m) => `${m.mediaType} ${m.release} ${m.createdAt}`).sort());
      }
    });
  });
});

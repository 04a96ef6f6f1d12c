import { EventEnvelope, StoredEvent, validateForProduce } from '@wharf/contracts';
import type { PackageEvent } from '@wharf/domain';
import { SearchDocument, SearchIndex, UnappliableEventsError } from '@wharf/ports';
import { InMemoryEventLog, addedToChannel, chartMetadata, published, deleted } from '@wharf/testing';
import { SearchProjector } from './search-projector';

/** A strict in-memory SearchIndex (unit tests only): copies in and out, never moves a document backwards. */
class InMemorySearchIndex implements SearchIndex {
  private readonly docs = new Map<string, string>();
  readonly putManyCalls: SearchDocument[][] = [];
  readonly getManyCalls: string[][] = [];

  async getMany(packages: readonly string[]): Promise<Map<string, SearchDocument>> {
    this.getManyCalls.push([...packages]);
    const found = new Map<string, SearchDocument>();
    for (const pkg of packages) {
      const text = this.docs.get(pkg);
      if (text !== undefined) found.set(pkg, JSON.parse(text) as SearchDocument);
    }
    return found;
  }

  async putMany(documents: readonly SearchDocument[]): Promise<void> {
    this.putManyCalls.push(JSON.parse(JSON.stringify(documents)) as SearchDocument[]);
    for (const doc of documents) {
      const stored = this.docs.get(doc.package);
      if (stored === undefined || (JSON.parse(stored) as SearchDocument).sequence < doc.sequence)
        this.docs.set(doc.package, JSON.stringify(doc));
    }
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
    return JSON.stringify([...this.docs.entries()].sort());
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
      releases: ['1.1.0-beta.1', '1.0.0'],
      updatedAt: batch[3].occurredAt,
    });
    expect(index.get('ns2/other')).toMatchObject({
      sequence: 1,
      active: true,
      visibility: 'private',
      mediaTypes: ['kpm'],
      releases: ['0.1.0'],
    });
  });

  it('continues each package from the view stored in its document', async () => {
    const next = eventStream();
    await projector.handle([next('ns1/app1', published({ release: '1.0.0' }))]);

    await projector.handle([next('ns1/app1', published({ release: '2.0.0', mediaType: 'kpm' }))]);

    expect(index.get('ns1/app1')).toMatchObject({
      sequence: 2,
      releases: ['2.0.0', '1.0.0'],
      mediaTypes: ['helm', 'kpm'],
    });
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

    expect(index.get('ns1/app1')?.releases).toEqual(['2.0.0', '1.0.0']);
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
      await projector.handle([
        next('ns1/app1', published({ release: '1.0.0', chart: chartMetadata({ description: 'after' }) })),
      ]);

      expect(index.get('ns1/app1')?.description).toBe('after');
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

    expect(index.get('ns1/app1')).toMatchObject({ active: false, sequence: 2, releases: [], mediaTypes: [] });
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

    expect(index.get('ns1/app1')).toMatchObject({ active: true, sequence: 3, releases: ['2.0.0'] });
  });
});

import {
  TEST_PACKAGE,
  addedToChannel,
  deleted,
  foldEvents,
  published,
  pushRelease,
  recorded,
  testDigest,
} from '@wharf/testing';
import type { PackageEvent, RecordedEvent } from './package.events';
import { assertPushFitsHead, assertPushFitsPackage, evolveAll } from './package.decider';
import {
  ManifestRow,
  assembleView,
  headFieldsOf,
  manifestChanges,
  packageHead,
  rowsOfView,
  summaryOfHead,
} from './package.head';
import { summarizePackage } from './package.summary';
import { PackageView, emptyPackageView, findManifest } from './package.view';

/** Deterministic runs of publications, republications, deletes and channel changes. */
function history(seed: number, length: number): PackageEvent[] {
  let x = seed;
  const next = (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  return Array.from({ length }, (_, i) => {
    const release = `1.${next(8)}.0`;
    const mediaType = next(4) === 0 ? 'kpm' : 'helm';
    const roll = next(10);
    if (roll < 6) return published({ release, mediaType, blobDigest: testDigest(`${seed}-${i}`) });
    if (roll < 9) return deleted({ release, mediaType });
    return addedToChannel({ channel: 'stable', release });
  });
}

/** Rows as a store keeps them: applying each run's changes to the rows of the run before. */
function applyChanges(rows: Map<string, ManifestRow>, view: PackageView, events: RecordedEvent[]): void {
  const changes = manifestChanges(view, events);
  for (const d of changes.deleted) rows.delete(`${d.release} ${d.mediaType}`);
  for (const row of changes.published) rows.set(`${row.manifest.release} ${row.manifest.mediaType}`, row);
}

describe('package heads and rows', () => {
  it('should give back, run after run, the very view evolve folds from the head fields and the rows the changes leave', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const events = history(seed, 60).map((e, i) => recorded(e, i + 1));
      let view = emptyPackageView(TEST_PACKAGE);
      const rows = new Map<string, ManifestRow>();
      for (let start = 0; start < events.length; start += 1 + (seed % 7)) {
        const run = events.slice(start, start + 1 + (seed % 7));
        view = evolveAll(view, run);
        applyChanges(rows, view, run);

        expect(JSON.stringify(assembleView(headFieldsOf(view), [...rows.values()]))).toBe(JSON.stringify(view));
      }
    }
  });

  it('should take the rows of a whole view in its order, ahead of any later publication', () => {
    const first = evolveAll(emptyPackageView(TEST_PACKAGE), [
      recorded(published({ release: '2.0.0' }), 1),
      recorded(published({ release: '1.0.0' }), 2),
    ]);
    const rows = new Map(rowsOfView(first).map((r) => [`${r.manifest.release} ${r.manifest.mediaType}`, r]));
    const run = [recorded(published({ release: '2.0.0', blobDigest: testDigest('forced') }), 3)];
    const next = evolveAll(first, run);
    applyChanges(rows, next, run);

    expect(assembleView(headFieldsOf(next), [...rows.values()])).toEqual(next);
  });

  it('should summarise a package from its head as from its view', () => {
    const view = evolveAll(emptyPackageView(TEST_PACKAGE), [
      recorded(published({ release: '1.0.0' }), 1),
      recorded(published({ release: '1.10.0', mediaType: 'kpm' }), 2),
      recorded(published({ release: '1.10.0' }), 3),
    ]);

    expect(summaryOfHead(packageHead(view))).toEqual(summarizePackage(view));
    expect(packageHead(view)).not.toHaveProperty('manifests');
  });
});

describe('assertPushFitsHead', () => {
  /** A package with 1.0.0 (with metadata), 2.0.0 deleted, private. */
  const view = foldEvents(TEST_PACKAGE, [
    published({ release: '1.0.0', metadata: { note: 'x'.repeat(40) }, visibility: 'private' }),
    published({ release: '2.0.0', visibility: 'private' }),
    deleted({ release: '2.0.0' }),
  ]);
  const head = packageHead(view);
  const outcome = (run: () => unknown) => {
    try {
      return { returned: run() ?? null };
    } catch (error) {
      return { threw: (error as { code?: string }).code };
    }
  };

  it('should refuse and accept exactly the pushes the whole view refuses and accepts', () => {
    const commands = [
      pushRelease({ release: '3.0.0', visibility: 'private' }),
      pushRelease({ release: '1.0.0' }),
      pushRelease({ release: '1.0.0', force: true }),
      pushRelease({ release: '1.0.0', force: true, allowOverwrites: false }),
      pushRelease({ release: '2.0.0', allowOverwrites: false, content: { blobDigest: testDigest('other bytes') } }),
      pushRelease({
        release: '2.0.0',
        allowOverwrites: false,
        content: { blobDigest: view.tombstones![0]!.blobDigest },
      }),
      pushRelease({ release: '3.0.0', visibility: 'public', visibilityRequested: true }),
      pushRelease({ release: '3.0.0', metadata: { more: 'y'.repeat(40) }, maxPackageMetadataBytes: 80 }),
      pushRelease({ release: '3.0.0', metadata: { more: 'y' }, maxPackageMetadataBytes: 80 }),
    ];
    const codes = commands.map((command) => {
      const existing = findManifest(view, command.release, command.mediaType);
      const fromHead = outcome(() => assertPushFitsHead(command, head, existing));
      expect(fromHead).toEqual(outcome(() => assertPushFitsPackage(command, view)));
      return fromHead.threw ?? 'fits';
    });

    expect(codes).toEqual([
      'fits',
      'package-exists',
      'fits',
      'package-exists',
      'overwrite-forbidden',
      'fits',
      'visibility-conflict',
      'payload-too-large',
      'fits',
    ]);
  });
});

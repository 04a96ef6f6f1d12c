import {
  TEST_PACKAGE,
  addedToChannel,
  deleted,
  published,
  recorded,
  removedFromChannel,
  testDigest,
} from '@wharf/testing';
import { deepFreeze } from '@wharf/contracts';
import type { PackageEvent, RecordedEvent } from './package.events';
import { evolve, evolveAll } from './package.decider';
import { emptyPackageView } from './package.view';

/** A deterministic sequence of events of every kind, with many runs of publications that republish and follow deletes. */
function history(seed: number, length: number): PackageEvent[] {
  let x = seed;
  const next = (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  const events: PackageEvent[] = [];
  for (let i = 0; i < length; i++) {
    const release = `1.${next(12)}.0`;
    const mediaType = next(4) === 0 ? 'kpm' : 'helm';
    const roll = next(10);
    if (roll < 6)
      events.push(
        published({
          release,
          mediaType,
          blobDigest: testDigest(`${seed}-${i}`),
          visibility: next(2) === 0 ? 'private' : 'public',
          ...(next(3) === 0 ? { provenanceDigest: testDigest(`p${i}`), provenanceSize: i } : {}),
        }),
      );
    else if (roll < 8) events.push(deleted({ release, mediaType }));
    else if (roll < 9) events.push(addedToChannel({ channel: `c${next(2)}`, release }));
    else events.push(removedFromChannel({ channel: `c${next(2)}`, release, current: null }));
  }
  return events;
}

describe('evolveAll', () => {
  it('folds to exactly what evolve folds to, event by event, keys in the same order', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const events = history(seed, 60);
      const split = seed % 40;
      const before = deepFreeze(
        events
          .slice(0, split)
          .reduce(
            (state: ReturnType<typeof emptyPackageView>, e, i) => evolve(state, recorded(e, i + 1)),
            emptyPackageView(TEST_PACKAGE),
          ),
      );
      const rest: RecordedEvent[] = events.slice(split).map((e, i) => recorded(e, split + i + 1));
      expect(JSON.stringify(evolveAll(before, rest))).toBe(JSON.stringify(rest.reduce(evolve, before)));
    }
  });

  it('folds a long run of publications, republications included, as evolve does', () => {
    // How fast (one pass, where evolve copies the manifests once per event) is measured by the
    // import benchmark (bench/, docs/benchmarks.md "Import"), not here.
    const many = Array.from({ length: 3_000 }, (_, i) =>
      recorded(published({ release: `1.${i % 2_500}.0`, blobDigest: testDigest(`b${i}`) }), i + 1),
    );
    const view = evolveAll(emptyPackageView(TEST_PACKAGE), many);
    expect(view.manifests).toHaveLength(2_500);
    expect(view.sequence).toBe(3_000);
    expect(JSON.stringify(view)).toBe(JSON.stringify(many.reduce(evolve, emptyPackageView(TEST_PACKAGE))));
  });
});

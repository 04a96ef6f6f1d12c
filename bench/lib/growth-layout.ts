import { pushChart, SEARCH_NS, searchChart, searchPackage } from './charts';

/**
 * Which release the i-th seeded push of a scenario is, for every target and seeding path
 * (HTTP, bench/seed-wharf.ts, bench/cnr-seed.py through bench/run.ts), so they all hold the same
 * registry:
 *   - spread: namespace `growth`, packages g0…g<packages-1>, release 1.0.<i / packages> of package i % packages;
 *   - one:    namespace `growth1`, one package `one`, release 1.0.<i>;
 *   - search: namespace `registry`, package `searchPackage(i % packages)`, release 1.0.<i / packages>
 *             (rounds: every package's first release, then its second, …), a `searchChart`.
 */
export type GrowthLayout = 'spread' | 'one' | 'search';

export function growthRelease(
  layout: GrowthLayout,
  packages: number,
  i: number,
): { ns: string; name: string; release: string } {
  if (layout === 'one') return { ns: 'growth1', name: 'one', release: `1.0.${i}` };
  const release = `1.0.${Math.floor(i / packages)}`;
  if (layout === 'search') return { ns: SEARCH_NS, name: searchPackage(i % packages).name, release };
  return { ns: 'growth', name: `g${i % packages}`, release };
}

/** The archive of the i-th seeded push (the same bytes whichever path pushes it, in any process). */
export function growthChart(layout: GrowthLayout, packages: number, i: number): Buffer {
  const { name, release } = growthRelease(layout, packages, i);
  return layout === 'search' ? searchChart(i % packages, release) : pushChart(name, release);
}

/**
 * The pushes [from, to) of a scenario as an import source (services/tools/src/release-import.ts):
 * the same releases and archives as `growthRelease`/`growthChart`, grouped by package (each
 * package's releases in a row, so the import sends them in few commands).
 */
export function growthImportItems(
  layout: GrowthLayout,
  packages: number,
  from: number,
  to: number,
): { total: number; items(): AsyncIterable<GrowthImportItem> } {
  const width = layout === 'one' ? 1 : packages;
  return {
    total: Math.max(0, to - from),
    async *items() {
      for (let p = 0; p < width; p++) {
        const first = from + ((((p - from) % width) + width) % width);
        for (let i = first; i < to; i += width) {
          const { ns, name, release } = growthRelease(layout, packages, i);
          yield {
            kind: 'release' as const,
            origin: `${layout} #${i}`,
            namespace: ns,
            name,
            release,
            mediaType: 'helm',
            archive: growthChart(layout, packages, i),
          };
        }
      }
    },
  };
}

export interface GrowthImportItem {
  kind: 'release';
  origin: string;
  namespace: string;
  name: string;
  release: string;
  mediaType: string;
  archive: Buffer;
}

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

/** The archive of the i-th seeded push (the same bytes whichever path pushes it, padding aside). */
export function growthChart(layout: GrowthLayout, packages: number, i: number): Buffer {
  const { name, release } = growthRelease(layout, packages, i);
  return layout === 'search' ? searchChart(i % packages, release) : pushChart(name, release);
}

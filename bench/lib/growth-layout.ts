/**
 * Which release the i-th seeded push of a growth scenario is, for every target and seeding path
 * (HTTP, bench/seed-wharf.ts, bench/cnr-seed.py through bench/run.ts), so they all hold the same
 * registry:
 *   - spread: namespace `growth`, packages g0…g<packages-1>, release 1.0.<i / packages> of package i % packages;
 *   - one:    namespace `growth1`, one package `one`, release 1.0.<i>.
 */
export type GrowthLayout = 'spread' | 'one';

export function growthRelease(layout: GrowthLayout, packages: number, i: number): { ns: string; name: string; release: string } {
  if (layout === 'one') return { ns: 'growth1', name: 'one', release: `1.0.${i}` };
  return { ns: 'growth', name: `g${i % packages}`, release: `1.0.${Math.floor(i / packages)}` };
}

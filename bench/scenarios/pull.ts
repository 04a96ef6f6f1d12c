/**
 * Scenario `pull`: raw pulls of charts of three sizes, ten releases each, from every target.
 */
import { pool, pullPath, seedOne, sizedChart } from '../lib/charts';
import { Running } from '../lib/targets';
import { log, measure, rnd, withTargets } from '../lib/harness';
import { Report } from '../lib/report';

export const PULL_SIZES: [string, number][] = [
  ['4KB', 4 * 1024],
  ['100KB', 100 * 1024],
  ['5MB', 5 * 1024 * 1024],
];
export const PULL_RELEASES = 10;

export async function seedPull(running: Running[], sizes = PULL_SIZES): Promise<void> {
  for (const [label, size] of sizes) {
    const charts = Array.from({ length: PULL_RELEASES }, (_, i) =>
      sizedChart(`chart-${label.toLowerCase()}`, `1.0.${i}`, size, label),
    );
    for (const t of running) {
      const res = await pool(
        0,
        PULL_RELEASES,
        4,
        (i) => seedOne(t, 'pull', `chart-${label.toLowerCase()}`, `1.0.${i}`, charts[i]!),
        Date.now() + 300_000,
      );
      if (res.done !== PULL_RELEASES) throw new Error(`seeding pull ${label} on ${t.name}: ${res.lastError}`);
      // every target must serve the same bytes
      const got = Buffer.from(
        await (await fetch(`${t.url}${pullPath('pull', `chart-${label.toLowerCase()}`, '1.0.3')}`)).arrayBuffer(),
      );
      if (!got.equals(charts[3]!)) throw new Error(`${t.name} served different bytes for pull ${label}`);
    }
    log(`seeded pull ${label}: ${PULL_RELEASES} x ${charts[0]!.length} bytes`);
  }
}

/** BENCH_PULL_SIZES: the sizes to seed and pull, comma-separated labels (`5MB`); all when unset. */
const WANTED_SIZES = (process.env.BENCH_PULL_SIZES ?? '').split(',').filter(Boolean);

export async function scenarioPull(
  report: Report,
  sizes = PULL_SIZES.filter(([label]) => WANTED_SIZES.length === 0 || WANTED_SIZES.includes(label)),
): Promise<void> {
  await withTargets(false, async (running) => {
    await seedPull(running, sizes);
    for (const [label] of sizes) {
      const name = `chart-${label.toLowerCase()}`;
      for (const t of running) {
        await measure(report, t, 'pull', `pull ${label}`, {
          next: () => ({ path: pullPath('pull', name, `1.0.${rnd(PULL_RELEASES)}`) }),
        });
      }
    }
  });
}

import { pullPath } from '../lib/charts';
import { measure, rnd, withTargets } from '../lib/harness';
import { Report } from '../lib/report';
import { PULL_RELEASES, PULL_SIZES, seedPull } from './pull';

/**
 * The client ceiling: every pull case with both load generators, back to back, against each
 * target (`BENCH_TARGETS=wharf,nginx` for the comparison that matters). Needs wrk installed.
 */
export async function scenarioPullClients(report: Report): Promise<void> {
  await withTargets(false, async (running) => {
    await seedPull(running);
    for (const [label] of PULL_SIZES) {
      const name = `chart-${label.toLowerCase()}`;
      for (const generator of ['autocannon', 'wrk'] as const)
        for (const t of running)
          await measure(report, t, 'pull-clients', `pull ${label} (${generator})`, {
            generator,
            next: () => ({ path: pullPath('pull', name, `1.0.${rnd(PULL_RELEASES)}`) }),
          });
    }
  });
}

/**
 * Scenario `show-list`: a manifest's show and a namespace's list over 50 packages of 2 releases.
 */
import { API, pool, pushChart, seedOne } from '../lib/charts';
import { log, measure, rnd, withTargets } from '../lib/harness';
import { Report } from '../lib/report';

export async function scenarioShowList(report: Report): Promise<void> {
  const PKGS = 50;
  const RELS = 2;
  const charts = Array.from({ length: PKGS * RELS }, (_, i) =>
    pushChart(`p${Math.floor(i / RELS)}`, `1.0.${i % RELS}`),
  );
  await withTargets(true, async (running) => {
    for (const t of running) {
      const res = await pool(
        0,
        PKGS * RELS,
        4,
        (i) => seedOne(t, 'show', `p${Math.floor(i / RELS)}`, `1.0.${i % RELS}`, charts[i]!),
        Date.now() + 300_000,
      );
      if (res.failed) throw new Error(`seeding show on ${t.name}: ${res.lastError}`);
    }
    log(`seeded show-list: ${PKGS} packages x ${RELS} releases`);
    for (const t of running)
      await measure(report, t, 'show-list', 'show (GET manifest)', {
        next: () => ({ path: `${API}/show/p${rnd(PKGS)}/1.0.${rnd(RELS)}/helm` }),
      });
    for (const t of running)
      await measure(report, t, 'show-list', `list (namespace, ${PKGS} packages)`, {
        next: () => ({ path: `${API}?namespace=show` }),
      });
  });
}

/**
 * Scenario `memory`: each target's memory empty, seeded with pull charts, and at its peak under pulls.
 */
import { pullPath } from '../lib/charts';
import { rssMiB, pssMiB } from '../lib/targets';
import { measure, rnd, withTargets } from '../lib/harness';
import { Report } from '../lib/report';
import { PULL_RELEASES, seedPull } from './pull';

export async function scenarioMemory(report: Report): Promise<void> {
  const size: [string, number][] = [['100KB', 100 * 1024]];
  await withTargets(false, async (running) => {
    const empty = new Map(running.map((t) => [t.name, rssMiB(t.pid)]));
    await seedPull(running, size);
    await new Promise((r) => setTimeout(r, 3000));
    const seeded = new Map(running.map((t) => [t.name, [rssMiB(t.pid), pssMiB(t.pid)] as const]));
    for (const t of running) {
      const row = await measure(report, t, 'memory', 'pull 100KB (memory)', {
        next: () => ({ path: pullPath('pull', 'chart-100kb', `1.0.${rnd(PULL_RELEASES)}`) }),
      });
      report.memory.push({
        target: t.name,
        emptyRssMiB: empty.get(t.name)!,
        seededRssMiB: seeded.get(t.name)![0],
        seededPssMiB: seeded.get(t.name)![1],
        peakRssMiB: row.rssPeakMiB,
        peakPssMiB: row.pssPeakMiB,
      });
    }
  });
}

/**
 * Scenario `push`: pushes of distinct releases into one package, and of one release into many.
 */
import { API, pushBody, pushChart } from '../lib/charts';
import { measure, withTargets } from '../lib/harness';
import { Report } from '../lib/report';

export async function scenarioPush(report: Report): Promise<void> {
  await withTargets(true, async (running) => {
    for (const t of running) {
      let i = 0;
      await measure(report, t, 'push', 'push, one package (distinct releases)', {
        method: 'POST',
        maxRequests: 200_000,
        next: () => {
          const release = `1.0.${i++}`;
          return { path: `${API}/push/one`, body: pushBody(release, pushChart('one', release)) };
        },
      });
    }
    for (const t of running) {
      let i = 0;
      await measure(report, t, 'push', 'push, many packages (one release each)', {
        method: 'POST',
        maxRequests: 200_000,
        next: () => {
          const name = `m${i++}`;
          return { path: `${API}/push/${name}`, body: pushBody('1.0.0', pushChart(name, '1.0.0')) };
        },
      });
    }
  });
}

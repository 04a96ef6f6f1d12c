/**
 * Issue 15, item 6: does a burst of uploads of a chart that is small on the wire and large
 * unpacked (470 KB → 60 MiB, test/support/bulky-chart.ts) stall the rest of the server? Starts
 * an embedded Wharf (open mode, fresh data directory) from the given checkout's dist/, pushes
 * the chart once, then for each case fires 12 uploads at once while one client asks `GET
 * /version` back to back, and reports the /version latencies (p50, p99, max) during the burst,
 * the uploads' statuses and the server's peak RSS. Cases:
 *   - appr-duplicates: 12 re-pushes of the pushed release (every one a 409),
 *   - museum-duplicates: 12 ChartMuseum uploads of the same chart (409; the release is only
 *     known from Chart.yaml, so each is inspected),
 *   - appr-new: 12 pushes of new releases (each inspected and stored).
 *
 *   node -r ./scripts/dist-paths.js <build>/bench/upload-stall.js [wharfRoot] [label] [extra env as K=V ...]
 * wharfRoot defaults to this checkout; run it against a build of an older commit for "before".
 */
import { join, resolve } from 'node:path';
import { bulkyChart } from '../test/support/bulky-chart';
import { startBuild } from './lib/build-server';
import { rssMiB } from './lib/targets';

const ROOT = resolve(process.argv[2] ?? join(__dirname, '..', '..'));
const LABEL = process.argv[3] ?? 'wharf';
const EXTRA_ENV = Object.fromEntries(process.argv.slice(4).map((kv) => kv.split('=', 2) as [string, string]));
const UPLOADS = 12;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function burst(url: string, pid: number, name: string, send: (i: number) => Promise<Response>): Promise<void> {
  let done = false;
  let peak = rssMiB(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
  const latencies: number[] = [];
  const prober = (async () => {
    while (!done) {
      const t0 = performance.now();
      await (await fetch(`${url}/version`)).arrayBuffer();
      latencies.push(performance.now() - t0);
    }
  })();
  const t0 = performance.now();
  const statuses = await Promise.all(Array.from({ length: UPLOADS }, async (_, i) => (await send(i)).status));
  const wall = performance.now() - t0;
  done = true;
  await prober;
  clearInterval(sampler);
  const counts = Object.entries(statuses.reduce<Record<number, number>>((c, s) => ((c[s] = (c[s] ?? 0) + 1), c), {}))
    .map(([s, n]) => `${n}×${s}`)
    .join(' ');
  console.log(
    `| ${LABEL} | ${name} | ${counts} | ${(wall / 1000).toFixed(2)} s | ${latencies.length} | ${percentile(latencies, 50).toFixed(1)} | ${percentile(latencies, 99).toFixed(1)} | ${Math.max(...latencies).toFixed(1)} | ${peak.toFixed(0)} |`,
  );
}

async function main(): Promise<void> {
  const chart = bulkyChart('heavy', '1.0.0', 'bench');
  const newCharts = Array.from({ length: UPLOADS }, (_, i) => bulkyChart('heavy', `2.${i}.0`, 'bench'));
  const wharf = await startBuild(ROOT, { WHARF_AUTH_MODE: 'open', ...EXTRA_ENV }, 'inherit');
  try {
    const pid = wharf.child.pid!;
    const apprPush = (release: string, archive: Buffer) =>
      fetch(`${wharf.url}/cnr/api/v1/packages/bench/heavy`, {
        method: 'POST',
        body: JSON.stringify({ release, media_type: 'helm', blob: archive.toString('base64') }),
      });
    const first = await apprPush('1.0.0', chart);
    if (first.status !== 200) throw new Error(`seed push: ${first.status} ${await first.text()}`);
    const idle: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await (await fetch(`${wharf.url}/version`)).arrayBuffer();
      idle.push(performance.now() - t0);
    }
    console.log(
      `${LABEL}: idle /version p50 ${percentile(idle, 50).toFixed(1)} ms, p99 ${percentile(idle, 99).toFixed(1)} ms; idle RSS ${rssMiB(pid).toFixed(0)} MiB; chart ${chart.length} bytes`,
    );
    console.log(
      '| build | case | upload statuses | burst wall | /version n | p50 ms | p99 ms | max ms | peak RSS MiB |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    await burst(wharf.url, pid, 'appr-duplicates', () => apprPush('1.0.0', chart));
    await burst(wharf.url, pid, 'museum-duplicates', () =>
      fetch(`${wharf.url}/api/bench/charts`, {
        method: 'POST',
        headers: { 'content-type': 'application/gzip' },
        body: chart,
      }),
    );
    await burst(wharf.url, pid, 'appr-new', (i) => apprPush(`2.${i}.0`, newCharts[i]!));
  } finally {
    await wharf.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

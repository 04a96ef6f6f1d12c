/**
 * The Helm repository index at scale, against a running Wharf (either profile):
 *   - seeds one namespace with CHARTS × VERSIONS chart versions through the ChartMuseum API,
 *   - index build cost per push: the push latency into that namespace compared with pushes into
 *     an empty one (the chart index projection is written before the push answers), and the
 *     first index.yaml after a push (a cache miss: read the namespace's versions, render),
 *   - index.yaml response time once rendered (200 and 304), gzip and JSON forms, and sizes,
 *   - chart downloads (the .tgz the index names).
 * Prints medians and p99 in milliseconds.
 *
 *   npx tsc -p bench/tsconfig.json --outDir /tmp/wharf-bench
 *   node /tmp/wharf-bench/bench/helm-index.js [baseUrl] [charts] [versionsPerChart] [namespace]
 * With a namespace that a previous run seeded, seeding is skipped.
 *
 * HELM_INDEX_SERVER=chartmuseum runs the same against ChartMuseum started with `--depth 1`
 * (multitenant: the namespace is its repository): uploads go to the same `/api/<ns>/charts`,
 * the index is `/<ns>/index.yaml` instead of `/helm/<ns>/index.yaml`, and the rows ChartMuseum
 * has no counterpart for (index.json, `?latest=1`) are left out.
 */
import { randomUUID } from 'node:crypto';
import { chartArchive } from '../libs/testing/src/factories/chart-archive.factory';

const base = (process.argv[2] ?? 'http://127.0.0.1:5000').replace(/\/+$/, '');
const CHARTS = Number(process.argv[3] ?? 100);
const VERSIONS = Number(process.argv[4] ?? 50);
const CHARTMUSEUM = process.env.HELM_INDEX_SERVER === 'chartmuseum';
const REPO_PREFIX = CHARTMUSEUM ? '' : '/helm';
const CONCURRENCY = 8;
const SAMPLES = 20;

const percentile = (samples: number[], p: number) =>
  [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))];
const report = (name: string, samples: number[], extra = '') =>
  console.log(
    `${name.padEnd(52)} n=${String(samples.length).padEnd(5)} p50=${percentile(samples, 50).toFixed(1)} ms  p99=${percentile(samples, 99).toFixed(1)} ms${extra}`,
  );

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await fn();
  return [performance.now() - t0, value];
}

async function upload(ns: string, name: string, version: string): Promise<number> {
  const body = chartArchive({ name, version, salt: randomUUID() });
  const [ms, res] = await timed(() => fetch(`${base}/api/${ns}/charts`, { method: 'POST', body }));
  const text = await res.text();
  if (res.status !== 201) throw new Error(`upload ${ns}/${name}@${version}: ${res.status} ${text}`);
  return ms;
}

async function getIndex(
  ns: string,
  headers: Record<string, string> = {},
  file = 'index.yaml',
): Promise<{ ms: number; status: number; bytes: number; etag: string }> {
  const [ms, res] = await timed(() => fetch(`${base}${REPO_PREFIX}/${ns}/${file}`, { headers }));
  const body = Buffer.from(await res.arrayBuffer());
  return { ms, status: res.status, bytes: body.length, etag: res.headers.get('etag') ?? '' };
}

async function main() {
  const ns = process.argv[5] ?? `helmbench-${randomUUID().slice(0, 8)}`;
  const empty = `helmbench-empty-${randomUUID().slice(0, 8)}`;
  const total = CHARTS * VERSIONS;
  console.log(`target ${base}: namespace ${ns}, ${CHARTS} charts × ${VERSIONS} versions = ${total} chart versions`);

  const jobs: [string, string][] = [];
  const seeded = await (await fetch(`${base}/api/${ns}/charts`)).json().catch(() => ({}));
  const already = Object.values(seeded as Record<string, unknown[]>).reduce((n, versions) => n + versions.length, 0);
  if (already >= total) console.log(`namespace already holds ${already} versions: not seeding`);
  else {
    // A namespace seeded in part (a run cut short) gets the versions it lacks.
    const held = new Set(
      Object.entries(seeded as Record<string, { version: string }[]>).flatMap(([name, versions]) =>
        versions.map((v) => `${name}@${v.version}`),
      ),
    );
    for (let v = 0; v < VERSIONS; v++)
      for (let c = 0; c < CHARTS; c++) if (!held.has(`chart${c}@1.${v}.0`)) jobs.push([`chart${c}`, `1.${v}.0`]);
  }
  const seedLatencies: number[] = [];
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < jobs.length) {
        const [name, version] = jobs[next++];
        seedLatencies.push(await upload(ns, name, version));
      }
    }),
  );
  if (jobs.length > 0)
    console.log(
      `seeded ${jobs.length} versions in ${((performance.now() - t0) / 1000).toFixed(1)} s (${CONCURRENCY} concurrent uploads)`,
    );
  if (seedLatencies.length > 0) report('upload while seeding (concurrency 8)', seedLatencies);

  // Build cost per push: sequential uploads into the full namespace vs into an empty one.
  const intoEmpty: number[] = [];
  const intoFull: number[] = [];
  const firstIndexAfterPush: number[] = [];
  const run = randomUUID()
    .slice(0, 4)
    .replace(/[^0-9]/g, '1');
  for (let i = 0; i < SAMPLES; i++) {
    intoEmpty.push(await upload(empty, `solo${i}`, '1.0.0'));
    intoFull.push(await upload(ns, `chart${i % CHARTS}`, `2.${i}.${run}`));
    const first = await getIndex(ns);
    if (first.status !== 200) throw new Error(`index: ${first.status}`);
    firstIndexAfterPush.push(first.ms);
  }
  report('upload into an empty namespace (sequential)', intoEmpty);
  report(`upload into the ${total}-version namespace (sequential)`, intoFull);
  report('first index.yaml after a push (read + render)', firstIndexAfterPush);

  const warm: number[] = [];
  const notModified: number[] = [];
  const gzip: number[] = [];
  const json: number[] = [];
  const sizes = { yaml: 0, gzip: 0, json: 0 };
  for (let i = 0; i < SAMPLES; i++) {
    const r = await getIndex(ns);
    warm.push(r.ms);
    sizes.yaml = r.bytes;
    notModified.push((await getIndex(ns, { 'if-none-match': r.etag })).ms);
    const g = await timed(async () => {
      const res = await fetch(`${base}${REPO_PREFIX}/${ns}/index.yaml`, { headers: { 'accept-encoding': 'gzip' } });
      return Number(res.headers.get('content-length') ?? 0) || (await res.arrayBuffer()).byteLength;
    });
    gzip.push(g[0]);
    sizes.gzip = g[1];
    if (CHARTMUSEUM) continue;
    const j = await getIndex(ns, {}, 'index.json');
    json.push(j.ms);
    sizes.json = j.bytes;
  }
  report('index.yaml, rendered (200)', warm, `  ${(sizes.yaml / 1024).toFixed(0)} KiB`);
  report('index.yaml, If-None-Match (304)', notModified);
  report('index.yaml, gzip', gzip);

  // Chart downloads: a seeded version each time, at the URL the server's index names.
  const downloads: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const file = `chart${i % CHARTS}-1.${i % VERSIONS}.0.tgz`;
    const [ms, res] = await timed(() => fetch(`${base}${REPO_PREFIX}/${ns}/charts/${file}`));
    const bytes = (await res.arrayBuffer()).byteLength;
    if (res.status !== 200 || bytes === 0) throw new Error(`download ${file}: ${res.status}`);
    downloads.push(ms);
  }
  report('chart download (.tgz)', downloads);
  if (CHARTMUSEUM) return;
  report('index.json', json, `  ${(sizes.json / 1024).toFixed(0)} KiB`);
  const latest = await getIndex(ns, {}, 'index.yaml?latest=1');
  console.log(`index.yaml?latest=1: ${latest.ms.toFixed(1)} ms first time, ${(latest.bytes / 1024).toFixed(0)} KiB`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

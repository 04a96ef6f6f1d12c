/**
 * The web UI's budgets (issue 21), against a running Wharf in open mode (either profile):
 *   - the JavaScript and CSS a first page load fetches, raw and gzip-compressed (as served with
 *     Accept-Encoding: gzip);
 *   - a package page of a chart with VERSIONS versions: seeds them through the ChartMuseum API
 *     (skipped when the package has them already), then the page's time seen from the client (median
 *     and p99 of SAMPLES sequential requests) and size, plain and gzipped;
 *   - a package page of a chart whose README is 256 KiB of `[` (markdown-it's slowest input we
 *     found, about a second to render): the first answer (the archive opened, the README
 *     rendered) and the median of the next SAMPLES (the preview cached by archive digest).
 *
 *   npx tsc -p bench/tsconfig.json --outDir /tmp/wharf-bench
 *   node /tmp/wharf-bench/bench/ui-pages.js [baseUrl] [versions] [namespace]
 */
import { chartArchive } from '../libs/testing/src/factories/chart-archive.factory';

const base = (process.argv[2] ?? 'http://127.0.0.1:5000').replace(/\/+$/, '');
const VERSIONS = Number(process.argv[3] ?? 1000);
const NAMESPACE = process.argv[4] ?? 'uibench';
const CHART = 'many';
const CONCURRENCY = 8;
const SAMPLES = 30;

const percentile = (samples: number[], p: number) =>
  [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;

async function firstLoadAssets(): Promise<void> {
  const page = await (await fetch(`${base}/ui/`)).text();
  const urls = [...page.matchAll(/(?:src|href)="(\/ui\/-\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  for (const url of urls) {
    const raw = (await (await fetch(`${base}${url}`, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer())
      .byteLength;
    // fetch decodes gzip itself; the wire size is the Content-Length of the compressed answer.
    const gz = await fetch(`${base}${url}`, { headers: { 'accept-encoding': 'gzip' } });
    await gz.arrayBuffer();
    console.log(
      `${url}: ${raw} B raw, ${gz.headers.get('content-length')} B gzip (${gz.headers.get('content-encoding')})`,
    );
  }
}

async function seed(): Promise<void> {
  const listed = await fetch(`${base}/api/v1/packages/${NAMESPACE}/${CHART}`);
  const have = listed.ok ? ((await listed.json()) as unknown[]).length : 0;
  if (have >= VERSIONS) return;
  let next = have;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < VERSIONS; i = next++) {
        const tgz = chartArchive({ name: CHART, version: `1.${Math.floor(i / 100)}.${i % 100}` });
        const answer = await fetch(`${base}/api/${NAMESPACE}/charts`, { method: 'POST', body: tgz });
        if (answer.status !== 201) throw new Error(`push ${i}: ${answer.status} ${await answer.text()}`);
      }
    }),
  );
  console.log(`seeded ${VERSIONS - have} versions in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function packagePage(encoding: 'identity' | 'gzip'): Promise<void> {
  const url = `${base}/ui/${NAMESPACE}/${CHART}`;
  const samples: number[] = [];
  let html = '';
  let wire = '';
  for (let i = 0; i < SAMPLES + 2; i++) {
    const t = performance.now();
    const answer = await fetch(url, { headers: { 'accept-encoding': encoding } });
    html = await answer.text();
    if (answer.status !== 200) throw new Error(`${url}: ${answer.status}`);
    if (i >= 2) samples.push(performance.now() - t);
    wire = answer.headers.get('content-length') ?? '?';
  }
  const rows = html.split('<tr>').length - 2;
  console.log(
    `package page of ${VERSIONS} versions (${rows} rows shown), ${encoding}: median ${percentile(samples, 50).toFixed(1)} ms, p99 ${percentile(samples, 99).toFixed(1)} ms, ${Buffer.byteLength(html)} B HTML, ${wire} B on the wire`,
  );
}

async function hostileReadme(): Promise<void> {
  const name = `hostile-${Date.now()}`;
  const tgz = chartArchive({ name, extraEntries: [{ name: `${name}/README.md`, content: '['.repeat(256 * 1024) }] });
  const pushed = await fetch(`${base}/api/${NAMESPACE}/charts`, { method: 'POST', body: tgz });
  if (pushed.status !== 201) throw new Error(`push: ${pushed.status} ${await pushed.text()}`);
  const url = `${base}/ui/${NAMESPACE}/${name}`;
  const time = async () => {
    const t = performance.now();
    const answer = await fetch(url);
    await answer.text();
    if (answer.status !== 200) throw new Error(`${url}: ${answer.status}`);
    return performance.now() - t;
  };
  const first = await time();
  const next: number[] = [];
  for (let i = 0; i < SAMPLES; i++) next.push(await time());
  console.log(
    `package page, 256 KiB hostile README: first ${first.toFixed(1)} ms, then median ${percentile(next, 50).toFixed(1)} ms, p99 ${percentile(next, 99).toFixed(1)} ms`,
  );
}

async function main(): Promise<void> {
  await firstLoadAssets();
  await hostileReadme();
  await seed();
  await packagePage('identity');
  await packagePage('gzip');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

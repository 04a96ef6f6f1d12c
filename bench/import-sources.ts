/**
 * Import rate (charts/s) from each source `wharf import` reads, into the configured profile (the
 * same WHARF_* variables as `npm run import`): the same CHARTS growth charts (LAYOUT=spread over
 * PACKAGES packages, ~4 KB each) written as
 *
 * - a Helm repository by URL: index.yaml as `helm repo index` writes it, served by a child
 *   process (a static file server, keep-alive);
 * - a ChartMuseum storage directory (its --storage-local-rootdir: `<name>-<version>.tgz`);
 * - a cnr-server filesystem database (packages.json, each package's releases.json, the
 *   archives base64 under digests/sha256/<appr digest>);
 * - another Wharf's export: the ChartMuseum directory imported into a scratch embedded data
 *   directory, then `wharf export` (not timed).
 *
 * Each source goes into a namespace of its own (the export's is its own too), one after the
 * other, each by the compiled CLI as a process; the time is its wall time (reading the source,
 * the import, the folding). One JSON line per source. See docs/benchmarks.md, "Import".
 *
 *   npx tsc -p tsconfig.build.json && npx tsc -p bench/tsconfig.json --outDir /tmp/wharf-bench
 *   WHARF_DATA_DIR=/tmp/imports CHARTS=2000 PACKAGES=100 \
 *     node -r ./scripts/dist-paths.js /tmp/wharf-bench/bench/import-sources.js
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { growthChart, growthRelease } from './lib/growth-layout';

const SERVER = `
const http = require('node:http'), fs = require('node:fs'), path = require('node:path');
const root = process.argv[1];
const server = http.createServer((req, res) => {
  const file = path.join(root, decodeURIComponent(req.url.split('?')[0]));
  if (!file.startsWith(root)) return res.writeHead(403).end();
  fs.readFile(file, (err, body) => (err ? res.writeHead(404).end() : res.writeHead(200, { 'content-length': body.length }).end(body)));
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Chart {
  name: string;
  release: string;
  tgz: Buffer;
}

function chartsOf(count: number, packages: number): Chart[] {
  return Array.from({ length: count }, (_, i) => ({
    ...growthRelease('spread', packages, i),
    tgz: growthChart('spread', packages, i),
  }));
}

function writeHelmRepository(dir: string, charts: readonly Chart[]): void {
  mkdirSync(join(dir, 'charts'), { recursive: true });
  const entries = new Map<string, string[]>();
  for (const { name, release, tgz } of charts) {
    const file = `${name}-${release}.tgz`;
    writeFileSync(join(dir, 'charts', file), tgz);
    const list = entries.get(name) ?? [];
    list.push(
      `    - {apiVersion: v1, name: ${name}, version: ${release}, digest: ${sha256(tgz)}, urls: [charts/${file}], created: "2026-12-07T00:00:00Z"}`,
    );
    entries.set(name, list);
  }
  const body = [...entries].map(([name, versions]) => `  ${name}:\n${versions.join('\n')}\n`);
  writeFileSync(join(dir, 'index.yaml'), `apiVersion: v1\nentries:\n${body.join('')}`);
}

function writeChartmuseumStorage(dir: string, charts: readonly Chart[]): void {
  mkdirSync(dir, { recursive: true });
  for (const { name, release, tgz } of charts) writeFileSync(join(dir, `${name}-${release}.tgz`), tgz);
}

function writeCnrDatabase(dir: string, namespace: string, charts: readonly Chart[]): void {
  const prefix = join(dir, 'cnr', 'packages');
  const byName = new Map<string, Chart[]>();
  for (const c of charts) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  for (const [name, list] of byName) {
    const base = join(prefix, namespace, name);
    mkdirSync(join(base, 'digests', 'sha256'), { recursive: true });
    const releases: Record<string, unknown> = {};
    for (const { release, tgz } of list) {
      // appr's digest: the sha256 of the uncompressed tar.
      const digest = sha256(gunzipSync(tgz));
      writeFileSync(join(base, 'digests', 'sha256', digest), tgz.toString('base64'));
      releases[release] = {
        manifests: {
          helm: { metadata: null, created_at: '2026-12-07T00:00:00', content: { digest, size: tgz.length } },
        },
        channels: [],
      };
    }
    writeFileSync(join(base, 'releases.json'), JSON.stringify({ releases, channels: {} }));
  }
  const names = Object.fromEntries([...byName.keys()].map((n) => [n, {}]));
  writeFileSync(join(prefix, 'packages.json'), JSON.stringify({ packages: { [namespace]: names } }));
}

function wharf(
  root: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ seconds: number; out: string }> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      '-r',
      join(root, 'scripts', 'dist-paths.js'),
      join(root, 'dist', 'services', 'tools', 'src', 'cli', 'wharf.js'),
      ...args,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wharf ${args[0]} exited ${code}: ${out}`));
      resolve({ seconds: (Date.now() - started) / 1000, out });
    }),
  );
}

async function main(): Promise<void> {
  const root = process.env.WHARF_BENCH_ROOT ?? process.cwd();
  const count = Number(process.env.CHARTS ?? 10_000);
  const packages = Number(process.env.PACKAGES ?? 100);
  const only = (process.env.SOURCES ?? 'helm-repo,chartmuseum,cnr,export').split(',');
  const run = process.env.RUN ?? Date.now().toString(36);
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-import-sources-'));
  const server = spawn(process.execPath, ['-e', SERVER, join(dir, 'repo')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const charts = chartsOf(count, packages);
    writeHelmRepository(join(dir, 'repo'), charts);
    writeChartmuseumStorage(join(dir, 'chartmuseum'), charts);
    writeCnrDatabase(join(dir, 'cnr'), `cnr-${run}`, charts);
    const port = await new Promise<string>((resolve) =>
      server.stdout!.once('data', (c: Buffer) => resolve(c.toString().trim())),
    );
    // The export: the ChartMuseum directory imported into a scratch embedded directory, exported.
    const scratch = join(dir, 'scratch');
    const embedded = { WHARF_PROFILE: 'embedded', WHARF_DATA_DIR: scratch };
    if (only.includes('export')) {
      await wharf(
        root,
        ['import', '--from-chartmuseum', join(dir, 'chartmuseum'), '--namespace', `export-${run}`],
        embedded,
      );
      await wharf(root, ['export', '--out', join(dir, 'export')], embedded);
    }
    const sources: Record<string, string[]> = {
      'helm-repo': ['--from-helm-repo', `http://127.0.0.1:${port}`, '--namespace', `url-${run}`],
      chartmuseum: ['--from-chartmuseum', join(dir, 'chartmuseum'), '--namespace', `cm-${run}`],
      cnr: ['--from-cnr', join(dir, 'cnr')],
      export: ['--from-export', join(dir, 'export')],
    };
    for (const source of only) {
      const { seconds, out } = await wharf(root, ['import', ...sources[source]!]);
      const report = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
      process.stdout.write(
        JSON.stringify({
          source,
          profile: report.profile,
          charts: count,
          packages,
          imported: report.imported,
          skipped: report.skipped,
          failed: report.failed,
          wallSeconds: seconds,
          chartsPerSecond: Math.round(count / seconds),
        }) + '\n',
      );
    }
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  },
);

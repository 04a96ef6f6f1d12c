/**
 * Import rate from a Helm repository by URL (`wharf import --from-helm-repo`): writes CHARTS of
 * the growth scenarios' charts (LAYOUT=spread over PACKAGES packages) into a directory with the
 * index.yaml `helm repo index` would write (sha256 digests, relative URLs), serves it from a
 * child process (a static file server, keep-alive), and runs the compiled CLI as a process into
 * the configured profile (the same WHARF_* variables as `npm run import`); then runs it again on
 * the same registry (everything skipped: the mirror's re-sync cost). One JSON line per run. See
 * docs/benchmarks.md, "Import".
 *
 *   npx tsc -p tsconfig.build.json && npx tsc -p bench/tsconfig.json --outDir /tmp/wharf-bench
 *   WHARF_DATA_DIR=/tmp/repo-import CHARTS=10000 PACKAGES=100 \
 *     node -r ./scripts/dist-paths.js /tmp/wharf-bench/bench/import-helm-repo.js
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

function writeRepository(dir: string, charts: number, packages: number): void {
  mkdirSync(join(dir, 'charts'), { recursive: true });
  const entries = new Map<string, string[]>();
  for (let i = 0; i < charts; i++) {
    const { name, release } = growthRelease('spread', packages, i);
    const tgz = growthChart('spread', packages, i);
    const file = `${name}-${release}.tgz`;
    writeFileSync(join(dir, 'charts', file), tgz);
    const digest = createHash('sha256').update(tgz).digest('hex');
    const list = entries.get(name) ?? [];
    list.push(
      [
        `    - apiVersion: v1`,
        `      name: ${name}`,
        `      version: ${release}`,
        `      digest: ${digest}`,
        `      urls: [charts/${file}]`,
        `      created: "2026-12-07T00:00:00Z"`,
      ].join('\n'),
    );
    entries.set(name, list);
  }
  const body = [...entries].map(([name, versions]) => `  ${name}:\n${versions.join('\n')}\n`);
  writeFileSync(
    join(dir, 'index.yaml'),
    `apiVersion: v1\nentries:\n${body.join('')}generated: "2026-12-07T00:00:00Z"\n`,
  );
}

function runImport(root: string, url: string): Promise<{ seconds: number; report: Record<string, unknown> }> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      '-r',
      join(root, 'scripts', 'dist-paths.js'),
      join(root, 'dist', 'services', 'tools', 'src', 'cli', 'wharf.js'),
      'import',
      '--from-helm-repo',
      url,
      '--namespace',
      'mirror',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wharf import exited ${code}: ${out}`));
      resolve({ seconds: (Date.now() - started) / 1000, report: JSON.parse(out.trim().split('\n').pop()!) });
    }),
  );
}

async function main(): Promise<void> {
  const root = process.env.WHARF_BENCH_ROOT ?? process.cwd();
  const charts = Number(process.env.CHARTS ?? 10_000);
  const packages = Number(process.env.PACKAGES ?? 100);
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-helm-repo-'));
  const server = spawn(process.execPath, ['-e', SERVER, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    writeRepository(dir, charts, packages);
    const port = await new Promise<string>((resolve) =>
      server.stdout!.once('data', (c: Buffer) => resolve(c.toString().trim())),
    );
    const url = `http://127.0.0.1:${port}`;
    for (const run of ['first', 'again'] as const) {
      const { seconds, report } = await runImport(root, url);
      const rate = Math.round(charts / seconds);
      // The process's wall time (start, index, downloads, import, folding); the report's own `seconds` is the import's.
      process.stdout.write(
        JSON.stringify({ ...report, run, charts, packages, wallSeconds: seconds, chartsPerSecond: rate }) + '\n',
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

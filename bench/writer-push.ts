/**
 * A push's cost in the package writer alone, by package size, for one or more builds side by
 * side: the metadata service's own `PackageWriter`, `PackageProjection` and (with `charts`) the
 * chart index projection, on the embedded profile's SQLite event log, metadata store and chart
 * index, in a fresh data directory per build and level; no HTTP, no archive inspection, no blob,
 * no search projector. Each level seeds one package with ImportReleases commands (1,000 releases
 * each, through the same writer), then times `PUSHES` pushes of new Helm releases one at a time:
 * the process's CPU (user + system) per push, and p50/p99 of the writer's answer. Then, after
 * each of `PUSHES` more pushes, a show of one older release (`getRelease` of the metadata store:
 * the head and one row, right after the head changed), p50/p99; and the characters of JSON the
 * package's stored head holds (its fields and summary, what every push serialises and writes).
 *
 *   npx tsc -p bench/tsconfig.json --outDir /tmp/wharf-bench
 *   node /tmp/wharf-bench/bench/writer-push.js <root> [<root> ...]   (the project's Node 24, e.g. PATH=node_modules/.bin:$PATH)
 *
 * Each root is a checkout with a built `dist/` (`npm run build`). Environment: WRITER_LEVELS
 * (default 1000,10000,50000), WRITER_PUSHES (200), WRITER_CHARTS (1: with the chart index).
 * Prints one JSON line per (level, root) and a table at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Result {
  root: string;
  releases: number;
  pushes: number;
  cpuMsPerPush: number;
  p50: number;
  p99: number;
  showP50: number;
  showP99: number;
  headChars: number;
  seedS: number;
}

const digest = (seed: string) => require('node:crypto').createHash('sha256').update(seed).digest('hex') as string;

async function child(root: string, level: number, pushes: number, charts: boolean): Promise<Result> {
  const req = (path: string) => require(join(root, 'dist', path));
  const { SqliteMetadataStore } = req('libs/adapters/metadata-sqlite/src');
  const { SqliteEventLog } = req('libs/adapters/event-log-sqlite/src');
  const { SqliteChartIndexStore } = req('libs/adapters/chart-index-sqlite/src');
  const { PackageWriter, PackageProjection, MetadataProjector, KeyedMutex, ChartIndexProjection } =
    req('services/metadata/src');
  const dir = mkdtempSync(join(tmpdir(), 'wharf-writer-push-'));
  try {
    const log = new SqliteEventLog({ path: join(dir, 'events.db'), synchronous: 'normal' });
    const store = new SqliteMetadataStore({ path: join(dir, 'metadata.db') });
    const chartIndex = charts ? new SqliteChartIndexStore({ path: join(dir, 'charts.db') }) : null;
    const locks = new KeyedMutex();
    const projection = new PackageProjection(store, new ChartIndexProjection(chartIndex));
    const projector = new MetadataProjector(log, projection, locks);
    const writer = new PackageWriter(log, store, projection, projector, locks);
    await projector.start();
    const pkg = 'bench/one';
    let n = 0;
    const meta = () => ({
      commandId: `c${n++}`,
      correlationId: 'bench',
      issuedAt: new Date().toISOString(),
    });
    const content = (release: string) => ({
      apprDigest: digest(`a${release}`),
      blobDigest: digest(`b${release}`),
      size: 4096,
      chart: { apiVersion: 'v2', name: 'one', version: release, description: 'A chart of the writer bench' },
    });
    const seedStarted = Date.now();
    for (let from = 0; from < level; from += 1000) {
      const releases = [];
      for (let i = from; i < Math.min(level, from + 1000); i++) {
        const release = `1.${Math.floor(i / 1000)}.${i % 1000}`;
        releases.push({ release, mediaType: 'helm', content: content(release), metadata: null });
      }
      await writer.execute({ type: 'ImportReleases', package: pkg, releases, visibility: 'public', meta: meta() });
    }
    const seedS = (Date.now() - seedStarted) / 1000;
    const push = (i: number) => {
      const release = `2.0.${i}`;
      return writer.execute({
        type: 'PushRelease',
        package: pkg,
        release,
        mediaType: 'helm',
        metadata: null,
        force: false,
        visibility: 'public',
        content: content(release),
        meta: meta(),
      });
    };
    for (let i = 0; i < 5; i++) await push(i); // warm-up: the stores' caches, the JIT
    const latencies: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let i = 5; i < pushes + 5; i++) {
      const started = process.hrtime.bigint();
      await push(i);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const shows: number[] = [];
    for (let i = pushes + 5; i < 2 * pushes + 5; i++) {
      await push(i);
      const release = `1.0.${i % Math.min(level, 1000)}`;
      const started = process.hrtime.bigint();
      const read = await store.getRelease(pkg, release, 'helm');
      shows.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (!read?.manifest) throw new Error(`no manifest of ${release}`);
    }
    shows.sort((a, b) => a - b);
    const headChars = (store as unknown as { db: { prepare(sql: string): { get(pkg: string): { n: number } } } }).db
      .prepare('SELECT length(head) + length(summary) AS n FROM package_heads WHERE package = ?')
      .get(pkg).n;
    await projector.onApplicationShutdown();
    await log.close();
    await store.close();
    await chartIndex?.close();
    latencies.sort((a, b) => a - b);
    return {
      root,
      releases: level + 5,
      pushes,
      cpuMsPerPush: (cpu.user + cpu.system) / 1000 / pushes,
      p50: latencies[Math.floor(pushes * 0.5)]!,
      p99: latencies[Math.min(pushes - 1, Math.floor(pushes * 0.99))]!,
      showP50: shows[Math.floor(pushes * 0.5)]!,
      showP99: shows[Math.min(pushes - 1, Math.floor(pushes * 0.99))]!,
      headChars,
      seedS,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function driver(roots: string[]): void {
  const levels = (process.env.WRITER_LEVELS ?? '1000,10000,50000').split(',').map(Number);
  const pushes = Number(process.env.WRITER_PUSHES ?? 200);
  const charts = (process.env.WRITER_CHARTS ?? '1') === '1';
  const results: Result[] = [];
  for (const level of levels)
    for (const root of roots) {
      const run = spawnSync(
        process.execPath,
        [
          '-r',
          join(root, 'scripts', 'dist-paths.js'),
          __filename,
          'child',
          root,
          String(level),
          String(pushes),
          charts ? '1' : '0',
        ],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`writer-push child for ${root} @${level} failed:\n${run.stderr.slice(-3000)}`);
      const result = JSON.parse(line.slice('RESULT '.length)) as Result;
      console.log(JSON.stringify({ ...result, load: require('node:os').loadavg() }));
      results.push(result);
    }
  console.log(
    `\n| build | releases | CPU ms/push | p50 ms | p99 ms | show p50 ms | show p99 ms | head chars |\n` +
      `|---|---:|---:|---:|---:|---:|---:|---:|`,
  );
  for (const r of results)
    console.log(
      `| ${r.root} | ${r.releases} | ${r.cpuMsPerPush.toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ` +
        `${r.showP50.toFixed(3)} | ${r.showP99.toFixed(3)} | ${r.headChars} |`,
    );
}

if (process.argv[2] === 'child') {
  const [, , , root, level, pushes, charts] = process.argv;
  void child(root!, Number(level), Number(pushes), charts === '1').then(
    (result) => console.log(`RESULT ${JSON.stringify(result)}`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else driver(process.argv.slice(2));

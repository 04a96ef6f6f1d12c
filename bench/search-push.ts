/**
 * A push's cost in the search projection alone, by package size, for one or more builds side by
 * side: the search service's own `SearchProjector` on the embedded profile's SQLite search index
 * (or, with SEARCH_OPENSEARCH_URL, on OpenSearch), in a fresh file (or index prefix) per build
 * and level; no HTTP, no event log, no writer. Each level seeds one package with ReleasePublished
 * events in batches of 1,000 (as the projector's consumer delivers a bulk import), then hands the
 * projector `PUSHES` publications of new Helm releases, one event per batch, as the log delivers a
 * push; then `DELETES` deletes of the package's newest release, one at a time. Reports the
 * process's CPU (user + system) per push and per delete, and p50/p99 of a push's `handle`.
 *
 *   npx tsc -p bench/tsconfig.json --outDir /tmp/wharf-bench
 *   node /tmp/wharf-bench/bench/search-push.js <root> [<root> ...]   (the project's Node 24)
 *
 * Each root is a checkout with a built `dist/` (`npm run build`). Environment: SEARCH_LEVELS
 * (default 1000,10000), SEARCH_PUSHES (200), SEARCH_DELETES (20), SEARCH_OPENSEARCH_URL (unset:
 * SQLite) and SEARCH_OPENSEARCH_PREFIX (`bench-`, before the indices' names). Prints one JSON
 * line per (level, root) and a table at the end. With OpenSearch the CPU column is this
 * process's alone (the client's), not OpenSearch's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

interface Result {
  root: string;
  engine: string;
  releases: number;
  pushes: number;
  cpuMsPerPush: number;
  p50: number;
  p99: number;
  cpuMsPerDelete: number;
  seedS: number;
}

const digest = (seed: string) => require('node:crypto').createHash('sha256').update(seed).digest('hex') as string;

async function child(root: string, level: number, pushes: number, deletes: number): Promise<Result> {
  const req = (path: string) => require(join(root, 'dist', path));
  const { validateForProduce } = req('libs/contracts/src');
  const { SearchProjector } = req('services/search/src');
  const opensearch = process.env.SEARCH_OPENSEARCH_URL;
  const dir = mkdtempSync(join(tmpdir(), 'wharf-search-push-'));
  const prefix = `${process.env.SEARCH_OPENSEARCH_PREFIX ?? 'bench-'}search-push-${process.pid}-`;
  const index = opensearch
    ? await req('libs/adapters/search-opensearch/src').OpenSearchSearchIndex.connect({
        node: opensearch,
        indexPrefix: prefix,
      })
    : new (req('libs/adapters/search-sqlite/src').SqliteSearchIndex)({ path: join(dir, 'search.db') });
  try {
    const projector = new SearchProjector({} as never, index);
    const pkg = 'bench/one';
    let sequence = 0;
    const event = (type: string, data: object) => {
      sequence++;
      const envelope = validateForProduce({
        type,
        version: 1,
        id: `e${sequence}`,
        occurredAt: new Date(Date.UTC(2026, 0, 1) + sequence * 1000).toISOString(),
        correlationId: 'bench',
        causationId: `c${sequence}`,
        package: pkg,
        sequence,
        data,
      });
      return { ...envelope, position: String(sequence) };
    };
    const published = (release: string) =>
      event('ReleasePublished', {
        release,
        mediaType: 'helm',
        apprDigest: digest(`a${release}`),
        blobDigest: digest(`b${release}`),
        size: 4096,
        metadata: null,
        chart: {
          apiVersion: 'v2',
          name: 'one',
          version: release,
          description: `A chart of the search bench, release ${release}`,
          keywords: ['bench', 'search'],
        },
        replaced: null,
        visibility: 'public',
      });
    const deleted = (release: string) =>
      event('ReleaseDeleted', {
        release,
        mediaType: 'helm',
        apprDigest: digest(`a${release}`),
        blobDigest: digest(`b${release}`),
      });
    const seedStarted = Date.now();
    for (let from = 0; from < level; from += 1000) {
      const batch = [];
      for (let i = from; i < Math.min(level, from + 1000); i++)
        batch.push(published(`1.${Math.floor(i / 1000)}.${i % 1000}`));
      await projector.handle(batch);
    }
    const seedS = (Date.now() - seedStarted) / 1000;
    for (let i = 0; i < 5; i++) await projector.handle([published(`2.0.${i}`)]); // warm-up
    const latencies: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let i = 5; i < pushes + 5; i++) {
      const started = process.hrtime.bigint();
      await projector.handle([published(`2.0.${i}`)]);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const deleteBefore = process.cpuUsage();
    for (let i = pushes + 4; i > pushes + 4 - deletes; i--) await projector.handle([deleted(`2.0.${i}`)]);
    const deleteCpu = process.cpuUsage(deleteBefore);
    latencies.sort((a, b) => a - b);
    return {
      root,
      engine: opensearch ? 'opensearch' : 'sqlite',
      releases: level + 5,
      pushes,
      cpuMsPerPush: (cpu.user + cpu.system) / 1000 / pushes,
      p50: latencies[Math.floor(pushes * 0.5)]!,
      p99: latencies[Math.min(pushes - 1, Math.floor(pushes * 0.99))]!,
      cpuMsPerDelete: deletes > 0 ? (deleteCpu.user + deleteCpu.system) / 1000 / deletes : 0,
      seedS,
    };
  } finally {
    if (opensearch) {
      const { Client } = require(join(root, 'node_modules', '@opensearch-project', 'opensearch'));
      const admin = new Client({ node: opensearch });
      await admin.indices.delete({ index: `${prefix}*`, expand_wildcards: 'all' }).catch(() => undefined);
      await admin.close();
    }
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function driver(roots: string[]): void {
  const levels = (process.env.SEARCH_LEVELS ?? '1000,10000').split(',').map(Number);
  const pushes = Number(process.env.SEARCH_PUSHES ?? 200);
  const deletes = Number(process.env.SEARCH_DELETES ?? 20);
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
          String(deletes),
        ],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`search-push child for ${root} @${level} failed:\n${run.stderr.slice(-3000)}`);
      const result = JSON.parse(line.slice('RESULT '.length)) as Result;
      console.log(JSON.stringify({ ...result, load: loadavg() }));
      results.push(result);
    }
  console.log(
    `\n| build | engine | releases | CPU ms/push | p50 ms | p99 ms | CPU ms/delete of the newest |\n|---|---|---:|---:|---:|---:|---:|`,
  );
  for (const r of results)
    console.log(
      `| ${r.root} | ${r.engine} | ${r.releases} | ${r.cpuMsPerPush.toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.cpuMsPerDelete.toFixed(2)} |`,
    );
}

if (process.argv[2] === 'child') {
  const [, , , root, level, pushes, deletes] = process.argv;
  void child(root!, Number(level), Number(pushes), Number(deletes)).then(
    (result) => console.log(`RESULT ${JSON.stringify(result)}`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else driver(process.argv.slice(2));

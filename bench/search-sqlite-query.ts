/**
 * The embedded search index's query cost as the registry grows, without HTTP: N generated search
 * documents in a fresh SQLite file, then each query 20 times; prints milliseconds per query.
 * Each document is stored `rounds` times (default 10) with a rising sequence, as a package's pushes update its
 * document (and its full-text row) one release after another.
 *
 *   npm run build && npx tsc -p bench/tsconfig.json --outDir /tmp/wharf-bench
 *   node -r ./scripts/dist-paths.js /tmp/wharf-bench/bench/search-sqlite-query.js [documents] [unused] [rounds]
 *
 * (The second argument was the size of the package view each document carried; documents hold
 * no view since they moved to rows, so it is ignored.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SearchDocument } from '../libs/ports/src';

const { SqliteSearchIndex } = require(join(process.cwd(), 'dist', 'libs', 'adapters', 'search-sqlite', 'src'));

const WORDS = [
  'apache',
  'nginx',
  'redis',
  'kafka',
  'mongo',
  'postgres',
  'mysql',
  'vault',
  'consul',
  'etcd',
  'grafana',
  'prometheus',
  'loki',
  'tempo',
  'jaeger',
  'zipkin',
  'traefik',
  'envoy',
  'istio',
  'linkerd',
];

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20_000);
  const dir = mkdtempSync(join(tmpdir(), 'wharf-search-bench-'));
  const index = new SqliteSearchIndex({ path: join(dir, 'search.db') });
  try {
    const docs: SearchDocument[] = Array.from({ length: n }, (_, i) => {
      const [a, b] = [WORDS[i % WORDS.length]!, WORDS[(i * 7) % WORDS.length]!];
      const name = `${a}-${b}-n${i}`;
      return {
        package: `ns${i % 50}/${name}`,
        namespace: `ns${i % 50}`,
        name,
        sequence: 1,
        active: true,
        visibility: 'public',
        description: `the ${a} and ${b} chart`,
        keywords: [a, b],
        mediaTypes: ['helm'],
        updatedAt: null,
        manifestCounts: [{ mediaType: 'helm', count: 1 }],
        describedBy: { release: '1.0.0', mediaType: 'helm' },
      };
    });
    const rounds = Number(process.argv[4] ?? 10);
    for (let round = 1; round <= rounds; round++) {
      for (let i = 0; i < docs.length; i += 500)
        await index.putMany(docs.slice(i, i + 500).map((d) => ({ document: { ...d, sequence: round } })));
    }
    for (const text of ['apache', 'zzz', 'redis kafka']) {
      const started = process.hrtime.bigint();
      let found = 0;
      for (let k = 0; k < 20; k++) found = (await index.search({ text, limit: 1000 })).length;
      console.log(
        `${n} documents (${rounds} rounds), q=${JSON.stringify(text)}: ${found} results, ${(Number(process.hrtime.bigint() - started) / 1e6 / 20).toFixed(2)} ms/query`,
      );
    }
  } finally {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();

/**
 * Seeds an embedded Wharf data directory for the growth scenarios without a socket: boots the
 * embedded profile's own application (dist/services/embedded, the same modules, projectors and
 * push route as `main.js`; it listens on a throw-away port but no request goes through it) and
 * sends every push through that route with Fastify's `inject` (routing, body parsing, validation,
 * archive inspection, blob store, package writer, event log, projections: all as a real push).
 * Then it waits until the search and blob-reference projections have folded every event, and
 * closes. The bench then starts the real server on the same directory and measures through HTTP.
 *
 * SEED_MODE=log (the default in bench/run.ts) skips the HTTP route and the inline projection
 * instead: for each push it runs what the route and the package writer run, from Wharf's own
 * compiled code: the archive inspected (`inspectArchive`), its blob stored in the blob store
 * (`FsBlobStore.put`, fsync and all), the `PushRelease` command decided against the package's
 * view (`decide`), wrapped (`envelopesFor`) and appended to the event log (`SqliteEventLog`), the
 * view evolved in memory (`evolve`). Nothing else is written: the metadata, chart-index, search
 * and blob-reference projections are folded from the log by the server's own projectors when it
 * starts (the bench waits until their lag is 0 before measuring). Views of packages that exist
 * already are read from the metadata store (a resumed seeding, between levels).
 *
 * Run by bench/run.ts as `node -r scripts/dist-paths.js <build>/bench/seed-wharf.js` with
 * WHARF_DATA_DIR and SEED='{"from":0,"to":1000,"layout":"spread","packages":1000,"concurrency":16,"deadline":<epoch ms>}'.
 * Prints `SEEDCHUNK {...}` per 1000 pushes and `SEEDDONE {...}` at the end, on stdout.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { loadConfig, JsonLogger, WharfConfig } from '@wharf/config';
import type { EventEnvelope } from '@wharf/contracts';
import { PackageView, PushRelease, decide, emptyPackageView, evolve, inspectArchive } from '@wharf/domain';
import { API, pool, pushBody } from './lib/charts';
import { GrowthLayout, growthChart, growthRelease } from './lib/growth-layout';

interface Spec {
  from: number;
  to: number;
  layout: GrowthLayout;
  packages: number;
  concurrency: number;
  deadline: number;
}

function chunkLine(from: number, res: { done: number; failed: number }, started: number): string {
  return `SEEDCHUNK ${JSON.stringify({ from, to: from + res.done + res.failed, done: res.done, failed: res.failed, seconds: (Date.now() - started) / 1000 })}\n`;
}

/** SEED_MODE=log: the writer's steps without the server (see the header). */
async function seedLog(spec: Spec, root: string, config: WharfConfig): Promise<void> {
  const { envelopesFor } = require(join(root, 'dist', 'services', 'metadata', 'src', 'event-envelopes.js')) as {
    envelopesFor: (
      pkg: string,
      last: number,
      events: ReturnType<typeof decide>,
      meta: PushRelease['meta'],
    ) => EventEnvelope[];
  };
  const file = (f: string) => join(config.dataDir, f);
  const log = new SqliteEventLog({ path: file('events.db'), synchronous: config.sqlite.synchronous });
  const blobs = new FsBlobStore(file('blobs'));
  const store = new SqliteMetadataStore({ path: file('metadata.db') });
  const views = new Map<string, PackageView>();
  const queues = new Map<string, Promise<void>>(); // one push per package at a time, as the writer's lock
  let failed = 0;
  let lastError = '';
  const pushOne = async (i: number) => {
    const { ns, name, release } = growthRelease(spec.layout, spec.packages, i);
    const pkg = `${ns}/${name}`;
    const archive = growthChart(spec.layout, spec.packages, i);
    const inspection = inspectArchive(archive, config.archive);
    await blobs.put(archive, inspection.blobDigest);
    const run = async () => {
      const view = views.get(pkg) ?? (await store.get(pkg)) ?? emptyPackageView(pkg);
      const command: PushRelease = {
        type: 'PushRelease',
        package: pkg,
        release,
        mediaType: 'helm',
        content: {
          apprDigest: inspection.apprDigest,
          blobDigest: inspection.blobDigest,
          size: inspection.size,
          chart: inspection.chart,
        },
        metadata: null,
        force: false,
        visibility: config.auth.defaultVisibility,
        meta: { commandId: randomUUID(), correlationId: randomUUID(), issuedAt: new Date().toISOString() },
      };
      const events = decide(command, view);
      const envelopes = envelopesFor(pkg, view.sequence, events, command.meta);
      await log.append(pkg, view.sequence, envelopes);
      views.set(pkg, envelopes.reduce(evolve, view));
    };
    const prev = queues.get(pkg) ?? Promise.resolve();
    const mine = prev.then(run);
    queues.set(
      pkg,
      mine.catch(() => undefined),
    );
    await mine;
    if (queues.get(pkg) === mine) queues.delete(pkg);
  };
  try {
    for (let from = spec.from; from < spec.to && Date.now() < spec.deadline; from += 1000) {
      const to = Math.min(spec.to, from + 1000);
      const started = Date.now();
      const res = await pool(from, to, spec.concurrency, pushOne, spec.deadline);
      failed += res.failed;
      if (res.lastError) lastError = res.lastError;
      process.stdout.write(chunkLine(from, res, started));
      if (res.done + res.failed < to - from) break;
    }
    process.stdout.write(
      `SEEDDONE ${JSON.stringify({ failed, lastError, projectionsCaughtUpS: 0, lag: 0, events: await log.count() })}\n`,
    );
  } finally {
    await log.close();
    await store.close();
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.SEED ?? '{}') as Spec;
  const root = process.env.WHARF_BENCH_ROOT ?? process.cwd();
  if ((process.env.SEED_MODE ?? 'log') === 'log') return seedLog(spec, root, loadConfig());

  const { startEmbedded } = require(join(root, 'dist', 'services', 'embedded', 'src', 'embedded-app.js'));
  const config = loadConfig();
  const app = await startEmbedded(config, new JsonLogger(config.logLevel));
  const fastify = app.getHttpAdapter().getInstance();
  let failed = 0;
  let lastError = '';
  try {
    for (let from = spec.from; from < spec.to && Date.now() < spec.deadline; from += 1000) {
      const to = Math.min(spec.to, from + 1000);
      const started = Date.now();
      const res = await pool(
        from,
        to,
        spec.concurrency,
        async (i) => {
          const { ns, name, release } = growthRelease(spec.layout, spec.packages, i);
          const r = await fastify.inject({
            method: 'POST',
            url: `${API}/${ns}/${name}`,
            headers: { 'content-type': 'application/json' },
            payload: pushBody(release, growthChart(spec.layout, spec.packages, i)),
          });
          if (r.statusCode !== 200)
            throw new Error(`push ${ns}/${name}@${release}: ${r.statusCode} ${String(r.body).slice(0, 200)}`);
        },
        spec.deadline,
      );
      failed += res.failed;
      if (res.lastError) lastError = res.lastError;
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(
        `SEEDCHUNK ${JSON.stringify({ from, to: from + res.done + res.failed, done: res.done, failed: res.failed, seconds })}\n`,
      );
      if (res.done + res.failed < to - from) break;
    }
    // the search and blob-reference projections follow the log asynchronously: let them finish here
    const lagStart = Date.now();
    let lag = -1;
    while (Date.now() - lagStart < 600_000) {
      const r = await fastify.inject({ method: 'GET', url: '/metrics' });
      const lags = [...String(r.body).matchAll(/^wharf_consumer_lag\{[^}]*group="([^"]+)"[^}]*\} (\d+)/gm)].map((m) =>
        Number(m[2]),
      );
      lag = lags.length ? Math.max(...lags) : 0;
      if (lag === 0) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    process.stdout.write(
      `SEEDDONE ${JSON.stringify({ failed, lastError, projectionsCaughtUpS: (Date.now() - lagStart) / 1000, lag })}\n`,
    );
  } finally {
    await app.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`seed-wharf: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);

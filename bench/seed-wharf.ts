/**
 * Seeds an embedded Wharf data directory for the growth scenarios without a socket: boots the
 * embedded profile's own application (dist/services/embedded, the same modules, projectors and
 * push route as `main.js`; it listens on a throw-away port but no request goes through it) and
 * sends every push through that route with Fastify's `inject` (routing, body parsing, validation,
 * archive inspection, blob store, package writer, event log, projections: all as a real push).
 * Then it waits until the search and blob-reference projections have folded every event, and
 * closes. The bench then starts the real server on the same directory and measures through HTTP.
 *
 * SEED_MODE=import (the default in bench/run.ts) seeds through `npm run import`'s own compiled
 * code instead (services/tools/src/release-import.ts, import-targets.ts), with the scenario's
 * generator as its source (`growthImportItems`): each archive inspected and its blob stored, the
 * releases of a package sent to the package writer in ImportReleases commands (one decision and
 * one append each), the writer's projection (metadata, chart index) applied before it answers,
 * and the server's search and blob-reference projectors folding in this process until their lag
 * is 0. Nothing is appended behind the writer's back; the server then finds every projection
 * current. A level continues the directory: what is there already is skipped.
 *
 * Run by bench/run.ts as `node -r scripts/dist-paths.js <build>/bench/seed-wharf.js` with
 * WHARF_DATA_DIR and SEED='{"from":0,"to":1000,"layout":"spread","packages":1000,"concurrency":16,"deadline":<epoch ms>}'.
 * Prints `SEEDCHUNK {...}` per 1000 pushes (import: one for the whole range) and `SEEDDONE {...}` at the end, on stdout.
 */
import { join } from 'node:path';
import { loadConfig, JsonLogger, WharfConfig } from '@wharf/config';
import { API, pool, pushBody } from './lib/charts';
import { GrowthLayout, growthChart, growthImportItems, growthRelease } from './lib/growth-layout';

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

/** SEED_MODE=import: `npm run import`'s own code, with the scenario's generator as its source (see the header). */
async function seedImport(spec: Spec, root: string, config: WharfConfig): Promise<void> {
  const tools = (f: string) => join(root, 'dist', 'services', 'tools', 'src', f);
  const { importReleases } = require(
    tools('release-import.js'),
  ) as typeof import('../services/tools/src/release-import');
  const { openImportTarget } = require(
    tools('import-targets.js'),
  ) as typeof import('../services/tools/src/import-targets');
  const started = Date.now();
  const target = await openImportTarget(config);
  try {
    const report = await importReleases(growthImportItems(spec.layout, spec.packages, spec.from, spec.to), target, {
      archiveLimits: config.archive,
      defaultVisibility: config.auth.defaultVisibility,
      concurrency: spec.concurrency,
    });
    const lagStart = Date.now();
    await target.settle();
    const failed = report.failed + report.conflicts;
    const lastError = report.problems.at(-1)?.message ?? '';
    process.stdout.write(
      chunkLine(spec.from, { done: report.imported + report.skipped, failed }, started) +
        `SEEDDONE ${JSON.stringify({ failed, lastError, projectionsCaughtUpS: (Date.now() - lagStart) / 1000, lag: 0 })}\n`,
    );
  } finally {
    await target.close();
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.SEED ?? '{}') as Spec;
  const root = process.env.WHARF_BENCH_ROOT ?? process.cwd();
  if ((process.env.SEED_MODE ?? 'import') === 'import') return seedImport(spec, root, loadConfig());

  const { startEmbedded } = require(join(root, 'dist', 'services', 'embedded', 'src', 'embedded-app.js'));
  const config = loadConfig();
  const app = await startEmbedded(config, new JsonLogger(config.logLevel, undefined, { redact: config.logRedact }));
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

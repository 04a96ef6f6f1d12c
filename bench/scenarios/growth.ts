import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API, pool, pushBody, pushChart, seedOne } from '../lib/charts';
import { CACHE, cnrEnv, freePort, ROOT, Running, TargetDef, TargetName } from '../lib/targets';
import { GrowthLayout, growthChart, growthRelease } from '../lib/growth-layout';
import { env, log, measure, rnd, selected } from '../lib/harness';
import { Report } from '../lib/report';

/**
 * Growth: push and show latency as the registry grows. Layout `spread` (`growth`): releases over
 * 1,000 packages (`BENCH_GROWTH_LEVELS`, 1,000 / 10,000 / 100,000); layout `one` (`growth-one`):
 * every release in ONE package (`BENCH_GROWTH_ONE_LEVELS`, 1,000 / 10,000), since a package's
 * stored view is what a push into it reads and rewrites.
 *
 * Seeding (`BENCH_GROWTH_SEED`): `direct` (default) writes each target's own store with its own
 * push code in a separate process while the server is down (Wharf: bench/seed-wharf.ts, its
 * embedded application with pushes injected into its HTTP route; the reference: bench/cnr-seed.py,
 * its push implementation on its filesystem models), then starts the server on that directory for
 * the measurements; `http` pushes through the running server (the only path for
 * wharf-distributed). Either way, the measured pushes and shows at each level are HTTP requests
 * against the live server, and they stay in the registry.
 */
/** How bench/seed-wharf.ts seeds Wharf in `direct` mode: `import` (default: `npm run import`'s code) or `inject`. */
export const WHARF_SEED = process.env.BENCH_GROWTH_WHARF_SEED ?? 'import';

/** Connections of the measured growth pushes (BENCH_GROWTH_PUSH_CONNECTIONS, default 8; 1 measures one push at a time). */
export const GROWTH_PUSH_CONNECTIONS = Number(process.env.BENCH_GROWTH_PUSH_CONNECTIONS ?? 8);

export async function scenarioGrowth(report: Report, layout: GrowthLayout = 'spread'): Promise<void> {
  const levels = (
    process.env[layout === 'one' ? 'BENCH_GROWTH_ONE_LEVELS' : 'BENCH_GROWTH_LEVELS'] ??
    (layout === 'one' ? '1000,10000' : '1000,10000,100000')
  )
    .split(',')
    .map(Number);
  const budgetS = env('BENCH_GROWTH_SEED_BUDGET_S', 1500);
  const SEED_PKGS = layout === 'one' ? 1 : env('BENCH_GROWTH_PACKAGES', 1000);
  const seedMode = process.env.BENCH_GROWTH_SEED ?? 'direct';
  if (seedMode !== 'direct' && seedMode !== 'http')
    throw new Error(`BENCH_GROWTH_SEED=${seedMode}: expected direct or http`);
  const seedConc = env('BENCH_GROWTH_SEED_CONCURRENCY', seedMode === 'direct' ? 64 : 8);
  // one package serialises its pushes (8 connections queue on it): a longer window, so that a slow push still completes
  const measureS = env('BENCH_GROWTH_MEASURE_S', layout === 'one' ? 15 : 5);
  const probe = env('BENCH_GROWTH_PROBE_PUSHES', 1000);
  report.settings.growthLayout = layout === 'one' ? 'one package (growth1/one)' : `${SEED_PKGS} packages (growth/g<i>)`;
  report.settings.growthLevels = levels.join('/');
  report.settings.growthSeed = seedMode;
  report.settings.growthSeedConcurrency = seedConc;
  report.settings.growthSeedBudgetS = budgetS;
  const rel = (i: number) => growthRelease(layout, SEED_PKGS, i);
  const existing = (k: number) =>
    layout === 'one' ? { ns: 'growth1', name: 'one' } : { ns: 'growth', name: `g${k % SEED_PKGS}` };
  for (const def of selected(true)) {
    const direct = seedMode === 'direct' && seedsDirect(def);
    const imported = seedMode === 'direct' && importsLive(def);
    const how = direct
      ? directSeedHow(def.name, seedConc)
      : imported
        ? `by npm run import's code against the running services (bench/import-seed.ts: the scenario's generator as source, each archive inspected and stored in S3, each package's releases in ImportReleases commands over the command bus to the metadata service's writer; default concurrency), then until every service's consumer lag was 0`
        : `through HTTP against the running server, concurrency ${seedConc}`;
    report.notes.push(`growth ${def.name}: seeded ${how}`);
    const deadline = Date.now() + budgetS * 1000;
    const dataDir = direct ? mkdtempSync(join(tmpdir(), `wharf-bench-growth-${def.name}-`)) : undefined;
    let t: Running | undefined = direct ? undefined : await def.start();
    if (t) log(`started ${t.name} at ${t.url} (pid ${t.pid})`);
    let seeded = 0;
    let extra = 0; // releases pushed by the measurements
    let existingCounter = 0;
    try {
      for (const level of levels) {
        if (direct) {
          const started = await seedDirectThenStart(
            report,
            def,
            dataDir!,
            layout,
            SEED_PKGS,
            seeded,
            level,
            seedConc,
            deadline,
            extra,
            900_000,
          );
          ({ t, seeded } = started);
          const { listening, caughtUp } = started;
          report.notes.push(
            `growth ${def.name} @${seeded + extra}: server listening ${listening.toFixed(1)} s after start` +
              (def.name === 'wharf' ? `, every projection caught up ${caughtUp.toFixed(1)} s later` : ''),
          );
          log(
            `started ${t.name} at ${t.url} (pid ${t.pid}) on the seeded directory (${seeded + extra} releases; listening after ${listening.toFixed(1)} s, projections after ${caughtUp.toFixed(1)} s more)`,
          );
        } else if (imported) {
          seeded = await seedDistributedImport(report, t!, layout, SEED_PKGS, seeded, level, deadline, extra);
        } else {
          // seed in chunks of 1000 to show how the push rate bends with size
          while (seeded < level && Date.now() < deadline) {
            const to = Math.min(level, seeded + 1000);
            const started = Date.now();
            const res = await pool(
              seeded,
              to,
              seedConc,
              (i) => seedOne(t!, rel(i).ns, rel(i).name, rel(i).release, pushChart(rel(i).name, rel(i).release)),
              deadline,
            );
            const seconds = (Date.now() - started) / 1000;
            report.seeding.push({
              target: def.name,
              from: seeded + extra,
              to: seeded + extra + res.done,
              seconds,
              rate: res.done / seconds,
              failed: res.failed,
            });
            if (res.done + res.failed < to - seeded) {
              seeded += res.done + res.failed;
              break;
            }
            seeded = to;
            if ((seeded / 1000) % 10 === 0)
              log(
                `growth ${def.name}: ${seeded} seeded, ${(res.done / seconds).toFixed(0)} pushes/s in the last chunk`,
              );
          }
        }
        if (seeded < level) {
          report.growthStops.push({
            target: def.name,
            reached: seeded + extra,
            wanted: level,
            reason: `seeding budget of ${budgetS} s spent`,
          });
          log(`growth ${def.name}: stopped at ${seeded} (budget ${budgetS} s)`);
          if (seeded < levels[0]!) break;
        }
        const releases = seeded + extra;
        const lvl = `@${releases}`;
        let n = 0;
        const push = await measure(report, t!, report.scenario, `push new package ${lvl}`, {
          method: 'POST',
          durationS: measureS,
          maxRequests: probe,
          connections: GROWTH_PUSH_CONNECTIONS,
          next: () => {
            const name = `l${level}-${n++}`;
            return { path: `${API}/probe/${name}`, body: pushBody('1.0.0', pushChart(name, '1.0.0')) };
          },
        });
        const pushExisting = await measure(
          report,
          t!,
          report.scenario,
          `push into ${layout === 'one' ? 'the one package' : 'existing package'} ${lvl}`,
          {
            method: 'POST',
            durationS: measureS,
            maxRequests: probe,
            connections: GROWTH_PUSH_CONNECTIONS,
            next: () => {
              const k = existingCounter++;
              const release = `2.0.${k}`;
              const p = existing(k);
              return { path: `${API}/${p.ns}/${p.name}`, body: pushBody(release, pushChart(p.name, release)) };
            },
          },
        );
        extra += Math.round((push.requests + pushExisting.requests) * (1 + 1 / 5)); // includes warm-up pushes (approx.)
        const show = await measure(report, t!, report.scenario, `show ${lvl}`, {
          durationS: measureS,
          next: () => {
            const r = rel(rnd(Math.max(1, seeded)));
            return { path: `${API}/${r.ns}/${r.name}/${r.release}/helm` };
          },
        });
        report.growth.push({ target: def.name, releases, push, pushExisting, show });
        if (direct) {
          await t!.stop();
          t = undefined;
        }
        if (seeded < level) break;
      }
    } finally {
      if (t) await t.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

/** Whether a target is seeded, in `direct` mode, by `npm run import`'s code against its running services. */
export const importsLive = (def: TargetDef): boolean => def.name.startsWith('wharf-distributed');

/**
 * Seeds [from, to) of `layout` into a running distributed target with bench/import-seed.ts (the
 * import's writers over the command bus, blobs to S3), then waits until every service's consumer
 * lag is 0, so that the measurements do not share the machine with folding. Returns how far it got.
 */
export async function seedDistributedImport(
  report: Report,
  t: Running,
  layout: GrowthLayout,
  packages: number,
  from: number,
  to: number,
  deadline: number,
  extra: number,
): Promise<number> {
  if (from >= to) return from;
  if (!t.distributed) throw new Error(`${t.name}: no distributed settings to import into`);
  const started = Date.now();
  let done: { imported: number; skipped: number; failed: number; problems: number; firstProblem?: string } | undefined;
  const { code, err } = await runChild(
    process.execPath,
    ['-r', join(ROOT, 'scripts', 'dist-paths.js'), join(__dirname, '..', 'import-seed.js')],
    {
      ...process.env,
      ...t.distributed.env,
      WHARF_BENCH_ROOT: ROOT,
      WHARF_LOG_LEVEL: 'warn',
      LAYOUT: layout,
      PACKAGES: String(packages),
      FROM: String(from),
      RELEASES: String(to),
    },
    (line) => {
      if (line.startsWith('{')) done = JSON.parse(line);
    },
  );
  if (code !== 0 || !done) throw new Error(`import-seed exited ${code}:\n${err.slice(-3000)}`);
  const importS = (Date.now() - started) / 1000;
  const caughtUp = await servicesCaughtUp(t, Math.max(60_000, deadline - Date.now()));
  report.seeding.push({
    target: t.name,
    from: from + extra,
    to: to + extra,
    seconds: importS,
    rate: (to - from) / importS,
    failed: done.failed,
  });
  if (done.problems)
    report.notes.push(`growth ${t.name}: ${done.problems} import problems (first: ${done.firstProblem})`);
  report.notes.push(
    `growth ${t.name}: imported ${from} -> ${to} in ${importS.toFixed(0)} s (${done.imported} imported, ${done.skipped} skipped), every consumer lag 0 ${caughtUp.toFixed(1)} s later`,
  );
  log(
    `growth ${t.name}: imported ${from} -> ${to} in ${importS.toFixed(0)} s, caught up ${caughtUp.toFixed(1)} s later`,
  );
  return to;
}

/** Every `wharf_consumer_lag` the distributed services report at 0 (at least one reported); the seconds it took. */
async function servicesCaughtUp(t: Running, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const lags: number[] = [];
    for (const base of t.distributed!.services) {
      const text = await (await fetch(`${base}/metrics`)).text().catch(() => '');
      for (const m of text.matchAll(/^wharf_consumer_lag\{[^}]*\} (\d+)/gm)) lags.push(Number(m[1]));
    }
    if (lags.length && lags.every((l) => l === 0)) return (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${t.name}: consumer lag not 0 within ${timeoutMs / 1000} s`);
}

/** Whether a target can be seeded directly: by its own push code, with its server down. */
export const seedsDirect = (def: TargetDef): boolean =>
  !!def.startOn && (def.name === 'wharf' || def.name === 'wharf-before' || def.name === 'cnr');

/** The build an embedded Wharf target runs: this checkout, or BENCH_WHARF_BEFORE_ROOT's for `wharf-before`. */
const wharfRoot = (def: TargetDef): string | null =>
  def.name === 'wharf' ? ROOT : def.name === 'wharf-before' ? (process.env.BENCH_WHARF_BEFORE_ROOT ?? null) : null;

/**
 * Seeds [from, to) of `layout` into `dataDir` with the target's own push code (server down), then
 * starts its server on the directory and, for Wharf, waits until every projection has caught up.
 * Returns the server, how far seeding got, and the seconds to listen and then to catch up.
 */
export async function seedDirectThenStart(
  report: Report,
  def: TargetDef,
  dataDir: string,
  layout: GrowthLayout,
  packages: number,
  from: number,
  to: number,
  concurrency: number,
  deadline: number,
  extra: number,
  catchUpTimeoutMs: number,
): Promise<{ t: Running; seeded: number; listening: number; caughtUp: number }> {
  const root = wharfRoot(def);
  const seeded = root
    ? await seedWharfDirect(report, dataDir, layout, packages, from, to, concurrency, deadline, extra, root, def.name)
    : await seedCnrDirect(report, dataDir, layout, packages, from, to, deadline, extra);
  const startAt = Date.now();
  const t = await def.startOn!(dataDir);
  const listening = (Date.now() - startAt) / 1000;
  const caughtUp = root ? await projectionsCaughtUp(t, catchUpTimeoutMs) : 0;
  return { t, seeded, listening, caughtUp };
}

/** How a direct seeding (server down, the target's own push code) was done, for the report's notes. */
export function directSeedHow(target: TargetName, seedConc: number): string {
  return target === 'wharf'
    ? WHARF_SEED === 'import'
      ? `offline through the package writer (bench/seed-wharf.ts, SEED_MODE=import: npm run import's code with the scenario's generator as source: each archive inspected and stored, each package's releases in ImportReleases commands decided and appended by the writer, every projection folded in the seeder; WHARF_SQLITE_SYNCHRONOUS=${process.env.BENCH_GROWTH_SEED_SYNCHRONOUS ?? 'normal'}, concurrency ${seedConc}), server down; then the server started on the directory`
      : `in-process (bench/seed-wharf.ts, SEED_MODE=inject: Wharf's embedded application, each push injected into its HTTP route, no socket; WHARF_SQLITE_SYNCHRONOUS=${process.env.BENCH_GROWTH_SEED_SYNCHRONOUS ?? 'normal'} while seeding, concurrency ${seedConc}), server down; then the server started on the directory`
    : `in-process (bench/cnr-seed.py: the reference's push implementation on its filesystem models, one process, sequential${(process.env.BENCH_GROWTH_CNR_COALESCE ?? '1') === '1' ? '; its JSON index files kept in memory between pushes and written once at the end of each seeding (CNR_SEED_COALESCE=1)' : ''}), server down; then gunicorn started on the directory`;
}

/** Wharf's own lag gauges (`wharf_consumer_lag` on /metrics) at 0; returns the seconds it took. */
export async function projectionsCaughtUp(t: Running, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const lags = [...text.matchAll(/^wharf_consumer_lag\{[^}]*group="([^"]+)"[^}]*\} (\d+)/gm)].map((m) =>
      Number(m[2]),
    );
    if (lags.length && lags.every((l) => l === 0)) return (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${t.name}: projections not caught up within ${timeoutMs / 1000} s`);
}

export const layoutLabel = (layout: GrowthLayout) => (layout === 'search' ? 'search' : 'growth');

/** Seeds [from, to) of the layout into an embedded data directory (server down); returns how far it got. */
export async function seedWharfDirect(
  report: Report,
  dataDir: string,
  layout: GrowthLayout,
  packages: number,
  from: number,
  to: number,
  concurrency: number,
  deadline: number,
  extra: number,
  /** The build seeded with (its `dist/` and `scripts/`), and its target's name. */
  root: string = ROOT,
  target: TargetName = 'wharf',
): Promise<number> {
  if (from >= to) return from;
  const port = await freePort();
  const spec = { from, to, layout, packages, concurrency, deadline };
  let reached = from;
  let done:
    { failed: number; lastError: string; projectionsCaughtUpS: number; lag: number; events?: number } | undefined;
  const started = Date.now();
  const { code, err } = await runChild(
    process.execPath,
    ['-r', join(root, 'scripts', 'dist-paths.js'), join(__dirname, '..', 'seed-wharf.js')],
    {
      ...process.env,
      WHARF_BENCH_ROOT: root,
      WHARF_DATA_DIR: dataDir,
      WHARF_PORT: String(port),
      WHARF_HOST: '127.0.0.1',
      WHARF_PROFILE: 'embedded',
      WHARF_AUTH_MODE: 'open',
      WHARF_LOG_LEVEL: 'warn',
      WHARF_SQLITE_SYNCHRONOUS: process.env.BENCH_GROWTH_SEED_SYNCHRONOUS ?? 'normal',
      SEED_MODE: WHARF_SEED,
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16', // the blob store's fsyncs run on libuv's pool
      SEED: JSON.stringify(spec),
    },
    (line) => {
      if (line.startsWith('SEEDCHUNK ')) {
        const c = JSON.parse(line.slice(10)) as {
          from: number;
          to: number;
          done: number;
          failed: number;
          seconds: number;
        };
        reached = c.to;
        report.seeding.push({
          target,
          from: c.from + extra,
          to: c.to + extra,
          seconds: c.seconds,
          rate: c.done / c.seconds,
          failed: c.failed,
        });
        if (c.to % 10_000 === 0)
          log(
            `${layoutLabel(layout)} wharf: ${c.to} seeded in-process, ${(c.done / c.seconds).toFixed(0)} pushes/s in the last chunk`,
          );
      } else if (line.startsWith('SEEDDONE ')) done = JSON.parse(line.slice(9));
    },
  );
  if (code !== 0 || !done) throw new Error(`seed-wharf exited ${code}:\n${err.slice(-3000)}`);
  if (done.failed)
    report.notes.push(`${layoutLabel(layout)} wharf: ${done.failed} seeding pushes failed (last: ${done.lastError})`);
  const took = ((Date.now() - started) / 1000).toFixed(0);
  report.notes.push(
    WHARF_SEED === 'import'
      ? `${layoutLabel(layout)} wharf: imported ${from} -> ${reached} in ${took} s (process start and projections included)`
      : `${layoutLabel(layout)} wharf: seeded ${from} -> ${reached} in ${took} s (process start and projections included; projections caught up ${done.projectionsCaughtUpS.toFixed(1)} s after the last push${done.lag ? `, lag still ${done.lag}` : ''})`,
  );
  return reached;
}

/** Seeds [from, to) into the reference's filesystem store with bench/cnr-seed.py (server down). */
export async function seedCnrDirect(
  report: Report,
  dataDir: string,
  layout: GrowthLayout,
  packages: number,
  from: number,
  to: number,
  deadline: number,
  extra: number,
): Promise<number> {
  if (from >= to) return from;
  let reached = from;
  let done: { done: number; failed: number; lastError: string } | undefined;
  const started = Date.now();
  const { code, err } = await runChild(
    join(CACHE, 'cnr', 'venv', 'bin', 'python'),
    [join(ROOT, 'bench', 'cnr-seed.py')],
    { ...process.env, ...cnrEnv(dataDir), CNR_SEED_COALESCE: process.env.BENCH_GROWTH_CNR_COALESCE ?? '1' },
    (line) => {
      if (line.startsWith('SEEDCHUNK ')) {
        const c = JSON.parse(line.slice(10)) as { from: number; to: number; seconds: number };
        report.seeding.push({
          target: 'cnr',
          from: from + c.from + extra,
          to: from + c.to + extra,
          seconds: c.seconds,
          rate: (c.to - c.from) / c.seconds,
          failed: 0,
        });
        if ((from + c.to) % 10_000 === 0)
          log(
            `${layoutLabel(layout)} cnr: ${from + c.to} seeded in-process, ${((c.to - c.from) / c.seconds).toFixed(0)} pushes/s in the last chunk`,
          );
      } else if (line.startsWith('SEEDDONE ')) done = JSON.parse(line.slice(9));
    },
    async (stdin) => {
      // the same archives as every other seeding path, one line each; stops writing at the deadline
      for (let i = from; i < to && Date.now() < deadline; i++) {
        const r = growthRelease(layout, packages, i);
        const line = `${r.ns}/${r.name}\t${r.release}\t${growthChart(layout, packages, i).toString('base64')}\n`;
        if (!stdin.write(line)) await new Promise((res) => stdin.once('drain', res));
        reached = i + 1;
      }
      stdin.end();
    },
  );
  if (code !== 0 || !done) throw new Error(`cnr-seed.py exited ${code}:\n${err.slice(-3000)}`);
  if (done.failed)
    report.notes.push(`${layoutLabel(layout)} cnr: ${done.failed} seeding pushes failed (last: ${done.lastError})`);
  report.notes.push(
    `${layoutLabel(layout)} cnr: seeded ${from} -> ${reached} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return reached;
}

/** Runs a child to its end, line by line on stdout; optionally feeds its stdin. */
export function runChild(
  file: string,
  args: string[],
  childEnv: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
  feed?: (stdin: NodeJS.WritableStream & { once: (event: string, listener: () => void) => unknown }) => Promise<void>,
): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: ROOT, env: childEnv, stdio: [feed ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let buf = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.length > 100_000) err = err.slice(-50_000);
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, err }));
    if (feed) feed(child.stdin! as never).catch((e) => (err += String(e)));
  });
}

/**
 * Benchmark entry point: `npm run bench -- <scenario>` (via bench/bench.sh, which installs the
 * tools, builds Wharf and compiles this file). Scenarios: pull, show-list, push, growth, memory,
 * search, all; `profile <file.cpuprofile>` summarises a profile. Writes bench/results/<scenario>-<stamp>.{json,md,svg}.
 * Every loop is bounded in count and time; every target listens on 127.0.0.1. Never fails on a threshold.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  API,
  pool,
  pullPath,
  pushBody,
  pushChart,
  SEARCH_NS,
  SEARCH_WORDS,
  searchPackage,
  seedOne,
  seedRetries,
  sizedChart,
} from './lib/charts';
import { GET_LOAD, LoadResult, runLoad } from './lib/load';
import { WRK_THREADS, wrkVersion } from './lib/wrk';
import { ProfileSummary, profileMarkdown, summarizeProfile } from './lib/profile';
import {
  BENCH_ADMIN,
  CACHE,
  CNR_WORKERS,
  cnrEnv,
  freePort,
  ROOT,
  Running,
  rssMiB,
  pssMiB,
  startWharfEnforced,
  TARGETS,
  TargetDef,
  TargetName,
} from './lib/targets';
import { GrowthLayout, growthChart, growthRelease } from './lib/growth-layout';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const DURATION_S = env('BENCH_DURATION_S', 10);
const WARMUP_S = env('BENCH_WARMUP_S', 2);
const CONNECTIONS = env('BENCH_CONNECTIONS', 16);
const ONLY = process.env.BENCH_TARGETS?.split(',').map((s) => s.trim()) as TargetName[] | undefined;
const RESULTS = join(ROOT, 'bench', 'results');
const PROFILE = process.env.BENCH_PROFILE === '1';

interface Row extends LoadResult {
  scenario: string;
  case: string;
  target: TargetName;
  note?: string;
}
interface GrowthPoint {
  target: TargetName;
  releases: number;
  push: Row;
  pushExisting: Row;
  show: Row;
}
interface SeedChunk {
  target: TargetName;
  from: number;
  to: number;
  seconds: number;
  rate: number;
  failed: number;
}
interface LagRow {
  target: TargetName;
  case: string;
  /** Probe pushes made; found within the timeout: `n - notFound`. */
  n: number;
  notFound: number;
  /** Push answered -> first search answer that lists the package, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** The probe push itself (sent -> answered), ms. */
  pushP50: number;
  pushP99: number;
  /** Background pushes during the case (concurrent case), and their rate. */
  backgroundPushes?: number;
  backgroundRate?: number;
  backgroundFailed?: number;
}
interface Report {
  scenario: string;
  date: string;
  machine: Record<string, string | number>;
  settings: Record<string, string | number>;
  targets: { name: string; label: string; available: true | string }[];
  rows: Row[];
  memory: {
    target: TargetName;
    emptyRssMiB: number;
    seededRssMiB: number;
    seededPssMiB: number;
    peakRssMiB: number;
    peakPssMiB: number;
  }[];
  growth: GrowthPoint[];
  lag: LagRow[];
  seeding: SeedChunk[];
  growthStops: { target: TargetName; reached: number; wanted: number; reason: string }[];
  goals: { goal: string; value: string; met: boolean; detail: string }[];
  profiles: ProfileSummary[];
  notes: string[];
}

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function cmd(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return String((e as { stderr?: string }).stderr ?? e).trim();
  }
}

function newReport(scenario: string): Report {
  return {
    scenario,
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? '?',
      cores: cpus().length,
      memGiB: Math.round(totalmem() / 2 ** 30),
      kernel: cmd('uname', ['-r']),
      node: process.version,
      python: cmd(join(CACHE, 'cnr', 'venv', 'bin', 'python'), ['--version']),
      nginx: cmd(join(CACHE, 'nginx', 'root', 'usr', 'sbin', 'nginx'), ['-v']).replace('nginx version: ', ''),
      loadavgAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    },
    settings: {
      loadGenerator: `autocannon ${JSON.parse(readFileSync(join(CACHE, 'node', 'node_modules', 'autocannon', 'package.json'), 'utf8')).version} (in the bench process) for pushes`,
      getLoadGenerator:
        GET_LOAD === 'wrk'
          ? `${wrkVersion()}, ${WRK_THREADS} threads (BENCH_LOAD=autocannon to compare)`
          : 'autocannon (BENCH_LOAD=wrk when installed)',
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      connections: CONNECTIONS,
      cnrWorkers: CNR_WORKERS,
      wharfSqliteSynchronous: process.env.WHARF_SQLITE_SYNCHRONOUS ?? 'full (default)',
      profiling: PROFILE ? 'on (Wharf runs profiled: figures are slower than unprofiled)' : 'off',
    },
    targets: TARGETS.map((t) => ({ name: t.name, label: t.label, available: t.available })),
    rows: [],
    memory: [],
    growth: [],
    lag: [],
    seeding: [],
    growthStops: [],
    goals: [],
    profiles: [],
    notes: [],
  };
}

function selected(apiOnly: boolean): TargetDef[] {
  return TARGETS.filter((t) => t.available === true && (!apiOnly || t.api) && (!ONLY || ONLY.includes(t.name)));
}

async function withTargets<T>(apiOnly: boolean, fn: (running: Running[]) => Promise<T>): Promise<T> {
  for (const t of TARGETS) if (t.available !== true) log(`skip ${t.name}: ${t.available}`);
  return stoppingOnExit(async (running) => {
    for (const t of selected(apiOnly)) {
      running.push(await t.start());
      log(`started ${t.name} at ${running[running.length - 1]!.url} (pid ${running[running.length - 1]!.pid})`);
    }
    return fn(running);
  });
}

/** Runs `fn` with a list it fills with started targets; stops them when `fn` ends, and on SIGINT or SIGTERM. */
async function stoppingOnExit<T>(fn: (running: Running[]) => Promise<T>): Promise<T> {
  const running: Running[] = [];
  const onSignal = async () => {
    for (const r of running) await r.stop().catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn(running);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    for (const r of running) await r.stop().catch(() => undefined);
  }
}

let profDirCount = 0;
async function measure(
  report: Report,
  t: Running,
  scenario: string,
  name: string,
  load: Omit<Parameters<typeof runLoad>[0], 'url' | 'pid' | 'connections' | 'durationS'> & {
    connections?: number;
    durationS?: number;
  },
): Promise<Row> {
  const base = { url: t.url, pid: t.pid, connections: load.connections ?? CONNECTIONS, ...load };
  if (WARMUP_S > 0)
    await runLoad({
      ...base,
      durationS: WARMUP_S,
      ...(load.maxRequests ? { maxRequests: Math.ceil(load.maxRequests / 5) } : {}),
    });
  const profiling = PROFILE && t.name === 'wharf' && process.env.BENCH_CPU_PROF_DIR;
  if (profiling) {
    writeFileSync(join(process.env.BENCH_CPU_PROF_DIR!, 'control'), 'start');
    await new Promise((res) => setTimeout(res, 300));
  }
  const r = await runLoad({ ...base, durationS: load.durationS ?? DURATION_S });
  if (profiling) {
    const dir = process.env.BENCH_CPU_PROF_DIR!;
    writeFileSync(join(dir, 'control'), 'stop');
    const file = join(dir, `wharf-${++profDirCount}.cpuprofile`);
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((res) => setTimeout(res, 100));
    if (existsSync(file)) {
      const s = summarizeProfile(file);
      s.file = `${file} (${scenario}: ${name})`;
      report.profiles.push(s);
    }
  }
  const row: Row = { scenario, case: name, target: t.name, ...r };
  // most answers failed: keep what the server said about it (gunicorn's tracebacks, Wharf's error log)
  if (r.non2xx > r.ok && t.logTail)
    report.notes.push(
      `${t.name} | ${name}: ${r.non2xx} non-2xx of ${r.requests}; the server's log ends with: ${JSON.stringify(t.logTail().slice(-800))}`,
    );
  report.rows.push(row);
  log(
    `${scenario} | ${name} | ${t.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}, cpu ${r.cpuMsPerRequest.toFixed(2)} ms/req, rss ${r.rssPeakMiB.toFixed(0)} MiB`,
  );
  return row;
}

const rnd = (n: number) => Math.floor(Math.random() * n);

// ---- scenarios -------------------------------------------------------------------------------

const PULL_SIZES: [string, number][] = [
  ['4KB', 4 * 1024],
  ['100KB', 100 * 1024],
  ['5MB', 5 * 1024 * 1024],
];
const PULL_RELEASES = 10;

async function seedPull(running: Running[], sizes = PULL_SIZES): Promise<void> {
  for (const [label, size] of sizes) {
    const charts = Array.from({ length: PULL_RELEASES }, (_, i) =>
      sizedChart(`chart-${label.toLowerCase()}`, `1.0.${i}`, size, label),
    );
    for (const t of running) {
      const res = await pool(
        0,
        PULL_RELEASES,
        4,
        (i) => seedOne(t, 'pull', `chart-${label.toLowerCase()}`, `1.0.${i}`, charts[i]!),
        Date.now() + 300_000,
      );
      if (res.done !== PULL_RELEASES) throw new Error(`seeding pull ${label} on ${t.name}: ${res.lastError}`);
      // every target must serve the same bytes
      const got = Buffer.from(
        await (await fetch(`${t.url}${pullPath('pull', `chart-${label.toLowerCase()}`, '1.0.3')}`)).arrayBuffer(),
      );
      if (!got.equals(charts[3]!)) throw new Error(`${t.name} served different bytes for pull ${label}`);
    }
    log(`seeded pull ${label}: ${PULL_RELEASES} x ${charts[0]!.length} bytes`);
  }
}

async function scenarioPull(report: Report, sizes = PULL_SIZES): Promise<void> {
  await withTargets(false, async (running) => {
    await seedPull(running, sizes);
    for (const [label] of sizes) {
      const name = `chart-${label.toLowerCase()}`;
      for (const t of running) {
        await measure(report, t, 'pull', `pull ${label}`, {
          next: () => ({ path: pullPath('pull', name, `1.0.${rnd(PULL_RELEASES)}`) }),
        });
      }
    }
  });
}

/**
 * The client ceiling: every pull case with both load generators, back to back, against each
 * target (`BENCH_TARGETS=wharf,nginx` for the comparison that matters). Needs wrk installed.
 */
async function scenarioPullClients(report: Report): Promise<void> {
  await withTargets(false, async (running) => {
    await seedPull(running);
    for (const [label] of PULL_SIZES) {
      const name = `chart-${label.toLowerCase()}`;
      for (const generator of ['autocannon', 'wrk'] as const)
        for (const t of running)
          await measure(report, t, 'pull-clients', `pull ${label} (${generator})`, {
            generator,
            next: () => ({ path: pullPath('pull', name, `1.0.${rnd(PULL_RELEASES)}`) }),
          });
    }
  });
}

async function scenarioShowList(report: Report): Promise<void> {
  const PKGS = 50;
  const RELS = 2;
  const charts = Array.from({ length: PKGS * RELS }, (_, i) =>
    pushChart(`p${Math.floor(i / RELS)}`, `1.0.${i % RELS}`),
  );
  await withTargets(true, async (running) => {
    for (const t of running) {
      const res = await pool(
        0,
        PKGS * RELS,
        4,
        (i) => seedOne(t, 'show', `p${Math.floor(i / RELS)}`, `1.0.${i % RELS}`, charts[i]!),
        Date.now() + 300_000,
      );
      if (res.failed) throw new Error(`seeding show on ${t.name}: ${res.lastError}`);
    }
    log(`seeded show-list: ${PKGS} packages x ${RELS} releases`);
    for (const t of running)
      await measure(report, t, 'show-list', 'show (GET manifest)', {
        next: () => ({ path: `${API}/show/p${rnd(PKGS)}/1.0.${rnd(RELS)}/helm` }),
      });
    for (const t of running)
      await measure(report, t, 'show-list', `list (namespace, ${PKGS} packages)`, {
        next: () => ({ path: `${API}?namespace=show` }),
      });
  });
}

/**
 * The cost of authentication on a read: show (GET manifest) of public packages on the open
 * embedded profile, then on the same profile with authentication enforced, anonymous, with a
 * Bearer token, and with Basic user:password (scrypt once, then remembered for a minute).
 */
async function scenarioAuth(report: Report): Promise<void> {
  const PKGS = 50;
  const charts = Array.from({ length: PKGS }, (_, i) => pushChart(`a${i}`, '1.0.0'));
  const running = [await TARGETS.find((t) => t.name === 'wharf')!.start(), await startWharfEnforced()];
  try {
    for (const t of running) {
      const res = await pool(0, PKGS, 4, (i) => seedOne(t, 'auth', `a${i}`, '1.0.0', charts[i]!), Date.now() + 300_000);
      if (res.failed) throw new Error(`seeding auth on ${t.name}: ${res.lastError}`);
    }
    const [open, enforced] = running as [Running, Running];
    const next = () => ({ path: `${API}/auth/a${rnd(PKGS)}/1.0.0/helm` });
    const basic = {
      authorization: `Basic ${Buffer.from(`${BENCH_ADMIN.username}:${BENCH_ADMIN.password}`).toString('base64')}`,
    };
    await measure(report, open, 'auth', 'show, open mode', { next });
    await measure(report, enforced, 'auth', 'show, enforced, anonymous', { next });
    await measure(report, enforced, 'auth', 'show, enforced, Bearer token', { next, headers: enforced.admin });
    await measure(report, enforced, 'auth', 'show, enforced, Basic password', { next, headers: basic });
  } finally {
    for (const r of running) await r.stop().catch(() => undefined);
  }
}

async function scenarioPush(report: Report): Promise<void> {
  await withTargets(true, async (running) => {
    for (const t of running) {
      let i = 0;
      await measure(report, t, 'push', 'push, one package (distinct releases)', {
        method: 'POST',
        maxRequests: 200_000,
        next: () => {
          const release = `1.0.${i++}`;
          return { path: `${API}/push/one`, body: pushBody(release, pushChart('one', release)) };
        },
      });
    }
    for (const t of running) {
      let i = 0;
      await measure(report, t, 'push', 'push, many packages (one release each)', {
        method: 'POST',
        maxRequests: 200_000,
        next: () => {
          const name = `m${i++}`;
          return { path: `${API}/push/${name}`, body: pushBody('1.0.0', pushChart(name, '1.0.0')) };
        },
      });
    }
  });
}

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
/** How bench/seed-wharf.ts seeds Wharf in `direct` mode: `log` (default) or `inject`. */
const WHARF_SEED = process.env.BENCH_GROWTH_WHARF_SEED ?? 'log';

/** Connections of the measured growth pushes (BENCH_GROWTH_PUSH_CONNECTIONS, default 8; 1 measures one push at a time). */
const GROWTH_PUSH_CONNECTIONS = Number(process.env.BENCH_GROWTH_PUSH_CONNECTIONS ?? 8);

async function scenarioGrowth(report: Report, layout: GrowthLayout = 'spread'): Promise<void> {
  const levels = (
    process.env[layout === 'one' ? 'BENCH_GROWTH_ONE_LEVELS' : 'BENCH_GROWTH_LEVELS'] ??
    (layout === 'one' ? '1000,10000' : '1000,10000,100000')
  )
    .split(',')
    .map(Number);
  const budgetS = env('BENCH_GROWTH_SEED_BUDGET_S', 1500);
  const SEED_PKGS = layout === 'one' ? 1 : 1000;
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
    const how = direct
      ? directSeedHow(def.name, seedConc)
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

/** Whether a target can be seeded directly: by its own push code, with its server down. */
const seedsDirect = (def: TargetDef): boolean => !!def.startOn && (def.name === 'wharf' || def.name === 'cnr');

/**
 * Seeds [from, to) of `layout` into `dataDir` with the target's own push code (server down), then
 * starts its server on the directory and, for Wharf, waits until every projection has caught up.
 * Returns the server, how far seeding got, and the seconds to listen and then to catch up.
 */
async function seedDirectThenStart(
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
  const seeded =
    def.name === 'wharf'
      ? await seedWharfDirect(report, dataDir, layout, packages, from, to, concurrency, deadline, extra)
      : await seedCnrDirect(report, dataDir, layout, packages, from, to, deadline, extra);
  const startAt = Date.now();
  const t = await def.startOn!(dataDir);
  const listening = (Date.now() - startAt) / 1000;
  const caughtUp = def.name === 'wharf' ? await projectionsCaughtUp(t, catchUpTimeoutMs) : 0;
  return { t, seeded, listening, caughtUp };
}

/** How a direct seeding (server down, the target's own push code) was done, for the report's notes. */
function directSeedHow(target: TargetName, seedConc: number): string {
  return target === 'wharf'
    ? WHARF_SEED === 'log'
      ? `offline into the event log (bench/seed-wharf.ts, SEED_MODE=log: per push, Wharf's own inspectArchive, FsBlobStore.put, decide, envelopesFor, SqliteEventLog.append, as the push route and package writer run them; WHARF_SQLITE_SYNCHRONOUS=${process.env.BENCH_GROWTH_SEED_SYNCHRONOUS ?? 'normal'}, concurrency ${seedConc}), server down; then the server started on the directory, its projectors folding the new events (metadata before it listens; search and blob references awaited through /metrics) before the measurements`
      : `in-process (bench/seed-wharf.ts, SEED_MODE=inject: Wharf's embedded application, each push injected into its HTTP route, no socket; WHARF_SQLITE_SYNCHRONOUS=${process.env.BENCH_GROWTH_SEED_SYNCHRONOUS ?? 'normal'} while seeding, concurrency ${seedConc}), server down; then the server started on the directory`
    : `in-process (bench/cnr-seed.py: the reference's push implementation on its filesystem models, one process, sequential${(process.env.BENCH_GROWTH_CNR_COALESCE ?? '1') === '1' ? '; its JSON index files kept in memory between pushes and written once at the end of each seeding (CNR_SEED_COALESCE=1)' : ''}), server down; then gunicorn started on the directory`;
}

/** Wharf's own lag gauges (`wharf_consumer_lag` on /metrics) at 0; returns the seconds it took. */
async function projectionsCaughtUp(t: Running, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const lags = [...text.matchAll(/^wharf_consumer_lag\{group="([^"]+)"\} (\d+)/gm)].map((m) => Number(m[2]));
    if (lags.length && lags.every((l) => l === 0)) return (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${t.name}: projections not caught up within ${timeoutMs / 1000} s`);
}

const layoutLabel = (layout: GrowthLayout) => (layout === 'search' ? 'search' : 'growth');

/** Seeds [from, to) of the layout into an embedded data directory (server down); returns how far it got. */
async function seedWharfDirect(
  report: Report,
  dataDir: string,
  layout: GrowthLayout,
  packages: number,
  from: number,
  to: number,
  concurrency: number,
  deadline: number,
  extra: number,
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
    ['-r', join(ROOT, 'scripts', 'dist-paths.js'), join(__dirname, 'seed-wharf.js')],
    {
      ...process.env,
      WHARF_BENCH_ROOT: ROOT,
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
          target: 'wharf',
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
    WHARF_SEED === 'log'
      ? `${layoutLabel(layout)} wharf: seeded ${from} -> ${reached} into the log in ${took} s (process start included; the log then held ${done.events} events)`
      : `${layoutLabel(layout)} wharf: seeded ${from} -> ${reached} in ${took} s (process start and projections included; projections caught up ${done.projectionsCaughtUpS.toFixed(1)} s after the last push${done.lag ? `, lag still ${done.lag}` : ''})`,
  );
  return reached;
}

/** Seeds [from, to) into the reference's filesystem store with bench/cnr-seed.py (server down). */
async function seedCnrDirect(
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
function runChild(
  file: string,
  args: string[],
  childEnv: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
  feed?: (stdin: NodeJS.WritableStream & { once: Function }) => Promise<void>,
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

/**
 * Search over a registry of BENCH_SEARCH_PACKAGES packages (10,000) holding BENCH_SEARCH_RELEASES
 * releases (100,000), pushed through HTTP in rounds (every package gets its first release, then its
 * second, ...), BENCH_SEARCH_SEED_CONCURRENCY (16) at a time, within BENCH_SEARCH_SEED_BUDGET_S
 * (1800 s) per target. Then, once probe packages are searchable (the projections are
 * asynchronous), `GET /cnr/api/v1/packages/search?q=<word>` with a random word of the generated
 * names/descriptions/keywords (each word is carried by about 2 × packages / 98 packages), and a
 * word that matches nothing.
 */
async function scenarioSearch(report: Report): Promise<void> {
  const packages = env('BENCH_SEARCH_PACKAGES', 10_000);
  const releases = Math.max(packages, env('BENCH_SEARCH_RELEASES', 100_000));
  const conc = env('BENCH_SEARCH_SEED_CONCURRENCY', 16);
  const budgetS = env('BENCH_SEARCH_SEED_BUDGET_S', 1800);
  report.settings.searchPackages = packages;
  report.settings.searchReleases = releases;
  report.settings.searchSeedConcurrency = conc;
  const searchPath = (q: string) => `${API}/search?q=${encodeURIComponent(q)}`;
  const found = async (t: Running, q: string): Promise<string[]> => {
    const res = await fetch(`${t.url}${searchPath(q)}`);
    if (!res.ok) throw new Error(`${t.name}: search ${q}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    return (await res.json()) as string[];
  };
  const seedMode = process.env.BENCH_SEARCH_SEED ?? 'direct';
  if (seedMode !== 'direct' && seedMode !== 'http')
    throw new Error(`BENCH_SEARCH_SEED=${seedMode}: expected direct or http`);
  const directConc = env('BENCH_GROWTH_SEED_CONCURRENCY', 64);
  const reached = new Map<TargetName, number>();
  const dataDirs: string[] = [];
  await stoppingOnExit(async (running) => {
    for (const def of selected(true)) {
      const started = Date.now();
      const deadline = started + budgetS * 1000;
      let seeded = 0;
      let failed = 0;
      let t: Running;
      if (seedMode === 'direct' && seedsDirect(def)) {
        // the target's own push code writes its store while the server is down (as growth's direct seeding)
        report.notes.push(`search ${def.name}: seeded ${directSeedHow(def.name, directConc)}`);
        const dataDir = mkdtempSync(join(tmpdir(), `wharf-bench-search-${def.name}-`));
        dataDirs.push(dataDir);
        let listening: number, caughtUp: number;
        ({ t, seeded, listening, caughtUp } = await seedDirectThenStart(
          report,
          def,
          dataDir,
          'search',
          packages,
          0,
          releases,
          directConc,
          deadline,
          0,
          1_800_000,
        ));
        running.push(t);
        report.notes.push(
          `search ${def.name}: server listening ${listening.toFixed(1)} s after start` +
            (def.name === 'wharf' ? `, every projection caught up ${caughtUp.toFixed(1)} s later` : ''),
        );
      } else {
        t = await def.start();
        running.push(t);
        report.notes.push(
          `search ${def.name}: seeded through HTTP against the running server, concurrency ${conc}, in rounds`,
        );
        for (let from = 0; from < releases && Date.now() < deadline; from += packages) {
          const to = Math.min(releases, from + packages);
          const res = await pool(
            from,
            to,
            conc,
            (i) => {
              const r = growthRelease('search', packages, i);
              return seedOne(t, r.ns, r.name, r.release, growthChart('search', packages, i));
            },
            deadline,
          );
          seeded += res.done;
          failed += res.failed;
          const s = (Date.now() - started) / 1000;
          report.seeding.push({
            target: t.name,
            from,
            to: from + res.done + res.failed,
            seconds: s,
            rate: seeded / s,
            failed: res.failed,
          });
          log(
            `search ${t.name}: ${seeded} releases seeded in ${s.toFixed(0)} s (${(seeded / s).toFixed(1)}/s)${res.failed ? `, ${res.failed} failed (last: ${res.lastError})` : ''}`,
          );
          if (res.done + res.failed < to - from) break;
        }
      }
      log(`started ${t.name} at ${t.url} (pid ${t.pid}), ${seeded} releases`);
      const seedS = (Date.now() - started) / 1000; // direct seeding: the server's start and catch-up included
      reached.set(t.name, seeded);
      if (seeded + failed < releases) {
        report.growthStops.push({
          target: t.name,
          reached: seeded,
          wanted: releases,
          reason: `search seeding budget of ${budgetS} s spent`,
        });
        report.notes.push(
          `search ${t.name}: seeding stopped at ${seeded} of ${releases} releases (budget ${budgetS} s)`,
        );
      }
      // the projections are asynchronous: wait until probe packages are searchable (a sanity check that
      // the index is populated before measuring; they were pushed in the first round, so this is no lag figure)
      const lagStart = Date.now();
      const probes = [packages - 1, packages - 2, Math.floor(packages / 2)].filter(
        (i) => i >= 0 && i < Math.min(packages, seeded),
      );
      let lagS = NaN;
      while (Date.now() - lagStart < 300_000) {
        const ok = await Promise.all(
          probes.map(async (i) =>
            (await found(t, searchPackage(i).name)).includes(`${SEARCH_NS}/${searchPackage(i).name}`),
          ),
        );
        if (ok.every(Boolean)) {
          lagS = (Date.now() - lagStart) / 1000;
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      const hits = await found(t, SEARCH_WORDS[0]!);
      report.notes.push(
        `search ${t.name}: seeded ${seeded} releases of ${Math.min(packages, seeded)} packages in ${seedS.toFixed(0)} s (${(seeded / seedS).toFixed(1)} pushes/s)` +
          `${failed ? `, ${failed} failed` : ''}; probe packages (pushed in the first round) searchable ${Number.isNaN(lagS) ? 'NOT within 300 s' : `${lagS.toFixed(1)} s`} after seeding (not a push-to-searchable lag: see the lag scenario); q=${SEARCH_WORDS[0]} finds ${hits.length}`,
      );
      log(`search ${t.name}: probes searchable after ${lagS.toFixed(1)} s; q=${SEARCH_WORDS[0]} finds ${hits.length}`);
    }
    const per = Math.round((2 * packages) / SEARCH_WORDS.length);
    for (const t of running)
      await measure(report, t, 'search', `search, one word (~${per} hits of ${packages} packages)`, {
        next: () => ({ path: searchPath(SEARCH_WORDS[rnd(SEARCH_WORDS.length)]!) }),
      });
    for (const t of running)
      await measure(report, t, 'search', 'search, no match', { next: () => ({ path: searchPath(`zz${rnd(1e6)}`) }) });
    for (const t of running) {
      const r = reached.get(t.name);
      if (r !== undefined && r < releases)
        report.notes.push(`search ${t.name}: measured at ${r} releases, not ${releases}`);
    }
  }).finally(() => {
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  });
}

/**
 * End-to-end lag: push answered -> the package is in the search API's answer. One probe push at a
 * time (a new package each, a name no other package contains), each followed by polling
 * `GET …/search?q=<name>` every BENCH_LAG_POLL_MS (10) until the answer lists it (BENCH_LAG_TIMEOUT_S,
 * 30, then it counts as not found), BENCH_LAG_PUSHES (100) probes per case. Two cases per target:
 * sequential (nothing else running), and the same probes while BENCH_LAG_BG_CONCURRENCY (4)
 * background pushers push new packages into another namespace without pause. Targets:
 * wharf-distributed (the issue's goal: p99 under 2 s) and wharf (embedded), or BENCH_TARGETS.
 */
async function scenarioLag(report: Report): Promise<void> {
  const probes = env('BENCH_LAG_PUSHES', 100);
  const pollMs = env('BENCH_LAG_POLL_MS', 10);
  const timeoutMs = env('BENCH_LAG_TIMEOUT_S', 30) * 1000;
  const bgConc = env('BENCH_LAG_BG_CONCURRENCY', 4);
  report.settings.lagProbes = probes;
  report.settings.lagPollMs = pollMs;
  report.settings.lagBackgroundConcurrency = bgConc;
  const names = ONLY ?? (['wharf-distributed', 'wharf'] as TargetName[]);
  const defs = TARGETS.filter((t) => names.includes(t.name) && t.api);
  for (const t of TARGETS) if (names.includes(t.name) && t.available !== true) log(`skip ${t.name}: ${t.available}`);
  const tag = Date.now().toString(36);
  const pct = (xs: number[], p: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
      : NaN;
  };
  const searchHas = async (t: Running, name: string, full: string) => {
    const res = await fetch(`${t.url}${API}/search?q=${encodeURIComponent(name)}`);
    if (!res.ok) {
      await res.arrayBuffer();
      return false;
    }
    const body = (await res.json()) as unknown;
    return (
      Array.isArray(body) &&
      body.some((x) => x === full || (typeof x === 'object' && x !== null && (x as { name?: string }).name === full))
    );
  };
  /** One probe: push, then poll search; returns [push ms, lag ms or NaN]. */
  const probe = async (t: Running, name: string): Promise<[number, number]> => {
    const sent = performance.now();
    await seedOne(t, 'lag', name, '1.0.0', pushChart(name, '1.0.0'));
    const answered = performance.now();
    for (;;) {
      if (await searchHas(t, name, `lag/${name}`)) return [answered - sent, performance.now() - answered];
      if (performance.now() - answered > timeoutMs) return [answered - sent, NaN];
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  const runCase = async (t: Running, label: string, background: boolean) => {
    let stop = false;
    let bgDone = 0;
    let bgFailed = 0;
    let bgSeq = 0;
    const bgStart = Date.now();
    const bg = background
      ? Promise.all(
          Array.from({ length: bgConc }, async () => {
            while (!stop) {
              const name = `b${tag}n${bgSeq++}`;
              await seedOne(t, 'lagbg', name, '1.0.0', pushChart(name, '1.0.0')).then(
                () => bgDone++,
                () => bgFailed++,
              );
            }
          }),
        )
      : Promise.resolve([]);
    if (background) await new Promise((r) => setTimeout(r, 1000)); // let the background load settle
    const pushes: number[] = [];
    const lags: number[] = [];
    let notFound = 0;
    try {
      for (let i = 0; i < probes; i++) {
        const [pushMs, lagMs] = await probe(t, `q${tag}${background ? 'c' : 's'}${i}`);
        pushes.push(pushMs);
        if (Number.isNaN(lagMs)) notFound++;
        else lags.push(lagMs);
      }
    } finally {
      stop = true;
      await bg;
    }
    const bgS = (Date.now() - bgStart) / 1000;
    const row: LagRow = {
      target: t.name,
      case: label,
      n: probes,
      notFound,
      p50: pct(lags, 50),
      p90: pct(lags, 90),
      p99: pct(lags, 99),
      max: lags.length ? Math.max(...lags) : NaN,
      pushP50: pct(pushes, 50),
      pushP99: pct(pushes, 99),
      ...(background ? { backgroundPushes: bgDone, backgroundRate: bgDone / bgS, backgroundFailed: bgFailed } : {}),
    };
    report.lag.push(row);
    log(
      `lag | ${label} | ${t.name}: n=${probes} p50 ${f(row.p50)} ms, p90 ${f(row.p90)} ms, p99 ${f(row.p99)} ms, max ${f(row.max)} ms, not found ${notFound}; push p50 ${f(row.pushP50)} ms` +
        (background ? `; background ${bgDone} pushes (${f(bgDone / bgS)}/s, ${bgFailed} failed)` : ''),
    );
  };
  for (const def of defs) {
    if (def.available !== true) continue;
    const t = await def.start();
    log(`started ${t.name} at ${t.url} (pid ${t.pid})`);
    try {
      await probe(t, `w${tag}warm`); // the first push creates topics, indexes, tables
      await runCase(t, 'sequential pushes, each then polled until searchable', false);
      await runCase(t, `the same under ${bgConc} concurrent pushers`, true);
    } finally {
      await t.stop();
    }
  }
}

async function scenarioMemory(report: Report): Promise<void> {
  const size: [string, number][] = [['100KB', 100 * 1024]];
  await withTargets(false, async (running) => {
    const empty = new Map(running.map((t) => [t.name, rssMiB(t.pid)]));
    await seedPull(running, size);
    await new Promise((r) => setTimeout(r, 3000));
    const seeded = new Map(running.map((t) => [t.name, [rssMiB(t.pid), pssMiB(t.pid)] as const]));
    for (const t of running) {
      const row = await measure(report, t, 'memory', 'pull 100KB (memory)', {
        next: () => ({ path: pullPath('pull', 'chart-100kb', `1.0.${rnd(PULL_RELEASES)}`) }),
      });
      report.memory.push({
        target: t.name,
        emptyRssMiB: empty.get(t.name)!,
        seededRssMiB: seeded.get(t.name)![0],
        seededPssMiB: seeded.get(t.name)![1],
        peakRssMiB: row.rssPeakMiB,
        peakPssMiB: row.pssPeakMiB,
      });
    }
  });
}

// ---- goals -----------------------------------------------------------------------------------

function evaluateGoals(report: Report): void {
  const find = (c: string, t: TargetName) => report.rows.find((r) => r.case === c && r.target === t);
  const ratio = (goal: string, c: string, a: TargetName, b: TargetName, want: number) => {
    const ra = find(c, a);
    const rb = find(c, b);
    if (!ra || !rb) return;
    const x = ra.rps / rb.rps;
    report.goals.push({
      goal,
      value: `${x.toFixed(2)}x`,
      met: x >= want,
      detail:
        `${c}: ${ra.rps.toFixed(0)} vs ${rb.rps.toFixed(0)} req/s` +
        (x >= want ? '' : `; missed by ${((1 - x / want) * 100).toFixed(0)}% (needs ${(want / x).toFixed(2)}x more)`),
    });
  };
  for (const c of [...new Set(report.rows.map((r) => r.case))]) {
    if (c.startsWith('pull ') && !c.includes('memory')) {
      ratio('pull throughput >= 10x reference', c, 'wharf', 'cnr', 10);
      ratio('pull throughput >= 0.5x nginx', c, 'wharf', 'nginx', 0.5);
    }
    if (c.startsWith('show (')) ratio('show throughput >= 10x reference', c, 'wharf', 'cnr', 10);
    if (c.startsWith('push,')) ratio('push throughput >= 10x reference', c, 'wharf', 'cnr', 10);
  }
  for (const l of report.lag) {
    const distributed = l.target === 'wharf-distributed';
    const worst = l.notFound ? Number.POSITIVE_INFINITY : l.p99;
    report.goals.push({
      goal: `${distributed ? '' : `(${l.target}, for comparison) `}push-to-searchable p99 < 2 s (${l.case})`,
      value: `${f(l.p99, 0)} ms`,
      met: worst < 2000,
      detail:
        `n=${l.n}, p50 ${f(l.p50, 0)} / p90 ${f(l.p90, 0)} / max ${f(l.max, 0)} ms` +
        (l.notFound ? `; ${l.notFound} not searchable within the timeout` : '') +
        (worst < 2000
          ? ''
          : Number.isFinite(worst)
            ? `; over by ${f(worst - 2000, 0)} ms (${f(worst / 2000, 2)}x)`
            : ''),
    });
  }
  const one = report.scenario === 'growth-one';
  for (const target of ['wharf', 'cnr'] as TargetName[]) {
    const pts = report.growth.filter((g) => g.target === target);
    if (pts.length < 2) continue;
    for (const key of ['push', 'pushExisting'] as const) {
      const first = pts[0]!;
      const last = pts[pts.length - 1]!;
      const x = last[key].p99 / first[key].p99;
      if (!Number.isFinite(x)) {
        report.goals.push({
          goal: `${target === 'wharf' ? '' : '(reference, for comparison) '}push p99 flat within 2x (${key === 'push' ? 'new package' : one ? 'into the one package' : 'existing package'})`,
          value: '-',
          met: false,
          detail: `no push completed within the measured window @${Number.isFinite(first[key].p99) ? last.releases : first.releases} releases (${last[key].requests} sent, ${last[key].non2xx} non-2xx, ${last[key].errors} errors): lengthen BENCH_GROWTH_MEASURE_S`,
        });
        continue;
      }
      report.goals.push({
        goal: `${target === 'wharf' ? '' : '(reference, for comparison) '}push p99 flat within 2x (${key === 'push' ? 'new package' : one ? 'into the one package' : 'existing package'})`,
        value: `${x.toFixed(2)}x`,
        met: x <= 2,
        detail:
          `p99 ${first[key].p99.toFixed(2)} ms @${first.releases} -> ${last[key].p99.toFixed(2)} ms @${last.releases} releases${one ? ' in one package' : ''}` +
          (!one && last.releases < 100_000 ? ' (100,000 not reached)' : ''),
      });
    }
  }
}

// ---- output ----------------------------------------------------------------------------------

const COLORS: Record<TargetName, string> = {
  wharf: '#1f77b4',
  'wharf-enforced': '#17becf',
  'wharf-distributed': '#9467bd',
  cnr: '#d62728',
  nginx: '#2ca02c',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Grouped horizontal bars, each group scaled to its own maximum (values are printed). */
function barChart(
  title: string,
  groups: { label: string; bars: { target: TargetName; value: number; text: string }[] }[],
): string {
  const W = 860;
  const left = 260;
  const barH = 16;
  const gap = 14;
  let y = 40;
  const parts: string[] = [];
  for (const g of groups) {
    const max = Math.max(...g.bars.map((b) => b.value), 1e-9);
    parts.push(`<text x="10" y="${y + (g.bars.length * barH) / 2 + 4}" font-size="12">${esc(g.label)}</text>`);
    for (const b of g.bars) {
      const w = Math.max(1, ((W - left - 170) * b.value) / max);
      parts.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[b.target]}"/>`,
      );
      parts.push(
        `<text x="${left + w + 6}" y="${y + barH - 5}" font-size="11">${esc(`${b.target}: ${b.text}`)}</text>`,
      );
      y += barH;
    }
    y += gap;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>
${parts.join('\n')}
</svg>
`;
}

function svgFor(report: Report): string {
  if (report.lag.length)
    return barChart(
      'lag: push answered -> searchable, p99 ms (lower is better; goal < 2000 ms distributed)',
      report.lag.map((l) => ({
        label: l.case.slice(0, 40),
        bars: [{ target: l.target, value: l.p99, text: `p50 ${f(l.p50, 0)} / p99 ${f(l.p99, 0)} ms` }],
      })),
    );
  if (report.growth.length) {
    const groups: { label: string; bars: { target: TargetName; value: number; text: string }[] }[] = [];
    for (const [key, label] of [
      ['push', 'push new pkg p99'],
      ['pushExisting', 'push existing pkg p99'],
      ['show', 'show p99'],
    ] as const) {
      for (const g of report.growth)
        groups.push({
          label: `${label} @${g.releases}`,
          bars: [
            {
              target: g.target,
              value: g[key].p99,
              text: `${g[key].p99.toFixed(2)} ms (${g[key].rps.toFixed(0)} req/s)`,
            },
          ],
        });
    }
    groups.sort((a, b) => a.label.localeCompare(b.label, 'en', { numeric: true }));
    return barChart('growth: p99 latency by registry size (lower is better; each row scaled to itself)', groups);
  }
  const cases = [...new Set(report.rows.map((r) => r.case))];
  return barChart(
    `${report.scenario}: throughput, req/s (each group scaled to its fastest target)`,
    cases.map((c) => ({
      label: c,
      bars: report.rows
        .filter((r) => r.case === c)
        .map((r) => ({
          target: r.target,
          value: r.rps,
          text: `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} / p99 ${r.p99.toFixed(1)} ms`,
        })),
    })),
  );
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

function markdown(report: Report, svgName: string): string {
  const out: string[] = [];
  out.push(
    `# Wharf bench: ${report.scenario}`,
    '',
    `${report.date}. Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memGiB} GiB, Linux ${report.machine.kernel}, load average ${report.machine.loadavgAtStart} at start, ${report.machine.loadavgAtEnd} at end (machine shared: compare ratios, not absolutes).`,
    '',
  );
  out.push(
    `Settings: ${Object.entries(report.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}.`,
    '',
  );
  out.push(
    'Targets: ' +
      report.targets
        .map((t) => `${t.name} = ${t.label}${t.available === true ? '' : ` (skipped: ${t.available})`}`)
        .join('; ') +
      '.',
    '',
  );
  out.push(`![chart](${svgName})`, '');
  if (report.rows.length) {
    out.push(
      '| case | target | client | req/s | MB/s | p50 ms | p90 ms | p99 ms | non-2xx | errors | server CPU ms/req | RSS rest / peak MiB |',
      '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const r of report.rows)
      out.push(
        `| ${r.case} | ${r.target} | ${r.generator} | ${f(r.rps, 0)} | ${f(r.mbps)} | ${f(r.p50, 2)} | ${f(r.p90, 2)} | ${f(r.p99, 2)} | ${r.non2xx} | ${r.errors + r.timeouts} | ${f(r.cpuMsPerRequest, 2)} | ${f(r.rssRestMiB, 0)} / ${f(r.rssPeakMiB, 0)} |`,
      );
    out.push('');
    if (report.rows.some((r) => r.generator === 'wrk'))
      out.push(
        "wrk rows: latency percentiles from wrk's histogram over every completed request (a row with non-2xx answers includes them; wrk counts answers >= 400 as non-2xx); autocannon rows: 2xx only.",
        '',
      );
  }
  if (report.memory.length) {
    out.push(
      '| target | RSS empty MiB | RSS seeded, at rest | PSS seeded, at rest | RSS peak under pull | PSS peak under pull |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const m of report.memory)
      out.push(
        `| ${m.target} | ${f(m.emptyRssMiB, 0)} | ${f(m.seededRssMiB, 0)} | ${f(m.seededPssMiB, 0)} | ${f(m.peakRssMiB, 0)} | ${f(m.peakPssMiB, 0)} |`,
      );
    out.push(
      '',
      'RSS sums the process and its children (gunicorn and nginx workers share pages, so PSS is the fairer total for them).',
      '',
    );
  }
  if (report.growth.length) {
    out.push(
      '| target | releases | push new pkg req/s | p50 | p99 | push existing pkg req/s | p50 | p99 | show req/s | p50 | p99 |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const g of report.growth)
      out.push(
        `| ${g.target} | ${g.releases} | ${f(g.push.rps, 0)} | ${f(g.push.p50, 2)} | ${f(g.push.p99, 2)} | ${f(g.pushExisting.rps, 0)} | ${f(g.pushExisting.p50, 2)} | ${f(g.pushExisting.p99, 2)} | ${f(g.show.rps, 0)} | ${f(g.show.p50, 2)} | ${f(g.show.p99, 2)} |`,
      );
    out.push('');
    const byTarget = new Map<string, SeedChunk[]>();
    for (const s of report.seeding) byTarget.set(s.target, [...(byTarget.get(s.target) ?? []), s]);
    out.push(
      `Seeding rate (pushes/s; seeding ${report.settings.growthSeed}, concurrency ${report.settings.growthSeedConcurrency}; how each target was seeded is in the notes below) by registry size:`,
      '',
    );
    for (const [t, chunks] of byTarget) {
      const pick = chunks.filter(
        (c, i) =>
          i === 0 ||
          i === chunks.length - 1 ||
          [1000, 5000, 10000, 25000, 50000, 75000, 100000].includes(c.to) ||
          i % 10 === 0,
      );
      out.push(
        `- ${t}: ` + pick.map((c) => `${c.to}: ${f(c.rate, 0)}/s${c.failed ? ` (${c.failed} failed)` : ''}`).join(', '),
      );
    }
    for (const s of report.growthStops)
      out.push(`- ${s.target} stopped at ${s.reached} releases (wanted ${s.wanted}): ${s.reason}`);
    out.push('');
  }
  if (report.lag.length) {
    out.push(
      'Push answered -> listed by the search API (ms):',
      '',
      '| target | case | probes | not found | p50 | p90 | p99 | max | probe push p50 / p99 | background pushes |',
      '|---|---|---:|---:|---:|---:|---:|---:|---|---|',
    );
    for (const l of report.lag)
      out.push(
        `| ${l.target} | ${l.case} | ${l.n} | ${l.notFound} | ${f(l.p50, 0)} | ${f(l.p90, 0)} | ${f(l.p99, 0)} | ${f(l.max, 0)} | ${f(l.pushP50, 0)} / ${f(l.pushP99, 0)} | ${l.backgroundPushes === undefined ? '-' : `${l.backgroundPushes} (${f(l.backgroundRate!)}/s${l.backgroundFailed ? `, ${l.backgroundFailed} failed` : ''})`} |`,
      );
    out.push('');
  }
  if (report.goals.length) {
    out.push('| goal | value | met | detail |', '|---|---:|---|---|');
    for (const g of report.goals) out.push(`| ${g.goal} | ${g.value} | ${g.met ? 'yes' : '**no**'} | ${g.detail} |`);
    out.push('');
  }
  for (const p of report.profiles) out.push(profileMarkdown(p), '');
  for (const n of report.notes) out.push(`- ${n}`);
  return out.join('\n') + '\n';
}

// ---- main ------------------------------------------------------------------------------------

const SCENARIOS: Record<string, (r: Report) => Promise<void>> = {
  pull: (r) => scenarioPull(r),
  'pull-clients': scenarioPullClients,
  'show-list': scenarioShowList,
  auth: scenarioAuth,
  push: scenarioPush,
  growth: (r) => scenarioGrowth(r, 'spread'),
  'growth-one': (r) => scenarioGrowth(r, 'one'),
  memory: scenarioMemory,
  search: scenarioSearch,
  lag: scenarioLag,
};

async function runScenario(name: string): Promise<void> {
  const report = newReport(name);
  if (PROFILE) {
    const dir = join(RESULTS, 'profiles', `${name}-${report.date.replace(/[:.]/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    process.env.BENCH_CPU_PROF_DIR = dir;
    profDirCount = 0;
  }
  log(`scenario ${name}`);
  await SCENARIOS[name]!(report);
  evaluateGoals(report);
  for (const [t, n] of seedRetries) report.notes.push(`seeding ${t}: ${n} pushes answered 5xx and were retried`);
  seedRetries.clear();
  report.machine.loadavgAtEnd = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  mkdirSync(RESULTS, { recursive: true });
  const stem = `${name}-${report.date.replace(/[:.]/g, '-')}`;
  writeFileSync(join(RESULTS, `${stem}.json`), JSON.stringify(report, null, 2));
  writeFileSync(join(RESULTS, `${stem}.svg`), svgFor(report));
  writeFileSync(join(RESULTS, `${stem}.md`), markdown(report, `${stem}.svg`));
  log(`wrote bench/results/${stem}.{json,md,svg}`);
  for (const g of report.goals) log(`goal ${g.met ? 'met   ' : 'MISSED'} ${g.goal}: ${g.value} (${g.detail})`);
}

async function main(): Promise<void> {
  const [scenario, ...rest] = process.argv.slice(2);
  if (scenario === 'profile') {
    for (const file of rest) process.stdout.write(profileMarkdown(summarizeProfile(file)) + '\n\n');
    return;
  }
  if (scenario === 'list-results') {
    for (const file of existsSync(RESULTS) ? readdirSync(RESULTS) : []) process.stdout.write(file + '\n');
    return;
  }
  // `all`: every scenario but the client comparison (pull-clients) and the one-package growth
  const names =
    scenario === 'all'
      ? Object.keys(SCENARIOS).filter((n) => n !== 'pull-clients' && n !== 'growth-one')
      : [scenario ?? ''];
  for (const n of names) {
    if (!SCENARIOS[n]) {
      process.stderr.write(
        `usage: npm run bench -- <${[...Object.keys(SCENARIOS), 'all'].join('|')}> | profile <file.cpuprofile>\n`,
      );
      process.exit(2);
    }
  }
  for (const n of names) await runScenario(n);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);

/**
 * Benchmark entry point: `npm run bench -- <scenario>` (via bench/bench.sh, which installs the
 * tools, builds Wharf and compiles this file). Scenarios: pull, show-list, push, growth, memory,
 * search, all; `profile <file.cpuprofile>` summarises a profile. Writes bench/results/<scenario>-<stamp>.{json,md,svg}.
 * Every loop is bounded in count and time; every target listens on 127.0.0.1. Never fails on a threshold.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { API, pool, pullPath, pushBody, pushChart, SEARCH_NS, SEARCH_WORDS, searchChart, searchPackage, seedOne, seedRetries, sizedChart } from './lib/charts';
import { LoadResult, runLoad } from './lib/load';
import { ProfileSummary, profileMarkdown, summarizeProfile } from './lib/profile';
import { BENCH_ADMIN, CACHE, CNR_WORKERS, ROOT, Running, rssMiB, pssMiB, startWharfEnforced, TARGETS, TargetDef, TargetName } from './lib/targets';

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
interface Report {
  scenario: string;
  date: string;
  machine: Record<string, string | number>;
  settings: Record<string, string | number>;
  targets: { name: string; label: string; available: true | string }[];
  rows: Row[];
  memory: { target: TargetName; emptyRssMiB: number; seededRssMiB: number; seededPssMiB: number; peakRssMiB: number; peakPssMiB: number }[];
  growth: GrowthPoint[];
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
      loadGenerator: `autocannon ${JSON.parse(readFileSync(join(CACHE, 'node', 'node_modules', 'autocannon', 'package.json'), 'utf8')).version} (in the bench process)`,
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
  const running: Running[] = [];
  const onSignal = async () => {
    for (const r of running) await r.stop().catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const t of selected(apiOnly)) {
      running.push(await t.start());
      log(`started ${t.name} at ${running[running.length - 1]!.url} (pid ${running[running.length - 1]!.pid})`);
    }
    return await fn(running);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    for (const r of running) await r.stop();
  }
}

let profDirCount = 0;
async function measure(report: Report, t: Running, scenario: string, name: string, load: Omit<Parameters<typeof runLoad>[0], 'url' | 'pid' | 'connections' | 'durationS'> & { connections?: number; durationS?: number }): Promise<Row> {
  const base = { url: t.url, pid: t.pid, connections: load.connections ?? CONNECTIONS, ...load };
  if (WARMUP_S > 0) await runLoad({ ...base, durationS: WARMUP_S, ...(load.maxRequests ? { maxRequests: Math.ceil(load.maxRequests / 5) } : {}) });
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
  report.rows.push(row);
  log(`${scenario} | ${name} | ${t.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}, rss ${r.rssPeakMiB.toFixed(0)} MiB`);
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
    const charts = Array.from({ length: PULL_RELEASES }, (_, i) => sizedChart(`chart-${label.toLowerCase()}`, `1.0.${i}`, size, label));
    for (const t of running) {
      const res = await pool(0, PULL_RELEASES, 4, (i) => seedOne(t, 'pull', `chart-${label.toLowerCase()}`, `1.0.${i}`, charts[i]!), Date.now() + 300_000);
      if (res.done !== PULL_RELEASES) throw new Error(`seeding pull ${label} on ${t.name}: ${res.lastError}`);
      // every target must serve the same bytes
      const got = Buffer.from(await (await fetch(`${t.url}${pullPath('pull', `chart-${label.toLowerCase()}`, '1.0.3')}`)).arrayBuffer());
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
        await measure(report, t, 'pull', `pull ${label}`, { next: () => ({ path: pullPath('pull', name, `1.0.${rnd(PULL_RELEASES)}`) }) });
      }
    }
  });
}

async function scenarioShowList(report: Report): Promise<void> {
  const PKGS = 50;
  const RELS = 2;
  const charts = Array.from({ length: PKGS * RELS }, (_, i) => pushChart(`p${Math.floor(i / RELS)}`, `1.0.${i % RELS}`));
  await withTargets(true, async (running) => {
    for (const t of running) {
      const res = await pool(0, PKGS * RELS, 4, (i) => seedOne(t, 'show', `p${Math.floor(i / RELS)}`, `1.0.${i % RELS}`, charts[i]!), Date.now() + 300_000);
      if (res.failed) throw new Error(`seeding show on ${t.name}: ${res.lastError}`);
    }
    log(`seeded show-list: ${PKGS} packages x ${RELS} releases`);
    for (const t of running) await measure(report, t, 'show-list', 'show (GET manifest)', { next: () => ({ path: `${API}/show/p${rnd(PKGS)}/1.0.${rnd(RELS)}/helm` }) });
    for (const t of running) await measure(report, t, 'show-list', `list (namespace, ${PKGS} packages)`, { next: () => ({ path: `${API}?namespace=show` }) });
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
    const basic = { authorization: `Basic ${Buffer.from(`${BENCH_ADMIN.username}:${BENCH_ADMIN.password}`).toString('base64')}` };
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

async function scenarioGrowth(report: Report): Promise<void> {
  const levels = (process.env.BENCH_GROWTH_LEVELS ?? '1000,10000,100000').split(',').map(Number);
  const budgetS = env('BENCH_GROWTH_SEED_BUDGET_S', 600);
  const SEED_PKGS = 1000;
  const seedConc = env('BENCH_GROWTH_SEED_CONCURRENCY', 8);
  const measureS = env('BENCH_GROWTH_MEASURE_S', 5);
  const probe = env('BENCH_GROWTH_PROBE_PUSHES', 1000);
  await withTargets(true, async (running) => {
    for (const t of running) {
      const deadline = Date.now() + budgetS * 1000;
      let seeded = 0;
      let extra = 0; // releases pushed by the measurements
      let existingCounter = 0;
      for (const level of levels) {
        // seed in chunks of 1000 to show how the push rate bends with size
        while (seeded < level && Date.now() < deadline) {
          const to = Math.min(level, seeded + 1000);
          const started = Date.now();
          const res = await pool(seeded, to, seedConc, (i) => seedOne(t, 'growth', `g${i % SEED_PKGS}`, `1.0.${Math.floor(i / SEED_PKGS)}`, pushChart(`g${i % SEED_PKGS}`, `1.0.${Math.floor(i / SEED_PKGS)}`)), deadline);
          const seconds = (Date.now() - started) / 1000;
          report.seeding.push({ target: t.name, from: seeded + extra, to: seeded + extra + res.done, seconds, rate: res.done / seconds, failed: res.failed });
          if (res.done + res.failed < to - seeded) {
            seeded += res.done + res.failed;
            break;
          }
          seeded = to;
          if ((seeded / 1000) % 10 === 0) log(`growth ${t.name}: ${seeded} seeded, ${(res.done / seconds).toFixed(0)} pushes/s in the last chunk`);
        }
        if (seeded < level) {
          report.growthStops.push({ target: t.name, reached: seeded + extra, wanted: level, reason: `seeding budget of ${budgetS} s spent` });
          log(`growth ${t.name}: stopped at ${seeded} (budget ${budgetS} s)`);
          if (seeded < levels[0]!) break;
        }
        const releases = seeded + extra;
        const lvl = `@${releases}`;
        let n = 0;
        const push = await measure(report, t, 'growth', `push new package ${lvl}`, {
          method: 'POST',
          durationS: measureS,
          maxRequests: probe,
          connections: 8,
          next: () => {
            const name = `l${level}-${n++}`;
            return { path: `${API}/probe/${name}`, body: pushBody('1.0.0', pushChart(name, '1.0.0')) };
          },
        });
        const pushExisting = await measure(report, t, 'growth', `push into existing package ${lvl}`, {
          method: 'POST',
          durationS: measureS,
          maxRequests: probe,
          connections: 8,
          next: () => {
            const k = existingCounter++;
            const release = `2.0.${k}`;
            return { path: `${API}/growth/g${k % SEED_PKGS}`, body: pushBody(release, pushChart(`g${k % SEED_PKGS}`, release)) };
          },
        });
        extra += Math.round((push.requests + pushExisting.requests) * (1 + 1 / 5)); // includes warm-up pushes (approx.)
        const show = await measure(report, t, 'growth', `show ${lvl}`, {
          durationS: measureS,
          next: () => {
            const i = rnd(Math.max(1, seeded));
            return { path: `${API}/growth/g${i % SEED_PKGS}/1.0.${Math.floor(i / SEED_PKGS)}/helm` };
          },
        });
        report.growth.push({ target: t.name, releases, push, pushExisting, show });
        if (seeded < level) break;
      }
    }
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
  const reached = new Map<TargetName, number>();
  await withTargets(true, async (running) => {
    for (const t of running) {
      const started = Date.now();
      const deadline = started + budgetS * 1000;
      let seeded = 0;
      let failed = 0;
      for (let from = 0; from < releases && Date.now() < deadline; from += packages) {
        const to = Math.min(releases, from + packages);
        const res = await pool(from, to, conc, (i) => seedOne(t, SEARCH_NS, searchPackage(i % packages).name, `1.0.${Math.floor(i / packages)}`, searchChart(i % packages, `1.0.${Math.floor(i / packages)}`)), deadline);
        seeded += res.done;
        failed += res.failed;
        const s = (Date.now() - started) / 1000;
        report.seeding.push({ target: t.name, from, to: from + res.done + res.failed, seconds: s, rate: seeded / s, failed: res.failed });
        log(`search ${t.name}: ${seeded} releases seeded in ${s.toFixed(0)} s (${(seeded / s).toFixed(1)}/s)${res.failed ? `, ${res.failed} failed (last: ${res.lastError})` : ''}`);
        if (res.done + res.failed < to - from) break;
      }
      const seedS = (Date.now() - started) / 1000;
      reached.set(t.name, seeded);
      if (seeded + failed < releases) {
        report.growthStops.push({ target: t.name, reached: seeded, wanted: releases, reason: `search seeding budget of ${budgetS} s spent` });
        report.notes.push(`search ${t.name}: seeding stopped at ${seeded} of ${releases} releases (budget ${budgetS} s)`);
      }
      // the projections are asynchronous: wait until probe packages are searchable (a sanity check that
      // the index is populated before measuring; they were pushed in the first round, so this is no lag figure)
      const lagStart = Date.now();
      const probes = [packages - 1, packages - 2, Math.floor(packages / 2)].filter((i) => i >= 0 && i < Math.min(packages, seeded));
      let lagS = NaN;
      while (Date.now() - lagStart < 300_000) {
        const ok = await Promise.all(probes.map(async (i) => (await found(t, searchPackage(i).name)).includes(`${SEARCH_NS}/${searchPackage(i).name}`)));
        if (ok.every(Boolean)) {
          lagS = (Date.now() - lagStart) / 1000;
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      const hits = await found(t, SEARCH_WORDS[0]!);
      report.notes.push(
        `search ${t.name}: seeded ${seeded} releases of ${Math.min(packages, seeded)} packages in ${seedS.toFixed(0)} s (${(seeded / seedS).toFixed(1)} pushes/s, concurrency ${conc})` +
          `${failed ? `, ${failed} failed` : ''}; probe packages (pushed in the first round) searchable ${Number.isNaN(lagS) ? 'NOT within 300 s' : `${lagS.toFixed(1)} s`} after seeding (not a push-to-searchable lag: see bench/stack-latency.ts); q=${SEARCH_WORDS[0]} finds ${hits.length}`,
      );
      log(`search ${t.name}: probes searchable after ${lagS.toFixed(1)} s; q=${SEARCH_WORDS[0]} finds ${hits.length}`);
    }
    const per = Math.round((2 * packages) / SEARCH_WORDS.length);
    for (const t of running)
      await measure(report, t, 'search', `search, one word (~${per} hits of ${packages} packages)`, { next: () => ({ path: searchPath(SEARCH_WORDS[rnd(SEARCH_WORDS.length)]!) }) });
    for (const t of running) await measure(report, t, 'search', 'search, no match', { next: () => ({ path: searchPath(`zz${rnd(1e6)}`) }) });
    for (const t of running) {
      const r = reached.get(t.name);
      if (r !== undefined && r < releases) report.notes.push(`search ${t.name}: measured at ${r} releases, not ${releases}`);
    }
  });
}

async function scenarioMemory(report: Report): Promise<void> {
  const size: [string, number][] = [['100KB', 100 * 1024]];
  await withTargets(false, async (running) => {
    const empty = new Map(running.map((t) => [t.name, rssMiB(t.pid)]));
    await seedPull(running, size);
    await new Promise((r) => setTimeout(r, 3000));
    const seeded = new Map(running.map((t) => [t.name, [rssMiB(t.pid), pssMiB(t.pid)] as const]));
    for (const t of running) {
      const row = await measure(report, t, 'memory', 'pull 100KB (memory)', { next: () => ({ path: pullPath('pull', 'chart-100kb', `1.0.${rnd(PULL_RELEASES)}`) }) });
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
      detail: `${c}: ${ra.rps.toFixed(0)} vs ${rb.rps.toFixed(0)} req/s` + (x >= want ? '' : `; missed by ${((1 - x / want) * 100).toFixed(0)}% (needs ${(want / x).toFixed(2)}x more)`),
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
  for (const target of ['wharf', 'cnr'] as TargetName[]) {
    const pts = report.growth.filter((g) => g.target === target);
    if (pts.length < 2) continue;
    for (const key of ['push', 'pushExisting'] as const) {
      const first = pts[0]!;
      const last = pts[pts.length - 1]!;
      const x = last[key].p99 / first[key].p99;
      report.goals.push({
        goal: `${target === 'wharf' ? '' : '(reference, for comparison) '}push p99 flat within 2x (${key === 'push' ? 'new package' : 'existing package'})`,
        value: `${x.toFixed(2)}x`,
        met: x <= 2,
        detail: `p99 ${first[key].p99.toFixed(2)} ms @${first.releases} -> ${last[key].p99.toFixed(2)} ms @${last.releases} releases` + (last.releases < 100_000 ? ' (100,000 not reached)' : ''),
      });
    }
  }
}

// ---- output ----------------------------------------------------------------------------------

const COLORS: Record<TargetName, string> = { wharf: '#1f77b4', 'wharf-enforced': '#17becf', 'wharf-distributed': '#9467bd', cnr: '#d62728', nginx: '#2ca02c' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Grouped horizontal bars, each group scaled to its own maximum (values are printed). */
function barChart(title: string, groups: { label: string; bars: { target: TargetName; value: number; text: string }[] }[]): string {
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
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[b.target]}"/>`);
      parts.push(`<text x="${left + w + 6}" y="${y + barH - 5}" font-size="11">${esc(`${b.target}: ${b.text}`)}</text>`);
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
  if (report.growth.length) {
    const groups: { label: string; bars: { target: TargetName; value: number; text: string }[] }[] = [];
    for (const [key, label] of [['push', 'push new pkg p99'], ['pushExisting', 'push existing pkg p99'], ['show', 'show p99']] as const) {
      for (const g of report.growth)
        groups.push({ label: `${label} @${g.releases}`, bars: [{ target: g.target, value: g[key].p99, text: `${g[key].p99.toFixed(2)} ms (${g[key].rps.toFixed(0)} req/s)` }] });
    }
    groups.sort((a, b) => a.label.localeCompare(b.label, 'en', { numeric: true }));
    return barChart('growth: p99 latency by registry size (lower is better; each row scaled to itself)', groups);
  }
  const cases = [...new Set(report.rows.map((r) => r.case))];
  return barChart(
    `${report.scenario}: throughput, req/s (each group scaled to its fastest target)`,
    cases.map((c) => ({
      label: c,
      bars: report.rows.filter((r) => r.case === c).map((r) => ({ target: r.target, value: r.rps, text: `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} / p99 ${r.p99.toFixed(1)} ms` })),
    })),
  );
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

function markdown(report: Report, svgName: string): string {
  const out: string[] = [];
  out.push(`# Wharf bench: ${report.scenario}`, '', `${report.date}. Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memGiB} GiB, Linux ${report.machine.kernel}, load average ${report.machine.loadavgAtStart} at start, ${report.machine.loadavgAtEnd} at end (machine shared: compare ratios, not absolutes).`, '');
  out.push(`Settings: ${Object.entries(report.settings).map(([k, v]) => `${k}=${v}`).join(', ')}.`, '');
  out.push('Targets: ' + report.targets.map((t) => `${t.name} = ${t.label}${t.available === true ? '' : ` (skipped: ${t.available})`}`).join('; ') + '.', '');
  out.push(`![chart](${svgName})`, '');
  if (report.rows.length) {
    out.push('| case | target | req/s | MB/s | p50 ms | p90 ms | p99 ms | non-2xx | errors | RSS rest / peak MiB |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of report.rows)
      out.push(`| ${r.case} | ${r.target} | ${f(r.rps, 0)} | ${f(r.mbps)} | ${f(r.p50, 2)} | ${f(r.p90, 2)} | ${f(r.p99, 2)} | ${r.non2xx} | ${r.errors + r.timeouts} | ${f(r.rssRestMiB, 0)} / ${f(r.rssPeakMiB, 0)} |`);
    out.push('');
  }
  if (report.memory.length) {
    out.push('| target | RSS empty MiB | RSS seeded, at rest | PSS seeded, at rest | RSS peak under pull | PSS peak under pull |', '|---|---:|---:|---:|---:|---:|');
    for (const m of report.memory) out.push(`| ${m.target} | ${f(m.emptyRssMiB, 0)} | ${f(m.seededRssMiB, 0)} | ${f(m.seededPssMiB, 0)} | ${f(m.peakRssMiB, 0)} | ${f(m.peakPssMiB, 0)} |`);
    out.push('', 'RSS sums the process and its children (gunicorn and nginx workers share pages, so PSS is the fairer total for them).', '');
  }
  if (report.growth.length) {
    out.push('| target | releases | push new pkg req/s | p50 | p99 | push existing pkg req/s | p50 | p99 | show req/s | p50 | p99 |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const g of report.growth)
      out.push(`| ${g.target} | ${g.releases} | ${f(g.push.rps, 0)} | ${f(g.push.p50, 2)} | ${f(g.push.p99, 2)} | ${f(g.pushExisting.rps, 0)} | ${f(g.pushExisting.p50, 2)} | ${f(g.pushExisting.p99, 2)} | ${f(g.show.rps, 0)} | ${f(g.show.p50, 2)} | ${f(g.show.p99, 2)} |`);
    out.push('');
    const byTarget = new Map<string, SeedChunk[]>();
    for (const s of report.seeding) byTarget.set(s.target, [...(byTarget.get(s.target) ?? []), s]);
    out.push('Seeding rate (pushes/s, concurrency ' + (process.env.BENCH_GROWTH_SEED_CONCURRENCY ?? 8) + ') by registry size:', '');
    for (const [t, chunks] of byTarget) {
      const pick = chunks.filter((c, i) => i === 0 || i === chunks.length - 1 || [1000, 5000, 10000, 25000, 50000, 75000, 100000].includes(c.to) || i % 10 === 0);
      out.push(`- ${t}: ` + pick.map((c) => `${c.to}: ${f(c.rate, 0)}/s${c.failed ? ` (${c.failed} failed)` : ''}`).join(', '));
    }
    for (const s of report.growthStops) out.push(`- ${s.target} stopped at ${s.reached} releases (wanted ${s.wanted}): ${s.reason}`);
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
  'show-list': scenarioShowList,
  auth: scenarioAuth,
  push: scenarioPush,
  growth: scenarioGrowth,
  memory: scenarioMemory,
  search: scenarioSearch,
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
  const names = scenario === 'all' ? Object.keys(SCENARIOS) : [scenario ?? ''];
  for (const n of names) {
    if (!SCENARIOS[n]) {
      process.stderr.write(`usage: npm run bench -- <${[...Object.keys(SCENARIOS), 'all'].join('|')}> | profile <file.cpuprofile>\n`);
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

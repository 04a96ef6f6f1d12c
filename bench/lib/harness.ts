/**
 * The shared machinery of every scenario: settings from the environment, the log line, starting the
 * targets (and stopping them on exit or a signal), and `measure`, one load case against one target
 * with its row in the report.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLoad } from './load';
import { summarizeProfile } from './profile';
import { ROOT, Running, TARGETS, TargetDef, TargetName, cpuMs } from './targets';
import { Report, Row } from './report';

export const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
export const DURATION_S = env('BENCH_DURATION_S', 10);
export const WARMUP_S = env('BENCH_WARMUP_S', 2);
export const CONNECTIONS = env('BENCH_CONNECTIONS', 16);
export const ONLY = process.env.BENCH_TARGETS?.split(',').map((s) => s.trim()) as TargetName[] | undefined;
export const RESULTS = join(ROOT, 'bench', 'results');
export const PROFILE = process.env.BENCH_PROFILE === '1';

export const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** The targets a scenario runs: every available one (BENCH_TARGETS narrows), `api` ones, or `oci` ones. */
export function selected(which: boolean | 'oci'): TargetDef[] {
  const wanted = (t: TargetDef) => (which === 'oci' ? t.oci : !t.ociOnly && (!which || t.api));
  return TARGETS.filter((t) => t.available === true && wanted(t) && (!ONLY || ONLY.includes(t.name)));
}

/** Starts the targets `selected(which)` names, runs `fn` with them, stops them. */
export async function withTargets<T>(which: boolean | 'oci', fn: (running: Running[]) => Promise<T>): Promise<T> {
  for (const t of TARGETS) if (t.available !== true) log(`skip ${t.name}: ${t.available}`);
  return stoppingOnExit(async (running) => {
    for (const t of selected(which)) {
      running.push(await t.start());
      log(`started ${t.name} at ${running[running.length - 1]!.url} (pid ${running[running.length - 1]!.pid})`);
    }
    return fn(running);
  });
}

/** Runs `fn` with a list it fills with started targets; stops them when `fn` ends, and on SIGINT or SIGTERM. */
export async function stoppingOnExit<T>(fn: (running: Running[]) => Promise<T>): Promise<T> {
  const running: Running[] = [];
  const onSignal = async () => {
    for (const r of running) await r.stop().catch(() => undefined);
    process.exit(130);
  };
  const onSignalSync = () => void onSignal();
  process.once('SIGINT', onSignalSync);
  process.once('SIGTERM', onSignalSync);
  try {
    return await fn(running);
  } finally {
    process.removeListener('SIGINT', onSignalSync);
    process.removeListener('SIGTERM', onSignalSync);
    for (const r of running) await r.stop().catch(() => undefined);
  }
}

let profDirCount = 0;

/** Numbers the next profile files from 1 again (a new scenario, a new profile directory). */
export function resetProfileCount(): void {
  profDirCount = 0;
}

export async function measure(
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
  const engines = engineCpuFrom(t);
  const r = await runLoad({ ...base, durationS: load.durationS ?? DURATION_S });
  const engineCpuMsPerRequest = engines(r.requests);
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
  const row: Row = {
    scenario,
    case: name,
    target: t.name,
    ...r,
    ...(engineCpuMsPerRequest && { engineCpuMsPerRequest }),
  };
  // most answers failed: keep what the server said about it (gunicorn's tracebacks, Wharf's error log)
  if (r.non2xx > r.ok && t.logTail)
    report.notes.push(
      `${t.name} | ${name}: ${r.non2xx} non-2xx of ${r.requests}; the server's log ends with: ${JSON.stringify(t.logTail().slice(-800))}`,
    );
  report.rows.push(row);
  log(
    `${scenario} | ${name} | ${t.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}, cpu ${r.cpuMsPerRequest.toFixed(2)} ms/req${engineCpuText(row)}, rss ${r.rssPeakMiB.toFixed(0)} MiB`,
  );
  return row;
}

/**
 * Starts counting the CPU of `t`'s engines; the function it answers gives each engine's CPU ms per
 * request over the `requests` made since (undefined for a target without engines).
 */
export function engineCpuFrom(t: Running): (requests: number) => Record<string, number> | undefined {
  const pids = Object.entries(t.engines ?? {});
  if (!pids.length) return () => undefined;
  const before = pids.map(([, pid]) => safeCpuMs(pid));
  return (requests) =>
    Object.fromEntries(
      pids.map(([name, pid], i) => [name, requests > 0 ? (safeCpuMs(pid) - before[i]!) / requests : NaN]),
    );
}

const safeCpuMs = (pid: number) => {
  try {
    return cpuMs(pid);
  } catch {
    return NaN;
  }
};

export const engineCpuText = (row: Row) =>
  row.engineCpuMsPerRequest
    ? ` (engines: ${Object.entries(row.engineCpuMsPerRequest)
        .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
        .join(', ')})`
    : '';

export const rnd = (n: number) => Math.floor(Math.random() * n);

import { API, pushChart, seedOne } from '../lib/charts';
import { Running, TARGETS, TargetName } from '../lib/targets';
import { ONLY, env, log } from '../lib/harness';
import { LagRow, Report } from '../lib/report';
import { f } from '../lib/report-output';

/**
 * End-to-end lag: push answered -> the package is in the search API's answer. One probe push at a
 * time (a new package each, a name no other package contains), each followed by polling
 * `GET …/search?q=<name>` every BENCH_LAG_POLL_MS (10) until the answer lists it (BENCH_LAG_TIMEOUT_S,
 * 30, then it counts as not found), BENCH_LAG_PUSHES (100) probes per case. Two cases per target:
 * sequential (nothing else running), and the same probes while BENCH_LAG_BG_CONCURRENCY (4)
 * background pushers push new packages into another namespace without pause. Targets:
 * wharf-distributed (the goal: p99 under 2 s) and wharf (embedded), or BENCH_TARGETS.
 */
export async function scenarioLag(report: Report): Promise<void> {
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

/**
 * The goals a report is checked against (ratios to the reference and absolute bounds); a missed
 * goal is reported, never a failure.
 */
import { TargetName } from './targets';
import { Report } from './report';
import { f } from './report-output';

export function evaluateGoals(report: Report): void {
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
  for (const target of ['wharf', 'wharf-distributed', 'cnr'] as TargetName[]) {
    const pts = report.growth.filter((g) => g.target === target);
    if (pts.length < 2) continue;
    const who = target === 'wharf' ? '' : target === 'cnr' ? '(reference, for comparison) ' : `(${target}) `;
    for (const key of ['push', 'pushExisting', 'show'] as const) {
      const what =
        key === 'show'
          ? 'show p99 flat within 2x'
          : `push p99 flat within 2x (${key === 'push' ? 'new package' : one ? 'into the one package' : 'existing package'})`;
      const first = pts[0]!;
      const last = pts[pts.length - 1]!;
      const x = last[key].p99 / first[key].p99;
      if (!Number.isFinite(x)) {
        report.goals.push({
          goal: `${who}${what}`,
          value: '-',
          met: false,
          detail: `no ${key === 'show' ? 'show' : 'push'} completed within the measured window @${Number.isFinite(first[key].p99) ? last.releases : first.releases} releases (${last[key].requests} sent, ${last[key].non2xx} non-2xx, ${last[key].errors} errors): lengthen BENCH_GROWTH_MEASURE_S`,
        });
        continue;
      }
      report.goals.push({
        goal: `${who}${what}`,
        value: `${x.toFixed(2)}x`,
        met: x <= 2,
        detail:
          `p99 ${first[key].p99.toFixed(2)} ms @${first.releases} -> ${last[key].p99.toFixed(2)} ms @${last.releases} releases${one ? ' in one package' : ''}` +
          (!one && last.releases < 100_000 ? ' (100,000 not reached)' : ''),
      });
    }
  }
}

/**
 * A report as the files bench/results gets: an SVG bar chart per case and the Markdown summary.
 */
import { profileMarkdown } from './profile';
import { TargetName } from './targets';
import { Report, SeedChunk } from './report';

export const COLORS: Record<TargetName, string> = {
  wharf: '#1f77b4',
  'wharf-before': '#aec7e8',
  'wharf-enforced': '#17becf',
  'wharf-distributed': '#9467bd',
  'wharf-distributed-before': '#c5b0d5',
  cnr: '#d62728',
  nginx: '#2ca02c',
  distribution: '#ff7f0e',
  'distribution-s3': '#ffbb78',
};

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Grouped horizontal bars, each group scaled to its own maximum (values are printed). */
export function barChart(
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

export function svgFor(report: Report): string {
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

export const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

export function markdown(report: Report, svgName: string): string {
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
    const withEngines = report.rows.filter((r) => r.engineCpuMsPerRequest);
    if (withEngines.length) {
      const names = [...new Set(withEngines.flatMap((r) => Object.keys(r.engineCpuMsPerRequest!)))];
      out.push(
        "The engines' CPU ms per request beside the services' (shared engines: other work on them counts too):",
        '',
        `| case | target | services | ${names.join(' | ')} |`,
        `|---|---|---:|${names.map(() => '---:').join('|')}|`,
        ...withEngines.map(
          (r) =>
            `| ${r.case} | ${r.target} | ${f(r.cpuMsPerRequest, 2)} | ${names.map((n) => f(r.engineCpuMsPerRequest![n] ?? NaN, 2)).join(' | ')} |`,
        ),
        '',
      );
    }
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

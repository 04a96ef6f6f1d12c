import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WharfMetrics } from './wharf-metrics';

/** deploy/grafana/wharf-dashboard.json, the dashboard docs/operations.md describes. */
const DASHBOARD = join(__dirname, '..', '..', '..', 'deploy', 'grafana', 'wharf-dashboard.json');

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

/** Every PromQL query of the dashboard: panel targets (rows' panels too) and template variables. */
function queriesOf(dashboard: {
  panels: Panel[];
  templating: { list: { query?: string | { query: string } }[] };
}): { where: string; expr: string }[] {
  const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
  return [
    ...panels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
    ...dashboard.templating.list
      .map((v) => (typeof v.query === 'object' ? v.query.query : undefined))
      .filter((q): q is string => typeof q === 'string' && q.includes('('))
      .map((expr) => ({ where: 'templating', expr })),
  ];
}

/**
 * The metric names a PromQL expression reads: every identifier that is not a function (followed
 * by `(`), an aggregation's label list (`by (...)`, `without (...)`), a label matcher (`{...}`),
 * a range (`[5m]`), a string or a number. Enough for the dashboard's queries, which use no
 * `on`/`ignoring` or offset.
 */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    if (match[1]) continue; // a function or aggregation: sum(, rate(, histogram_quantile(
    names.add(match[0]);
  }
  return [...names];
}

/** The series names a registry answers: counters and gauges as named, histograms' and summaries' own. */
async function definedSeries(metrics: WharfMetrics): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
    if (String(metric.type) === 'summary') for (const suffix of ['_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

describe('the Grafana dashboard (deploy/grafana/wharf-dashboard.json)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const queries = queriesOf(dashboard);

  it('should read the metric names out of a query, and nothing else', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, route) (rate(wharf_http_request_duration_seconds_bucket{service=~"$service",route!="x"}[5m]))) / on_purpose_nothing',
      ),
    ).toEqual(['wharf_http_request_duration_seconds_bucket', 'on_purpose_nothing']);
    expect(metricNamesIn('label_values(wharf_pushes_total, service)')).toEqual(['wharf_pushes_total', 'service']);
  });

  it('should have a query on every panel', () => {
    const empty = (dashboard.panels as Panel[])
      .filter((p) => p.type !== 'row' && (p.targets ?? []).length === 0)
      .map((p) => p.title);
    expect(empty).toEqual([]);
    expect(queries.length).toBeGreaterThan(10);
  });

  it('should name in every query only metrics that Wharf defines', async () => {
    const defined = await definedSeries(new WharfMetrics('dashboard'));
    // label_values(metric, label): the second argument is a label.
    const unknown = queries.flatMap(({ where, expr }) =>
      metricNamesIn(expr.replace(/label_values\(([^,]+),[^)]*\)/, 'label_values($1)'))
        .filter((name) => !defined.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it("should show every one of Wharf's own metric families", async () => {
    const shown = new Set(queries.flatMap(({ expr }) => metricNamesIn(expr)));
    const families = (await new WharfMetrics('dashboard', { processMetrics: false }).registry.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((name) => name.startsWith('wharf_'));
    const missing = families.filter(
      (family) => ![family, `${family}_bucket`, `${family}_count`, `${family}_sum`].some((name) => shown.has(name)),
    );
    expect(missing).toEqual([]);
  });
});

/**
 * Size controls for large repositories, applied to a namespace's chart versions before the
 * index is rendered: `latest` keeps the N highest versions of each chart; `since` (a history
 * window) keeps versions created at or after an instant, and always the highest version of
 * each chart, so no chart disappears from a windowed index. Entries are ordered as Helm
 * expects them: chart names ascending, versions highest first (SemVer precedence).
 */
import { sortReleasesDescending } from '../semver';
import type { ChartVersionRecord } from './chart-versions';

export interface ChartIndexQuery {
  /** Keep at most this many versions per chart (the highest). */
  latest?: number;
  /** ISO-8601 instant: drop versions created before it, except each chart's highest. */
  since?: string;
}

export type ChartEntries = Map<string, ChartVersionRecord[]>;

export function selectChartEntries(versions: readonly ChartVersionRecord[], query: ChartIndexQuery = {}): ChartEntries {
  const byChart = new Map<string, ChartVersionRecord[]>();
  for (const version of versions) {
    const chart = byChart.get(version.name);
    if (chart) chart.push(version);
    else byChart.set(version.name, [version]);
  }
  const entries: ChartEntries = new Map();
  for (const name of [...byChart.keys()].sort()) {
    let selected = newestFirst(byChart.get(name)!);
    if (query.since !== undefined) {
      const since = Date.parse(query.since);
      selected = selected.filter((v, i) => i === 0 || Date.parse(v.createdAt) >= since);
    }
    if (query.latest !== undefined) selected = selected.slice(0, Math.max(1, query.latest));
    entries.set(name, selected);
  }
  return entries;
}

function newestFirst(versions: ChartVersionRecord[]): ChartVersionRecord[] {
  const byVersion = new Map(versions.map((v) => [v.version, v]));
  return sortReleasesDescending([...byVersion.keys()]).map((version) => byVersion.get(version)!);
}

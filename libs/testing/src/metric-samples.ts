import type { WharfMetrics } from '@wharf/metrics';

/**
 * The value of one series of `name` in a process's metrics: a counter or gauge, or a histogram's
 * `_count` or `_sum`, whose labels include `labels`; 0 when there is none yet.
 */
export async function metricSample(
  metrics: Pick<WharfMetrics, 'registry'>,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const family = name.replace(/_(count|sum)$/, '');
  const metric = metrics.registry.getSingleMetric(family);
  if (!metric) throw new Error(`no metric family ${family}`);
  const { values } = await metric.get();
  const found = values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? family) === name &&
      Object.entries(labels).every(([key, value]) => String(v.labels[key]) === value),
  );
  return found?.value ?? 0;
}

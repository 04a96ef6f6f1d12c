import type { WharfMetrics } from '@wharf/metrics';

/**
 * Every family Wharf defines (docs/operations.md, "The metrics"), as every process declares them:
 * what a scrape of any Wharf process must show, samples or not.
 */
export const WHARF_METRIC_FAMILIES = [
  'wharf_http_request_duration_seconds',
  'wharf_store_call_duration_seconds',
  'wharf_consumer_lag',
  'wharf_pushes_total',
  'wharf_pushed_bytes_total',
  'wharf_pulls_total',
  'wharf_pulled_bytes_total',
  'wharf_authentication_failures_total',
  'wharf_rate_limit_refusals_total',
  'wharf_blob_cache_hits_total',
  'wharf_blob_cache_misses_total',
  'wharf_blob_gc_runs_total',
  'wharf_blob_gc_deleted_blobs_total',
  'wharf_blob_gc_freed_bytes_total',
  'wharf_blob_gc_duration_seconds',
  'wharf_webhook_delivered_total',
  'wharf_webhook_retried_total',
  'wharf_webhook_failed_total',
  'wharf_webhook_attempt_duration_seconds',
  'wharf_webhook_pending_deliveries',
] as const;

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

import { WHARF_METRIC_FAMILIES, metricSample as sample, parsePrometheusText, sumOfSamples } from '@wharf/testing';
import { WharfMetrics } from './wharf-metrics';

describe('WharfMetrics', () => {
  const quiet = () => new WharfMetrics('gateway', { processMetrics: false });

  it('should expose every family in Prometheus text, each series with the service label', async () => {
    const metrics = quiet();
    metrics.pushed('appr', 10);
    metrics.observeRequest('GET', '/version', 200, 0.001);
    const scrape = parsePrometheusText(await metrics.exposition());
    for (const family of WHARF_METRIC_FAMILIES) expect(scrape.families.has(family)).toBe(true);
    expect(scrape.samples.length).toBeGreaterThan(0);
    for (const s of scrape.samples) expect(s.labels.service).toBe('gateway');
    expect(sumOfSamples(scrape, 'wharf_pushes_total', { protocol: 'appr', service: 'gateway' })).toBe(1);
    expect(
      sumOfSamples(scrape, 'wharf_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/version',
        status_class: '2xx',
      }),
    ).toBe(1);
  });

  it("should add node's process metrics, labelled with the service", async () => {
    const scrape = parsePrometheusText(await new WharfMetrics('search').exposition());
    expect(scrape.samples.find((s) => s.name === 'process_cpu_seconds_total')?.labels).toEqual({ service: 'search' });
    expect(sumOfSamples(scrape, 'nodejs_heap_size_used_bytes', { service: 'search' })).toBeGreaterThan(0);
  });

  it('should label a request by its route template and status class, and every unmatched URL as one route', async () => {
    const metrics = quiet();
    metrics.observeRequest('GET', '/api/v1/packages/:namespace/:package', 200, 0.01);
    metrics.observeRequest('GET', '/api/v1/packages/:namespace/:package', 204, 0.01);
    metrics.observeRequest('GET', '/api/v1/packages/:namespace/:package', 404, 0.01);
    metrics.observeRequest('POST', '/api/v1/packages/:namespace/:package', 503, 2);
    metrics.observeRequest('GET', undefined, 404, 0.001);
    metrics.observeRequest('GET', undefined, 404, 0.001);
    metrics.observeRequest('BREW', undefined, 404, 0.001);

    const count = (labels: Record<string, string>) =>
      sample(metrics, 'wharf_http_request_duration_seconds_count', labels);
    const route = '/api/v1/packages/:namespace/:package';
    expect(await count({ method: 'GET', route, status_class: '2xx' })).toBe(2);
    expect(await count({ method: 'GET', route, status_class: '4xx' })).toBe(1);
    expect(await count({ method: 'POST', route, status_class: '5xx' })).toBe(1);
    expect(await sample(metrics, 'wharf_http_request_duration_seconds_sum', { method: 'POST' })).toBe(2);
    expect(await count({ method: 'GET', route: 'unmatched', status_class: '4xx' })).toBe(2);
    expect(await count({ method: 'other', route: 'unmatched', status_class: '4xx' })).toBe(1);
    expect(await metrics.exposition()).not.toContain('BREW');
  });

  it('should read each consumer group at every scrape, groups added later included, and leave out one it cannot read', async () => {
    const metrics = quiet();
    const gauges: { group: string; lag: () => Promise<number> }[] = [];
    metrics.followConsumerLag(gauges);
    let search = 7;
    gauges.push(
      { group: 'search', lag: async () => search },
      { group: 'metadata', lag: () => Promise.reject(new Error('broker down')) },
    );

    expect(await sample(metrics, 'wharf_consumer_lag', { group: 'search' })).toBe(7);
    search = 0;
    const scrape = parsePrometheusText(await metrics.exposition());
    expect(scrape.samples.filter((s) => s.name === 'wharf_consumer_lag')).toEqual([
      { name: 'wharf_consumer_lag', labels: { group: 'search', service: 'gateway' }, value: 0 },
    ]);
  });

  it('should count transfers, refusals, cache lookups and collector passes', async () => {
    const metrics = quiet();
    metrics.pushed('chartmuseum', 100);
    metrics.pushed('chartmuseum', 50);
    metrics.pulled('helm', 30);
    metrics.authenticationFailed('password');
    metrics.authenticationFailed('token');
    metrics.authenticationFailed('token');
    metrics.rateLimited('failed_logins');
    metrics.blobCacheLookup(true);
    metrics.blobCacheLookup(false);
    metrics.blobCacheLookup(false);
    metrics.blobGcRan({ outcome: 'completed', deletedBlobs: 2, freedBytes: 2048, seconds: 0.5 });
    metrics.blobGcRan({ outcome: 'skipped', deletedBlobs: 0, freedBytes: 0, seconds: 0.01 });

    expect(await sample(metrics, 'wharf_pushes_total', { protocol: 'chartmuseum' })).toBe(2);
    expect(await sample(metrics, 'wharf_pushed_bytes_total', { protocol: 'chartmuseum' })).toBe(150);
    expect(await sample(metrics, 'wharf_pulls_total', { protocol: 'helm' })).toBe(1);
    expect(await sample(metrics, 'wharf_pulled_bytes_total', { protocol: 'helm' })).toBe(30);
    expect(await sample(metrics, 'wharf_authentication_failures_total', { credential: 'token' })).toBe(2);
    expect(await sample(metrics, 'wharf_authentication_failures_total', { credential: 'password' })).toBe(1);
    expect(await sample(metrics, 'wharf_rate_limit_refusals_total', { limit: 'failed_logins' })).toBe(1);
    expect(await sample(metrics, 'wharf_blob_cache_hits_total')).toBe(1);
    expect(await sample(metrics, 'wharf_blob_cache_misses_total')).toBe(2);
    expect(await sample(metrics, 'wharf_blob_gc_runs_total', { outcome: 'completed' })).toBe(1);
    expect(await sample(metrics, 'wharf_blob_gc_runs_total', { outcome: 'skipped' })).toBe(1);
    expect(await sample(metrics, 'wharf_blob_gc_deleted_blobs_total')).toBe(2);
    expect(await sample(metrics, 'wharf_blob_gc_freed_bytes_total')).toBe(2048);
    expect(await sample(metrics, 'wharf_blob_gc_duration_seconds_count')).toBe(2);
  });

  it('should count webhook attempts by what became of them, time each, and read the pending deliveries at each scrape', async () => {
    const metrics = quiet();
    metrics.webhookAttempted('delivered', 0.2);
    metrics.webhookAttempted('retried', 5);
    metrics.webhookAttempted('retried', 0.01);
    metrics.webhookAttempted('failed', 0.03);
    let pending = 7;
    metrics.followWebhookPending(async () => pending);
    expect(await sample(metrics, 'wharf_webhook_delivered_total')).toBe(1);
    expect(await sample(metrics, 'wharf_webhook_retried_total')).toBe(2);
    expect(await sample(metrics, 'wharf_webhook_failed_total')).toBe(1);
    expect(await sample(metrics, 'wharf_webhook_attempt_duration_seconds_count')).toBe(4);
    expect(await sample(metrics, 'wharf_webhook_attempt_duration_seconds_sum')).toBeCloseTo(5.24);
    expect(sumOfSamples(parsePrometheusText(await metrics.exposition()), 'wharf_webhook_pending_deliveries')).toBe(7);
    pending = 2;
    expect(sumOfSamples(parsePrometheusText(await metrics.exposition()), 'wharf_webhook_pending_deliveries')).toBe(2);
  });

  it('should keep the metrics of two processes in one node apart (a registry each)', async () => {
    const a = quiet();
    const b = new WharfMetrics('metadata', { processMetrics: false });
    a.pushed('appr', 1);
    expect(await sample(b, 'wharf_pushes_total', { protocol: 'appr' })).toBe(0);
  });
});

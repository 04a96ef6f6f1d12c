/**
 * `/metrics` of every service of the distributed profile (issue 19): each process declares the
 * families, labels every series with its own service, and its figures move with a push, a pull
 * and a search: the gateway's requests, transfers and store calls (the command bus, MongoDB, S3
 * and the search service), the metadata writer's appends to Kafka and views in MongoDB, the
 * search projector's writes to OpenSearch, the blob service's reference counts and collector
 * passes, and each consumer group's lag.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusScrape, chartArchive, eventually, parsePrometheusText, sumOfSamples } from '@wharf/testing';
import { DistributedStack, ServiceName } from './support/distributed-stack';

jest.setTimeout(300_000);

const runId = `m${Date.now().toString(36)}`;
const stack = new DistributedStack({
  runId,
  logDir: mkdtempSync(join(tmpdir(), `wharf-metrics-${runId}-`)),
  // A collector pass every second (the grace above the commands' deadline, as the blob service requires).
  env: { WHARF_BLOB_GC_INTERVAL_SECONDS: '1', WHARF_BLOB_GC_GRACE_SECONDS: '7', WHARF_DEPENDENCY_TIMEOUT_SECONDS: '5' },
});
const SERVICES: ServiceName[] = ['gateway', 'metadata', 'search', 'blob'];

beforeAll(() => stack.up());
afterAll(() => stack.down());

async function scrape(service: ServiceName): Promise<PrometheusScrape> {
  const res = await fetch(`${stack.url(service)}/metrics`);
  expect([service, res.status]).toEqual([service, 200]);
  return parsePrometheusText(await res.text());
}

async function scrapeAll(): Promise<Record<ServiceName, PrometheusScrape>> {
  const scrapes = await Promise.all(SERVICES.map(scrape));
  return Object.fromEntries(SERVICES.map((s, i) => [s, scrapes[i]])) as Record<ServiceName, PrometheusScrape>;
}

it('should serve every family on every service, labelled with the service, and move with a push, a pull and a search', async () => {
  const before = await scrapeAll();
  for (const service of SERVICES) {
    for (const family of [
      'wharf_http_request_duration_seconds',
      'wharf_store_call_duration_seconds',
      'wharf_consumer_lag',
      'wharf_pushes_total',
      'wharf_blob_gc_runs_total',
      'process_cpu_seconds_total',
    ]) {
      expect([service, family, before[service].families.has(family)]).toEqual([service, family, true]);
    }
    expect([service, [...new Set(before[service].samples.map((s) => s.labels.service))]]).toEqual([service, [service]]);
  }

  const archive = chartArchive({ name: 'measured', version: '1.0.0', salt: runId });
  const gateway = stack.url('gateway');
  const pushed = await fetch(`${gateway}/cnr/api/v1/packages/metrics/measured`, {
    method: 'POST',
    body: JSON.stringify({ release: '1.0.0', media_type: 'helm', blob: archive.toString('base64') }),
  });
  expect(pushed.status).toBe(200);
  const pulled = await fetch(`${gateway}/cnr/api/v1/packages/metrics/measured/1.0.0/helm/pull`);
  expect(Buffer.from(await pulled.arrayBuffer()).equals(archive)).toBe(true);
  await eventually(async () => {
    const found = await fetch(`${gateway}/cnr/api/v1/packages/search?q=measured`);
    expect(await found.json()).toContain('metrics/measured');
  }, 30_000);
  // Collector passes run every second; the reference counts follow the log within one.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const after = await scrapeAll();

  const moved = (service: ServiceName, name: string, labels: Record<string, string> = {}) =>
    sumOfSamples(after[service], name, labels) - sumOfSamples(before[service], name, labels);
  const storeCalls = (service: ServiceName, labels: Record<string, string>) =>
    moved(service, 'wharf_store_call_duration_seconds_count', { outcome: 'ok', ...labels });
  const requests = (service: ServiceName) =>
    moved(service, 'wharf_http_request_duration_seconds_count', { status_class: '2xx' });
  const lagSample = (service: ServiceName, group: string) =>
    after[service].samples.find((s) => s.name === 'wharf_consumer_lag' && s.labels.group === group);

  expect({
    gateway: {
      requests: requests('gateway') >= 3,
      pushes: moved('gateway', 'wharf_pushes_total', { protocol: 'appr' }),
      pushedBytes: moved('gateway', 'wharf_pushed_bytes_total', { protocol: 'appr' }),
      pulls: moved('gateway', 'wharf_pulls_total', { protocol: 'appr' }),
      commands: storeCalls('gateway', { store: 'commands', engine: 'kafka', operation: 'execute' }),
      blobUploads: storeCalls('gateway', { store: 'blobs', engine: 's3', operation: 'put' }),
      metadataReads: storeCalls('gateway', { store: 'metadata', engine: 'mongodb' }) > 0,
      searches: storeCalls('gateway', { store: 'search', engine: 'http' }) > 0,
    },
    metadata: {
      requests: requests('metadata') > 0,
      appends: storeCalls('metadata', { store: 'event_log', engine: 'kafka', operation: 'append' }) >= 1,
      views: storeCalls('metadata', { store: 'metadata', engine: 'mongodb', operation: 'putHead' }) >= 1,
      lag: lagSample('metadata', 'metadata') !== undefined,
    },
    search: {
      requests: requests('search') > 0,
      documents: storeCalls('search', { store: 'search', engine: 'opensearch', operation: 'putMany' }) >= 1,
      lag: lagSample('search', 'search') !== undefined,
    },
    blob: {
      requests: requests('blob') > 0,
      counts: storeCalls('blob', { store: 'blob_references', engine: 'sqlite', operation: 'apply' }) >= 1,
      collectorPasses: moved('blob', 'wharf_blob_gc_runs_total') >= 1,
      lag: lagSample('blob', 'blob-references') !== undefined,
    },
  }).toEqual({
    gateway: {
      requests: true,
      pushes: 1,
      pushedBytes: archive.length,
      pulls: 1,
      commands: 1,
      blobUploads: 1,
      metadataReads: true,
      searches: true,
    },
    metadata: { requests: true, appends: true, views: true, lag: true },
    search: { requests: true, documents: true, lag: true },
    blob: { requests: true, counts: true, collectorPasses: true, lag: true },
  });
});

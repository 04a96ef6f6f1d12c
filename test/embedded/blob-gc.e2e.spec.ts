/**
 * No orphan blobs, for the embedded profile: a blob no release references is deleted once its
 * grace period has passed; a blob any release references never is, also when two packages
 * share it; blobs stored for pushes that were then refused do not stay behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartArchive, parsePrometheusText, sumOfSamples } from '@wharf/testing';
import { WharfProcess, startWharf } from '../support/wharf-process';
import { call } from './embedded-http';

const push = (base: string, pkg: string, release: string, bytes: Buffer) =>
  call(base, 'POST', `/api/v1/packages/${pkg}`, { release, media_type: 'helm', blob: bytes.toString('base64') });

async function blobCount(base: string): Promise<number> {
  return (await call(base, 'GET', '/_wharf/stats?fresh=true')).json().blobs;
}

/** Waits past grace period + collection interval, then a bit: enough for two passes. */
const pastGrace = () => new Promise((r) => setTimeout(r, 4_500));

describe('blob garbage collection', () => {
  let dataDir: string;
  let wharf: WharfProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-gc-'));
    wharf = await startWharf({
      WHARF_DATA_DIR: dataDir,
      WHARF_BLOB_GC_INTERVAL_SECONDS: '1',
      WHARF_BLOB_GC_GRACE_SECONDS: '2',
    });
  });

  afterAll(async () => {
    await wharf?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should keep a shared blob until its last reference goes, and delete unreferenced ones after the grace period', async () => {
    const shared = chartArchive({ name: 'shared', version: '1.0.0' });
    const alone = chartArchive({ name: 'alone', version: '1.0.0' });
    expect((await push(wharf.url, 'gc/one', '1.0.0', shared)).status).toBe(200);
    expect((await push(wharf.url, 'gc/two', '1.0.0', shared)).status).toBe(200);
    expect((await push(wharf.url, 'gc/alone', '1.0.0', alone)).status).toBe(200);
    expect(await blobCount(wharf.url)).toBe(2);

    expect((await call(wharf.url, 'DELETE', '/api/v1/packages/gc/one/1.0.0/helm')).status).toBe(200);
    expect((await call(wharf.url, 'DELETE', '/api/v1/packages/gc/alone/1.0.0/helm')).status).toBe(200);
    await pastGrace();
    expect(await blobCount(wharf.url)).toBe(1);
    const pulled = await fetch(`${wharf.url}/cnr/api/v1/packages/gc/two/1.0.0/helm/pull`);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(shared)).toBe(true);

    expect((await call(wharf.url, 'DELETE', '/api/v1/packages/gc/two/1.0.0/helm')).status).toBe(200);
    await pastGrace();
    expect(await blobCount(wharf.url)).toBe(0);
  });

  it('should report its passes on /metrics: runs, blobs deleted and bytes freed', async () => {
    const scrape = async () => parsePrometheusText(await (await fetch(`${wharf.url}/metrics`)).text());
    const orphan = chartArchive({ name: 'counted', version: '1.0.0' });
    const before = await scrape();
    expect((await push(wharf.url, 'gc/counted', '1.0.0', orphan)).status).toBe(200);
    expect((await call(wharf.url, 'DELETE', '/api/v1/packages/gc/counted/1.0.0/helm')).status).toBe(200);
    await pastGrace();
    const after = await scrape();

    const moved = (name: string, labels: Record<string, string> = {}) =>
      sumOfSamples(after, name, labels) - sumOfSamples(before, name, labels);
    expect(moved('wharf_blob_gc_runs_total', { outcome: 'completed', service: 'embedded' })).toBeGreaterThanOrEqual(2);
    expect(moved('wharf_blob_gc_deleted_blobs_total')).toBe(1);
    expect(moved('wharf_blob_gc_freed_bytes_total')).toBe(orphan.length);
    expect(
      moved('wharf_store_call_duration_seconds_count', { store: 'blobs', operation: 'delete', outcome: 'ok' }),
    ).toBe(1);
  });

  it("should expose each consumer group's lag on /metrics, in Prometheus text format", async () => {
    const res = await fetch(`${wharf.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const group of ['metadata', 'search', 'blob-references']) {
      expect(text).toMatch(new RegExp(`^wharf_consumer_lag\\{group="${group}",service="embedded"\\} \\d+$`, 'm'));
    }
  });

  it('should leave no blob of pushes that lost a race for the same release', async () => {
    const contenders = Array.from({ length: 8 }, (_, i) =>
      chartArchive({ name: 'race', version: '1.0.0', salt: `contender ${i}` }),
    );
    const statuses = (await Promise.all(contenders.map((bytes) => push(wharf.url, 'gc/race', '1.0.0', bytes))))
      .map((r) => r.status)
      .sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    await pastGrace();
    expect(await blobCount(wharf.url)).toBe(1);
    const manifest = (await call(wharf.url, 'GET', '/api/v1/packages/gc/race/1.0.0/helm')).json();
    const pulled = Buffer.from(
      await (await fetch(`${wharf.url}/cnr/api/v1/packages/gc/race/1.0.0/helm/pull`)).arrayBuffer(),
    );
    expect(pulled.length).toBe(manifest.content.size);
  });
});

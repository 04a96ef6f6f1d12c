import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { JsonLogger, loadConfig } from '@wharf/config';
import type { BlobReferenceStore, EventLog } from '@wharf/ports';
import { RecordingMetrics, sha256Hex } from '@wharf/testing';
import { BlobGarbageCollector } from './blob-garbage-collector';
import { BlobReferenceProjector } from './blob-reference.projector';

const bytes = (label: string) => Buffer.from(`blob ${label}`);

describe(BlobGarbageCollector.name, () => {
  let dir: string;
  let blobs: FsBlobStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-gc-unit-'));
    blobs = new FsBlobStore(dir);
  });

  afterEach(async () => {
    await blobs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A projector over a log whose group set aside `record`, and counts where only `referenced` is 1. */
  function collector(
    record: string,
    referenced: string,
    lag = 0,
    metrics = new RecordingMetrics(),
  ): BlobGarbageCollector {
    const log = { deadLetters: async () => [{ position: '7', reason: 'poison', record }] } as unknown as EventLog;
    const references = {
      counts: async (digests: readonly string[]) => new Map(digests.map((d) => [d, d === referenced ? 1 : 0])),
    } as unknown as BlobReferenceStore;
    const projector = new BlobReferenceProjector(log, references);
    projector.lag = async () => lag;
    return new BlobGarbageCollector(
      blobs,
      references,
      loadConfig({ WHARF_BLOB_GC_GRACE_SECONDS: '60' }),
      new JsonLogger('silent'),
      projector,
      metrics,
    );
  }

  it('should delete an old unreferenced blob, and keep a referenced one and one a set-aside event names', async () => {
    const [orphan, named, used] = ['orphan', 'named', 'used'].map(bytes);
    for (const b of [orphan, named, used]) await blobs.put(b, sha256Hex(b));
    // The set-aside record need not parse, and may spell the digest in upper case.
    const sut = collector(
      `{"type":"ReleasePublished","data":{"blobDigest":"${sha256Hex(named).toUpperCase()}"`,
      sha256Hex(used),
    );

    const report = await sut.collect(new Date(Date.now() + 120_000));

    expect(report).toEqual({
      ran: true,
      scanned: 3,
      deleted: 1,
      freedBytes: orphan.length,
      keptForSetAsideEvents: 1,
      dryRun: false,
    });
    expect(await blobs.stat(sha256Hex(orphan))).toBeNull();
    expect(await blobs.stat(sha256Hex(named))).not.toBeNull();
    expect(await blobs.stat(sha256Hex(used))).not.toBeNull();
  });

  it('should say what it would delete on a dry run, delete nothing and report nothing to the metrics', async () => {
    const metrics = new RecordingMetrics();
    const orphan = bytes('orphan');
    await blobs.put(orphan, sha256Hex(orphan));
    const report = await collector('', 'none', 0, metrics).collect(new Date(Date.now() + 120_000), { dryRun: true });
    expect(report).toMatchObject({ ran: true, scanned: 1, deleted: 1, freedBytes: orphan.length, dryRun: true });
    expect(await blobs.stat(sha256Hex(orphan))).not.toBeNull();
    expect(metrics.counted).toEqual([]);
  });

  it('should examine nothing while the reference counts are behind the log', async () => {
    const orphan = bytes('uncounted');
    await blobs.put(orphan, sha256Hex(orphan));
    const report = await collector('', 'none', 1).collect(new Date(Date.now() + 120_000));
    expect(report).toEqual({
      ran: false,
      scanned: 0,
      deleted: 0,
      freedBytes: 0,
      keptForSetAsideEvents: 0,
      dryRun: false,
    });
    expect(await blobs.stat(sha256Hex(orphan))).not.toBeNull();
  });

  it('should report every pass to the metrics: its outcome, the blobs deleted and the bytes freed', async () => {
    const [orphan, other] = ['orphan one', 'orphan two, longer'].map(bytes);
    for (const b of [orphan, other]) await blobs.put(b, sha256Hex(b));
    const metrics = new RecordingMetrics();
    const later = new Date(Date.now() + 120_000);

    await collector('', 'none', 1, metrics).collect(later);
    await collector('', 'none', 0, metrics).collect(later);
    const failing = collector('', 'none', 0, metrics);
    blobs.list = () => {
      throw new Error('listing failed');
    };
    await expect(failing.collect(later)).rejects.toThrow('listing failed');

    expect(metrics.counted).toEqual([
      'blob gc skipped: 0 deleted, 0 bytes freed',
      `blob gc completed: 2 deleted, ${orphan.length + other.length} bytes freed`,
      'blob gc failed: 0 deleted, 0 bytes freed',
    ]);
  });

  it('should keep every blob inside its grace period', async () => {
    const orphan = bytes('young');
    await blobs.put(orphan, sha256Hex(orphan));
    const report = await collector('', 'none').collect(new Date(Date.now() + 30_000));
    expect(report).toMatchObject({ ran: true, deleted: 0 });
    expect(await blobs.stat(sha256Hex(orphan))).not.toBeNull();
  });
});

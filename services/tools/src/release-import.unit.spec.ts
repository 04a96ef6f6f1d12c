/**
 * The import's core against the package writer on in-memory ports, with a blob store on a
 * temporary directory: what it sends (commands within their bounds, one package's one after the
 * other), what it counts and reports, and what a bad item or an unavailable writer does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { ImportReleases, PackageCommand, ServiceUnavailableError } from '@wharf/domain';
import { KeyedMutex, MetadataProjector, PackageProjection, PackageWriter } from '@wharf/metadata';
import type { CommandResult, PackageCommands } from '@wharf/ports';
import { InMemoryEventLog, InMemoryMetadataStore, chartArchive } from '@wharf/testing';
import { ImportItem, ImportOptions, ImportSource, importReleases } from './release-import';

const LIMITS = { maxBlobBytes: 1 << 20, maxUnpackedBytes: 1 << 22, maxExpansionRatio: 200, maxEntries: 100 };
const OPTIONS: ImportOptions = { archiveLimits: LIMITS, defaultVisibility: 'public', progressEveryMs: 0 };

function sourceOf(items: ImportItem[]): ImportSource {
  return {
    total: items.length,
    async *items() {
      yield* items;
    },
  };
}

const chart = (name: string, version: string, salt = '') => ({
  kind: 'release' as const,
  origin: `${name}-${version}.tgz`,
  namespace: 'ns',
  archive: chartArchive({ name, version, salt }),
});

describe('importReleases', () => {
  let dir: string;
  let blobs: FsBlobStore;
  let store: InMemoryMetadataStore;
  let log: InMemoryEventLog;
  let writer: PackageWriter;
  let sent: PackageCommand[];
  /** The writer, recording every command it is sent. */
  let commands: PackageCommands;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-import-unit-'));
    blobs = new FsBlobStore(dir);
    log = new InMemoryEventLog();
    store = new InMemoryMetadataStore();
    const locks = new KeyedMutex();
    const projection = new PackageProjection(store);
    writer = new PackageWriter(log, store, projection, new MetadataProjector(log, projection, locks), locks);
    sent = [];
    commands = { execute: (command) => (sent.push(command), writer.execute(command)) };
  });

  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each package its releases in commands within the bounds, and counts them', async () => {
    const items = Array.from({ length: 45 }, (_, i) => chart(['a', 'b'][i % 2]!, `1.${i}.0`));

    const report = await importReleases(
      sourceOf(items),
      { blobs, commands },
      {
        ...OPTIONS,
        maxReleasesPerCommand: 10,
        maxBytesPerCommand: 2_000,
      },
    );

    expect(report).toMatchObject({ done: 45, imported: 45, skipped: 0, conflicts: 0, failed: 0, problems: [] });
    const imports = sent as ImportReleases[];
    for (const command of imports) {
      expect(command.releases.length).toBeLessThanOrEqual(10);
      expect(command.releases.reduce((n, r) => n + JSON.stringify(r).length, 0)).toBeLessThanOrEqual(2_000);
    }
    expect(imports.reduce((n, c) => n + c.releases.length, 0)).toBe(45);
    expect((await store.get('ns/a'))!.manifests).toHaveLength(23);
    expect((await store.get('ns/b'))!.manifests).toHaveLength(22);
    expect(await log.count()).toBe(45);
  });

  it("keeps a source's creation time as the release's, and the import's time for a release without one", async () => {
    const before = new Date().toISOString();
    await importReleases(
      sourceOf([{ ...chart('a', '1.0.0'), createdAt: '2019-03-04T05:06:07.000Z' }, chart('a', '1.1.0')]),
      { blobs, commands },
      OPTIONS,
    );

    const manifests = (await store.get('ns/a'))!.manifests;
    expect(manifests.find((m) => m.release === '1.0.0')!.createdAt).toBe('2019-03-04T05:06:07.000Z');
    expect(manifests.find((m) => m.release === '1.1.0')!.createdAt >= before).toBe(true);
  });

  it('skips what is there with the same bytes, and reports what is there with other bytes, run again', async () => {
    await importReleases(sourceOf([chart('a', '1.0.0'), chart('a', '1.1.0')]), { blobs, commands }, OPTIONS);

    const report = await importReleases(
      sourceOf([chart('a', '1.0.0'), chart('a', '1.1.0', 'other bytes'), chart('a', '2.0.0')]),
      { blobs, commands },
      OPTIONS,
    );

    expect(report).toMatchObject({ imported: 1, skipped: 1, conflicts: 1, failed: 0 });
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'conflict', origin: 'a-1.1.0.tgz', package: 'ns/a', release: '1.1.0' }),
    ]);
    expect(await log.count()).toBe(3);
  });

  it('reports and skips a bad item, storing nothing of it, and imports the others', async () => {
    const report = await importReleases(
      sourceOf([
        { kind: 'release', origin: 'corrupt.tgz', namespace: 'ns', archive: Buffer.from('not gzip') },
        chart('a', '1.0'),
        chart('Bad_Name', '1.0.0'),
        { kind: 'unreadable', origin: 'gone.tgz', reason: 'EACCES' },
        // A source that knows only appr's digest (cnr-server): checked alone.
        { ...chart('b', '1.0.0'), origin: 'wrong-appr', expected: { apprDigest: 'f'.repeat(64) } },
        chart('a', '1.0.0'),
      ]),
      { blobs, commands },
      OPTIONS,
    );

    expect(report).toMatchObject({ done: 6, imported: 1, failed: 5 });
    expect(report.problems.map((p) => [p.origin, p.kind])).toEqual([
      ['corrupt.tgz', 'invalid'],
      ['a-1.0.tgz', 'invalid'],
      ['Bad_Name-1.0.0.tgz', 'invalid'],
      ['gone.tgz', 'invalid'],
      ['wrong-appr', 'invalid'],
    ]);
    const stored: string[] = [];
    for await (const blob of blobs.list()) stored.push(blob.digest);
    expect(stored).toHaveLength(1);
  });

  it("recreates a package's channels after its releases, and refuses channels with a bad name", async () => {
    const report = await importReleases(
      sourceOf([
        chart('a', '1.0.0'),
        chart('a', '2.0.0'),
        {
          kind: 'channels',
          origin: 'ns/a',
          package: 'ns/a',
          channels: [{ name: 'stable', releases: ['1.0.0', '2.0.0'], current: '1.0.0' }],
        },
        chart('b', '1.0.0'),
        {
          kind: 'channels',
          origin: 'ns/b',
          package: 'ns/b',
          channels: [{ name: '..', releases: ['1.0.0'], current: '1.0.0' }],
        },
      ]),
      { blobs, commands },
      OPTIONS,
    );

    expect((await store.get('ns/a'))!.channels).toEqual([
      { name: 'stable', current: '1.0.0', releases: ['1.0.0', '2.0.0'] },
    ]);
    expect((await store.get('ns/b'))!.channels).toEqual([]);
    expect(report.problems).toEqual([expect.objectContaining({ origin: 'ns/b', kind: 'invalid' })]);
  });

  it('sends a command again while its writer is unavailable, and counts its releases failed when it stays so', async () => {
    let outages = 2;
    const flaky: PackageCommands = {
      execute: (command): Promise<CommandResult> =>
        outages-- > 0 ? Promise.reject(new ServiceUnavailableError('metadata service')) : writer.execute(command),
    };
    const report = await importReleases(sourceOf([chart('a', '1.0.0')]), { blobs, commands: flaky }, OPTIONS);
    expect(report).toMatchObject({ imported: 1, failed: 0 });

    const down: PackageCommands = { execute: () => Promise.reject(new ServiceUnavailableError('metadata service')) };
    const failed = await importReleases(
      sourceOf([chart('b', '1.0.0')]),
      { blobs, commands: down },
      {
        ...OPTIONS,
        attempts: 2,
      },
    );
    expect(failed).toMatchObject({ imported: 0, failed: 1 });
    expect(failed.problems[0]).toMatchObject({ kind: 'failed', package: 'ns/b' });
  }, 20_000);
});

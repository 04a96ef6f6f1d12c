/**
 * The ChartIndexStore contract (libs/ports/src/chart-index.port.ts), run unchanged against every
 * adapter:
 *
 *   describeChartIndexStoreContract('chart-index-mongo', async () => ({ subject, cleanup }));
 *
 * Each test gets a fresh store and uses its own namespaces. The factory's cleanup drops what the
 * store created (database, file).
 */
import { PackageChartVersions, PackageEvent, chartVersionsOf } from '@wharf/domain';
import type { ChartIndexStore } from '@wharf/ports';
import { ContractFixture, ContractOptions, uniqueName, useContractFixture } from './contract-fixture';
import { packageView, releaseDeleted, releasePublished } from './contract-data.factory';

export type ChartIndexStoreFixture = ContractFixture<ChartIndexStore>;

/** The chart versions of `pkg` after `events`, as the metadata service derives them. */
export function packageCharts(pkg: string, events: PackageEvent[]): PackageChartVersions {
  return chartVersionsOf(packageView(pkg, events));
}

export function describeChartIndexStoreContract(name: string, factory: () => Promise<ChartIndexStoreFixture>, options: ContractOptions = {}): void {
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`ChartIndexStore contract: ${name}`, () => {
    const ctx = useContractFixture(factory);
    const store = () => ctx.fixture.subject;
    const versionsOf = async (ns: string) =>
      (await store().read(ns)).versions.map((v) => `${v.name}@${v.version}`).sort();

    it(
      'should read an unknown namespace as empty, with a revision that read and revision agree on',
      async () => {
        const ns = uniqueName('ns');
        const read = await store().read(ns);
        expect(read).toEqual({ namespace: ns, revision: expect.any(String), versions: [] });
        expect(await store().revision(ns)).toBe(read.revision);
      },
      timeout,
    );

    it(
      'should record a package\'s chart versions with their digests, metadata and visibility, and change the revision',
      async () => {
        const ns = uniqueName('ns');
        const before = await store().revision(ns);
        const charts = packageCharts(`${ns}/app`, [
          releasePublished({ release: '1.0.0' }),
          releasePublished({ release: '1.1.0', visibility: 'private' }),
          releasePublished({ release: '1.0.0', mediaType: 'kpm' }),
        ]);

        expect(await store().sync(charts)).toBe(true);

        const read = await store().read(ns);
        expect(read.revision).not.toBe(before);
        expect(await store().revision(ns)).toBe(read.revision);
        const byVersion = new Map(read.versions.map((v) => [v.version, v]));
        expect([...byVersion.keys()].sort()).toEqual(['1.0.0', '1.1.0']);
        expect(byVersion.get('1.0.0')).toEqual({ ...charts.versions.find((v) => v.version === '1.0.0'), visibility: 'public' });
        expect(byVersion.get('1.1.0')!.chart).toEqual(expect.objectContaining({ apiVersion: 'v2', name: 'app' }));
      },
      timeout,
    );

    it(
      'should refuse the same or an older sequence again, changing nothing',
      async () => {
        const ns = uniqueName('ns');
        const pkg = `${ns}/app`;
        const one = packageCharts(pkg, [releasePublished({ release: '1.0.0' })]);
        const two = packageCharts(pkg, [releasePublished({ release: '1.0.0' }), releasePublished({ release: '2.0.0' })]);
        expect(await store().sync(two)).toBe(true);
        const revision = await store().revision(ns);

        expect(await store().sync(two)).toBe(false);
        expect(await store().sync(one)).toBe(false);

        expect(await store().revision(ns)).toBe(revision);
        expect(await versionsOf(ns)).toEqual(['app@1.0.0', 'app@2.0.0']);
      },
      timeout,
    );

    it(
      'should replace the package\'s versions with a newer state, dropping deleted versions and emptying a package',
      async () => {
        const ns = uniqueName('ns');
        const pkg = `${ns}/app`;
        const published = [releasePublished({ release: '1.0.0' }), releasePublished({ release: '2.0.0' })];
        await store().sync(packageCharts(pkg, published));
        await store().sync(packageCharts(`${ns}/other`, [releasePublished({ release: '0.1.0' })]));
        const revisions = [await store().revision(ns)];

        expect(await store().sync(packageCharts(pkg, [...published, releaseDeleted('1.0.0')]))).toBe(true);
        expect(await versionsOf(ns)).toEqual(['app@2.0.0', 'other@0.1.0']);
        revisions.push(await store().revision(ns));

        expect(await store().sync(packageCharts(pkg, [...published, releaseDeleted('1.0.0'), releaseDeleted('2.0.0')]))).toBe(true);
        expect(await versionsOf(ns)).toEqual(['other@0.1.0']);
        revisions.push(await store().revision(ns));
        expect(new Set(revisions).size).toBe(3);
      },
      timeout,
    );

    it(
      'should keep namespaces apart',
      async () => {
        const a = uniqueName('nsa');
        const b = uniqueName('nsb');
        await store().sync(packageCharts(`${b}/app`, [releasePublished({ release: '1.0.0' })]));
        const revisionB = await store().revision(b);

        await store().sync(packageCharts(`${a}/app`, [releasePublished({ release: '3.0.0' })]));

        expect(await store().revision(b)).toBe(revisionB);
        expect(await versionsOf(a)).toEqual(['app@3.0.0']);
        expect(await versionsOf(b)).toEqual(['app@1.0.0']);
      },
      timeout,
    );

    it(
      'should record concurrent changes of many packages of one namespace, each under a new revision',
      async () => {
        const ns = uniqueName('ns');
        const before = await store().revision(ns);
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => store().sync(packageCharts(`${ns}/chart${i}`, [releasePublished({ release: `1.${i}.0` })]))),
        );
        expect(results.every(Boolean)).toBe(true);
        const read = await store().read(ns);
        expect(read.versions.map((v) => `${v.name}@${v.version}`).sort()).toEqual(
          Array.from({ length: 12 }, (_, i) => `chart${i}@1.${i}.0`).sort(),
        );
        expect(read.revision).not.toBe(before);
      },
      timeout,
    );

    it(
      'should end with the highest sequence when states of one package race',
      async () => {
        const ns = uniqueName('ns');
        const pkg = `${ns}/app`;
        const events = Array.from({ length: 6 }, (_, i) => releasePublished({ release: `1.0.${i}` }));
        const states = events.map((_, i) => packageCharts(pkg, events.slice(0, i + 1)));
        await Promise.all([...states].reverse().map((s) => store().sync(s)));
        expect(await versionsOf(ns)).toEqual(events.map((_, i) => `app@1.0.${i}`).sort());
        expect(await store().sync(states[2])).toBe(false);
      },
      timeout,
    );
  });
}

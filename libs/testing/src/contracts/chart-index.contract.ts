/**
 * The ChartIndexStore contract (libs/ports/src/chart-index.port.ts), run unchanged against every
 * adapter:
 *
 *   describeChartIndexStoreContract('chart-index-mongo', async () => ({ subject, cleanup }));
 *
 * Each test gets a fresh store and uses its own namespaces. The factory's cleanup drops what the
 * store created (database, file).
 */
import {
  PackageChartChanges,
  PackageChartVersions,
  PackageEvent,
  PackageView,
  Visibility,
  chartChangesOf,
  chartVersionsOf,
  emptyPackageView,
} from '@wharf/domain';
import type { ChartIndexStore } from '@wharf/ports';
import { ContractFixture, ContractOptions, uniqueName, useContractFixture } from './contract-fixture';
import { packageView, packageViewAfter, releaseDeleted, releasePublished } from './contract-data.factory';

export type ChartIndexStoreFixture = ContractFixture<ChartIndexStore>;

/** The chart versions of `pkg` after `events`, as the metadata service derives them. */
export function packageCharts(pkg: string, events: PackageEvent[]): PackageChartVersions {
  return chartVersionsOf(packageView(pkg, events));
}

/** The chart changes of `events` continuing `view`, as the metadata service derives them, and the view after them. */
export function chartChangesAfter(
  view: PackageView,
  events: PackageEvent[],
): { view: PackageView; changes: PackageChartChanges } {
  const after = packageViewAfter(view, events);
  return { view: after.view, changes: chartChangesOf(after.view, view.sequence, after.changes) };
}

const visibilityChanged = (visibility: Visibility): PackageEvent => ({
  type: 'PackageVisibilityChanged',
  data: { visibility },
});

export function describeChartIndexStoreContract(
  name: string,
  factory: () => Promise<ChartIndexStoreFixture>,
  options: ContractOptions = {},
): void {
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`ChartIndexStore contract: ${name}`, () => {
    const ctx = useContractFixture(factory, timeout);
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
      "should record a package's chart versions with their digests, metadata and visibility, and change the revision",
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
        expect(byVersion.get('1.0.0')).toEqual({
          ...charts.versions.find((v) => v.version === '1.0.0'),
          visibility: 'public',
        });
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
        const two = packageCharts(pkg, [
          releasePublished({ release: '1.0.0' }),
          releasePublished({ release: '2.0.0' }),
        ]);
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
      "should replace the package's versions with a newer state, dropping deleted versions and emptying a package",
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

        expect(
          await store().sync(packageCharts(pkg, [...published, releaseDeleted('1.0.0'), releaseDeleted('2.0.0')])),
        ).toBe(true);
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
          Array.from({ length: 12 }, (_, i) =>
            store().sync(packageCharts(`${ns}/chart${i}`, [releasePublished({ release: `1.${i}.0` })])),
          ),
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

    describe('applyChanges', () => {
      /** Applies batches one after the other from an empty package; returns each batch's changes and the view after all. */
      const applyAll = async (pkg: string, ...batches: PackageEvent[][]) => {
        let view = emptyPackageView(pkg);
        const all: PackageChartChanges[] = [];
        for (const batch of batches) {
          const next = chartChangesAfter(view, batch);
          expect(await store().applyChanges(next.changes)).toBe('applied');
          all.push(next.changes);
          view = next.view;
        }
        return { view, all };
      };

      it(
        "should record a batch's chart versions on top of the sequence it continues: new versions added, republished ones replaced, deleted ones removed, each under a new revision",
        async () => {
          const ns = uniqueName('ns');
          const pkg = `${ns}/app`;
          const revisions = new Set([await store().revision(ns)]);
          const { view } = await applyAll(pkg, [
            releasePublished({ release: '1.0.0' }),
            releasePublished({ release: '1.1.0' }),
            releasePublished({ release: '1.0.0', mediaType: 'kpm' }),
          ]);
          revisions.add(await store().revision(ns));
          expect(await versionsOf(ns)).toEqual(['app@1.0.0', 'app@1.1.0']);

          const republished = releasePublished({ release: '1.1.0' });
          republished.data.chart = { ...republished.data.chart!, description: 'forced' };
          const next = chartChangesAfter(view, [
            releaseDeleted('1.0.0'),
            republished,
            releasePublished({ release: '2.0.0' }),
          ]);
          expect(await store().applyChanges(next.changes)).toBe('applied');

          const read = await store().read(ns);
          revisions.add(read.revision);
          expect(revisions.size).toBe(3);
          expect(await store().revision(ns)).toBe(read.revision);
          // Exactly what the whole view's chart versions are, each with the package's visibility.
          const byVersion = (versions: { version: string }[]) =>
            [...versions].sort((a, b) => a.version.localeCompare(b.version));
          expect(byVersion(read.versions)).toEqual(
            byVersion(chartVersionsOf(next.view).versions.map((v) => ({ ...v, visibility: 'public' }))),
          );
          expect(read.versions.find((v) => v.version === '1.1.0')!.chart.description).toBe('forced');
        },
        timeout,
      );

      it(
        'should answer stale for changes at or below the recorded sequence, and behind for changes continuing another sequence, changing nothing',
        async () => {
          const ns = uniqueName('ns');
          const pkg = `${ns}/app`;
          const { view, all } = await applyAll(
            pkg,
            [releasePublished({ release: '1.0.0' })],
            [releasePublished({ release: '2.0.0' })],
          );
          const revision = await store().revision(ns);

          // Redelivered: the same batches again, the newest first.
          expect(await store().applyChanges(all[1]!)).toBe('stale');
          expect(await store().applyChanges(all[0]!)).toBe('stale');
          // A batch whose events before it the index lacks (sequence 3 never applied).
          const skipped = chartChangesAfter(chartChangesAfter(view, [releasePublished({ release: '3.0.0' })]).view, [
            releaseDeleted('1.0.0'),
          ]);
          expect(await store().applyChanges(skipped.changes)).toBe('behind');
          // A package with nothing recorded, whose batch does not start its stream.
          expect(await store().applyChanges({ ...skipped.changes, package: `${ns}/other` })).toBe('behind');

          expect(await store().revision(ns)).toBe(revision);
          expect(await versionsOf(ns)).toEqual(['app@1.0.0', 'app@2.0.0']);
          // The whole state repairs it, and changes continue from there.
          expect(await store().sync(chartVersionsOf(skipped.view))).toBe(true);
          expect(await versionsOf(ns)).toEqual(['app@2.0.0', 'app@3.0.0']);
          const continued = chartChangesAfter(skipped.view, [releasePublished({ release: '4.0.0' })]);
          expect(await store().applyChanges(continued.changes)).toBe('applied');
          expect(await versionsOf(ns)).toEqual(['app@2.0.0', 'app@3.0.0', 'app@4.0.0']);
        },
        timeout,
      );

      it(
        'should drop versions a whole state no longer has, even ones recorded by changes, and answer stale for changes it covers',
        async () => {
          const ns = uniqueName('ns');
          const pkg = `${ns}/app`;
          const { view } = await applyAll(
            pkg,
            [releasePublished({ release: '1.0.0' })],
            [releasePublished({ release: '2.0.0' })],
          );
          const later = chartChangesAfter(view, [releaseDeleted('2.0.0'), releasePublished({ release: '3.0.0' })]);

          expect(await store().sync(chartVersionsOf(later.view))).toBe(true);
          expect(await store().applyChanges(later.changes)).toBe('stale');

          expect(await versionsOf(ns)).toEqual(['app@1.0.0', 'app@3.0.0']);
        },
        timeout,
      );

      it(
        'should move every version of a package in or out of the public ones with a visibility change alone, and keep versions deleted when redelivered',
        async () => {
          const ns = uniqueName('ns');
          const pkg = `${ns}/app`;
          const { view, all } = await applyAll(
            pkg,
            [releasePublished({ release: '1.0.0' }), releasePublished({ release: '2.0.0' })],
            [releaseDeleted('1.0.0')],
          );
          const before = await store().revision(ns);
          const visibilityOf = async () =>
            (await store().read(ns)).versions.map((v) => `${v.version} ${v.visibility}`).sort();

          const hidden = chartChangesAfter(view, [visibilityChanged('private')]);
          expect(hidden.changes.published).toEqual([]);
          expect(await store().applyChanges(hidden.changes)).toBe('applied');
          expect(await visibilityOf()).toEqual(['2.0.0 private']);
          const privateRevision = await store().revision(ns);
          expect(privateRevision).not.toBe(before);

          expect(await store().applyChanges(all[0]!)).toBe('stale');
          const shown = chartChangesAfter(hidden.view, [visibilityChanged('public')]);
          expect(await store().applyChanges(shown.changes)).toBe('applied');
          expect(await visibilityOf()).toEqual(['2.0.0 public']);
          expect(await store().revision(ns)).not.toBe(privateRevision);
        },
        timeout,
      );

      it(
        'should apply changes in a rebuild as in the live store, without touching the live one',
        async () => {
          const ns = uniqueName('ns');
          const pkg = `${ns}/app`;
          await applyAll(pkg, [releasePublished({ release: '1.0.0' })]);
          const rebuild = await store().rebuild();
          ctx.defer(() => rebuild.abort());
          const fresh = chartChangesAfter(emptyPackageView(pkg), [
            releasePublished({ release: '1.0.0' }),
            releasePublished({ release: '9.0.0' }),
          ]);
          const deleted = chartChangesAfter(fresh.view, [releaseDeleted('1.0.0')]);

          expect(await rebuild.store.applyChanges(fresh.changes)).toBe('applied');
          expect(await rebuild.store.applyChanges(deleted.changes)).toBe('applied');

          expect((await rebuild.store.read(ns)).versions.map((v) => v.version)).toEqual(['9.0.0']);
          expect(await versionsOf(ns)).toEqual(['app@1.0.0']);
        },
        timeout,
      );
    });

    describe('rebuild', () => {
      it(
        'should start empty and unseen, then switch the live store over to exactly its content, under revisions never answered before',
        async () => {
          const ns = uniqueName('ns');
          const gone = uniqueName('nsgone');
          // Revisions are per namespace: the tokens each namespace answered.
          const revisions = new Set([await store().revision(ns)]);
          const goneRevisions = new Set([await store().revision(gone)]);
          const kept = packageCharts(`${ns}/kept`, [releasePublished({ release: '1.0.0' })]);
          await store().sync(kept);
          revisions.add(await store().revision(ns));
          await store().sync(packageCharts(`${ns}/dropped`, [releasePublished({ release: '0.1.0' })]));
          revisions.add(await store().revision(ns));
          await store().sync(packageCharts(`${gone}/app`, [releasePublished({ release: '0.2.0' })]));
          goneRevisions.add(await store().revision(gone));
          const liveBefore = await store().read(ns);

          const rebuild = await store().rebuild();
          ctx.defer(() => rebuild.abort());
          expect((await rebuild.store.read(ns)).versions).toEqual([]);
          // The same package sequence with other versions: what a change of the derivation rebuilds.
          const rederived = {
            ...kept,
            versions: kept.versions.map((v) => ({ ...v, chart: { ...v.chart, description: 'rederived' } })),
          };
          expect(await rebuild.store.sync(rederived)).toBe(true);
          expect(await rebuild.store.sync(packageCharts(`${ns}/added`, [releasePublished({ release: '2.0.0' })]))).toBe(
            true,
          );
          expect(await store().read(ns)).toEqual(liveBefore);

          expect(await rebuild.switchOver()).toBeGreaterThanOrEqual(0);

          const read = await store().read(ns);
          expect(read.versions.map((v) => `${v.name}@${v.version}`).sort()).toEqual(['added@2.0.0', 'kept@1.0.0']);
          expect(read.versions.find((v) => v.name === 'kept')!.chart.description).toBe('rederived');
          expect(await store().revision(ns)).toBe(read.revision);
          expect(revisions).not.toContain(read.revision);
          expect(await versionsOf(gone)).toEqual([]);
          expect(goneRevisions).not.toContain(await store().revision(gone));
          // `sync` goes on from the rebuilt sequences.
          expect(await store().sync(kept)).toBe(false);
          expect(
            await store().sync(
              packageCharts(kept.package, [
                releasePublished({ release: '1.0.0' }),
                releasePublished({ release: '1.1.0' }),
              ]),
            ),
          ).toBe(true);
          expect(await versionsOf(ns)).toEqual(['added@2.0.0', 'kept@1.0.0', 'kept@1.1.0']);
          await expect(rebuild.switchOver()).rejects.toThrow();
        },
        timeout,
      );

      it(
        'should leave the live store as it was when aborted, and start the next rebuild empty',
        async () => {
          const ns = uniqueName('ns');
          await store().sync(packageCharts(`${ns}/live`, [releasePublished({ release: '1.0.0' })]));
          const liveBefore = await store().read(ns);
          const first = await store().rebuild();
          expect(
            await first.store.sync(packageCharts(`${ns}/abandoned`, [releasePublished({ release: '1.0.0' })])),
          ).toBe(true);
          await first.abort();
          await first.abort();
          await expect(first.switchOver()).rejects.toThrow();
          expect(await store().read(ns)).toEqual(liveBefore);

          const second = await store().rebuild();
          ctx.defer(() => second.abort());
          expect((await second.store.read(ns)).versions).toEqual([]);
          expect(
            await second.store.sync(packageCharts(`${ns}/leftover`, [releasePublished({ release: '1.0.0' })])),
          ).toBe(true);
          // A rebuild started while another was left unfinished starts from nothing as well.
          const third = await store().rebuild();
          ctx.defer(() => third.abort());
          expect((await third.store.read(ns)).versions).toEqual([]);
          await third.switchOver();
          const after = await store().read(ns);
          expect(after.versions).toEqual([]);
          expect(after.revision).not.toBe(liveBefore.revision);
        },
        timeout,
      );
    });
  });
}

/**
 * The MetadataStore contract (libs/ports/src/metadata-store.port.ts), run unchanged against
 * every adapter:
 *
 *   describeMetadataStoreContract('metadata-mongo', async () => ({ subject, cleanup }));
 *
 * Each test gets a fresh store and uses its own namespaces. The port deletes nothing, so the
 * factory's cleanup must drop what the store created (database, collection, file).
 */
import {
  HELM_MEDIA_TYPE,
  PackageView,
  findManifest,
  helmManifestDigestOf,
  packageHead,
  summarizePackage,
} from '@wharf/domain';
import type { MetadataStore, PackageListFilter } from '@wharf/ports';
import { ContractFixture, ContractOptions, uniqueName, useContractFixture } from './contract-fixture';
import {
  ReleaseOptions,
  packageView,
  packageViewAfter,
  releaseDeleted,
  releasePublished,
} from './contract-data.factory';

export type MetadataStoreFixture = ContractFixture<MetadataStore>;

export function describeMetadataStoreContract(
  name: string,
  factory: () => Promise<MetadataStoreFixture>,
  options: ContractOptions = {},
): void {
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`MetadataStore contract: ${name}`, () => {
    const ctx = useContractFixture(factory, timeout);
    const store = () => ctx.fixture.subject;

    /** A package with one release per entry, stored with expectedSequence 0. */
    async function stored(pkg: string, releases: ReleaseOptions[] = [{}]): Promise<PackageView> {
      const view = packageView(pkg, releases.map(releasePublished));
      expect(await store().put(view, 0)).toBe(true);
      return view;
    }

    const listed = async (filter: Partial<PackageListFilter>) =>
      (await store().list({ limit: 100, ...filter })).map((s) => s.package);

    describe('get', () => {
      it(
        'should return null for a package no view was stored for',
        async () => {
          expect(await store().get(`${uniqueName('ns')}/absent`)).toBeNull();
        },
        timeout,
      );
    });

    describe('put', () => {
      it(
        'should insert with expectedSequence 0 and give the view back unchanged',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const metadata = JSON.parse(
            '{"dotted.key":1,"$dollar":{"a.b":[true,null]},"__proto__":"x","nested":{"k":"v"}}',
          );
          const view = packageView(pkg, [
            releasePublished({ release: '1.0.0', metadata }),
            releasePublished({ release: '1.0.0', mediaType: 'kpm' }),
            { type: 'ReleaseAddedToChannel', data: { channel: '__proto__', release: '1.0.0' } },
            {
              type: 'OciManifestPushed',
              data: {
                digest: 'a'.repeat(64),
                mediaType: 'application/vnd.oci.image.manifest.v1+json',
                artifactType: 'application/vnd.example+json',
                size: 10,
                subject: 'b'.repeat(64),
                blobs: ['c'.repeat(64)],
                manifests: [],
                annotations: [{ name: 'org.opencontainers.image.created', value: 'now' }],
                visibility: 'public',
              },
            },
            { type: 'OciTagged', data: { tag: 'latest', digest: 'a'.repeat(64) } },
          ]);

          expect(await store().put(view, 0)).toBe(true);

          expect(await store().get(pkg)).toEqual(view);
        },
        timeout,
      );

      it(
        'should update when expectedSequence is the stored sequence',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const first = await stored(pkg);
          const next = packageView(pkg, [releasePublished(), releasePublished({ release: '2.0.0' })]);

          expect(await store().put(next, first.sequence)).toBe(true);

          expect(await store().get(pkg)).toEqual(next);
          expect((await store().list({ namespace: first.namespace, limit: 10 }))[0]).toEqual(summarizePackage(next));
        },
        timeout,
      );

      it(
        'should return false and change nothing when expectedSequence is stale',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const current = packageView(pkg, [releasePublished(), releasePublished({ release: '2.0.0' })]);
          expect(await store().put(packageView(pkg, [releasePublished()]), 0)).toBe(true);
          expect(await store().put(current, 1)).toBe(true);
          const later = packageView(pkg, [
            releasePublished(),
            releasePublished({ release: '2.0.0' }),
            releasePublished({ release: '3.0.0' }),
          ]);

          expect(await store().put(later, 0)).toBe(false);
          expect(await store().put(later, 1)).toBe(false);
          expect(await store().put(later, 3)).toBe(false);

          expect(await store().get(pkg)).toEqual(current);
          expect(await store().list({ namespace: current.namespace, limit: 10 })).toEqual([summarizePackage(current)]);
        },
        timeout,
      );

      it(
        'should return false for an expectedSequence above 0 when no view is stored',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;

          expect(await store().put(packageView(pkg, [releasePublished()]), 1)).toBe(false);

          expect(await store().get(pkg)).toBeNull();
        },
        timeout,
      );

      it(
        'should let exactly one of concurrent puts with the same expectedSequence win',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const views = Array.from({ length: 6 }, (_, i) =>
            packageView(pkg, [releasePublished({ release: `1.${i}.0` })]),
          );

          const results = await Promise.all(views.map((view) => store().put(view, 0)));

          expect(results.filter(Boolean)).toHaveLength(1);
          expect(await store().get(pkg)).toEqual(views[results.indexOf(true)]);
        },
        timeout,
      );

      it(
        'should keep a view with no release left, guarding its sequence, but no longer list or count it',
        async () => {
          const ns = uniqueName('ns');
          const pkg = `${ns}/app`;
          await stored(`${ns}/other`);
          const first = await stored(pkg);
          const before = await store().count();
          const emptied = packageView(pkg, [releasePublished(), releaseDeleted()]);

          expect(await store().put(emptied, first.sequence)).toBe(true);

          expect(await store().get(pkg)).toEqual(emptied);
          expect(await store().put(emptied, first.sequence)).toBe(false);
          expect(await listed({ namespace: ns })).toEqual([`${ns}/other`]);
          expect(await listed({ namespace: ns, nameContains: '/app' })).toEqual([]);
          expect(await store().count()).toBe(before - 1);
        },
        timeout,
      );
    });

    describe('head and rows', () => {
      it(
        'should answer null for the head and a release of a package no view was stored for',
        async () => {
          const pkg = `${uniqueName('ns')}/absent`;

          expect(await store().getHead(pkg)).toBeNull();
          expect(await store().getRelease(pkg, '1.0.0', 'helm')).toBeNull();
        },
        timeout,
      );

      it(
        'should give the head of the stored view, and each release with that head',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const view = await stored(pkg, [{}, { release: '1.0.0', mediaType: 'kpm' }, { release: '2.0.0-rc.1' }]);

          expect(await store().getHead(pkg)).toEqual(packageHead(view));
          expect(await store().getRelease(pkg, '1.0.0', 'kpm')).toEqual({
            head: packageHead(view),
            manifest: view.manifests[1],
          });
          expect(await store().getRelease(pkg, '2.0.0-rc.1', 'helm')).toEqual({
            head: packageHead(view),
            manifest: view.manifests[2],
          });
          expect(await store().getRelease(pkg, '2.0.0-rc.1', 'kpm')).toEqual({
            head: packageHead(view),
            manifest: null,
          });
          expect(await store().getRelease(pkg, '3.0.0', 'helm')).toEqual({ head: packageHead(view), manifest: null });
        },
        timeout,
      );

      it(
        "should read a helm release by its manifest's digest, never by a digest it had before a forced republish or a delete",
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const first = await stored(pkg, [{}, { release: '2.0.0' }, { release: '2.0.0', mediaType: 'kpm' }]);
          const digestOf = (view: PackageView, release: string) =>
            helmManifestDigestOf(findManifest(view, release, HELM_MEDIA_TYPE)!)!;
          const byDigest = (digest: string, mediaType = HELM_MEDIA_TYPE) =>
            store().getRelease(pkg, { helmManifestDigest: digest }, mediaType);
          const before = digestOf(first, '2.0.0');

          expect(await byDigest(before)).toEqual({ head: packageHead(first), manifest: first.manifests[1] });
          expect(await byDigest(digestOf(first, '1.0.0'))).toEqual({
            head: packageHead(first),
            manifest: first.manifests[0],
          });
          expect(await byDigest('f'.repeat(64))).toEqual({ head: packageHead(first), manifest: null });
          expect(await byDigest(before, 'kpm')).toEqual({ head: packageHead(first), manifest: null });
          expect(await store().getRelease(pkg, null, HELM_MEDIA_TYPE)).toEqual({
            head: packageHead(first),
            manifest: null,
          });
          expect(await store().getRelease(`${pkg}-absent`, { helmManifestDigest: before }, 'helm')).toBeNull();

          // A forced republish with another chart: its new digest finds it, the old one nothing (put).
          const forced = packageViewAfter(first, [releasePublished({ release: '2.0.0', description: 'again' })]);
          const after = digestOf(forced.view, '2.0.0');
          expect(after).not.toBe(before);
          expect(await store().put(forced.view, first.sequence, forced.changes)).toBe(true);
          expect(await byDigest(after)).toEqual({
            head: packageHead(forced.view),
            manifest: findManifest(forced.view, '2.0.0', HELM_MEDIA_TYPE),
          });
          expect((await byDigest(before))?.manifest).toBeNull();

          // A delete (putHead): its digest finds nothing, the package's other digests still do.
          const gone = packageViewAfter(forced.view, [releaseDeleted('2.0.0')]);
          expect(await store().putHead(packageHead(gone.view), forced.view.sequence, gone.changes)).toBe(true);
          expect(await byDigest(after)).toEqual({ head: packageHead(gone.view), manifest: null });
          expect((await byDigest(digestOf(first, '1.0.0')))?.manifest).toEqual(first.manifests[0]);

          // Published again with the first chart: the first digest finds it again.
          const back = packageViewAfter(gone.view, [releasePublished({ release: '2.0.0' })]);
          expect(await store().putHead(packageHead(back.view), gone.view.sequence, back.changes)).toBe(true);
          expect((await byDigest(before))?.manifest).toEqual(findManifest(back.view, '2.0.0', HELM_MEDIA_TYPE));
        },
        timeout,
      );

      it(
        'should store what changes name (publications, forced replacements, deletes) and give back the folded view, manifests in order',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          let view = await stored(pkg, [{}, { release: '2.0.0' }, { release: '3.0.0' }]);
          const steps = [
            [releasePublished({ release: '4.0.0' }), releasePublished({ release: '4.0.0', mediaType: 'kpm' })],
            [releasePublished({ release: '2.0.0', metadata: { forced: true } })],
            [releaseDeleted('1.0.0'), releasePublished({ release: '5.0.0' }), releaseDeleted('5.0.0')],
            [releasePublished({ release: '1.0.0', metadata: { back: true } })],
          ];
          for (const events of steps) {
            const next = packageViewAfter(view, events);

            expect(await store().put(next.view, view.sequence, next.changes)).toBe(true);

            expect(await store().get(pkg)).toEqual(next.view);
            expect(await store().getHead(pkg)).toEqual(packageHead(next.view));
            for (const manifest of next.view.manifests)
              expect(await store().getRelease(pkg, manifest.release, manifest.mediaType)).toEqual({
                head: packageHead(next.view),
                manifest,
              });
            view = next.view;
          }
          expect(view.manifests.map((m) => `${m.release} ${m.mediaType}`)).toEqual([
            '3.0.0 helm',
            '4.0.0 helm',
            '4.0.0 kpm',
            '2.0.0 helm',
            '1.0.0 helm',
          ]);
          expect((await store().getRelease(pkg, '5.0.0', 'helm'))?.manifest).toBeNull();
          expect(await store().list({ namespace: view.namespace, limit: 10 })).toEqual([summarizePackage(view)]);
        },
        timeout,
      );

      it(
        'should show no row of a put refused for a stale expectedSequence',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const first = await stored(pkg, [{}]);
          const second = packageViewAfter(first, [releasePublished({ release: '2.0.0' })]);
          expect(await store().put(second.view, first.sequence, second.changes)).toBe(true);
          const stale = packageViewAfter(first, [
            releasePublished({ release: '9.0.0' }),
            releasePublished({ release: '1.0.0', metadata: 'stale' }),
          ]);

          expect(await store().put(stale.view, first.sequence, stale.changes)).toBe(false);

          expect(await store().get(pkg)).toEqual(second.view);
          expect((await store().getRelease(pkg, '9.0.0', 'helm'))?.manifest).toBeNull();
          expect((await store().getRelease(pkg, '1.0.0', 'helm'))?.manifest).toEqual(first.manifests[0]);
        },
        timeout,
      );

      it(
        'should rewrite every row from the view when a put carries no changes',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const first = await stored(pkg, [{}, { release: '2.0.0' }]);
          const next = packageViewAfter(first, [releaseDeleted('1.0.0'), releasePublished({ release: '3.0.0' })]);

          expect(await store().put(next.view, first.sequence)).toBe(true);

          expect(await store().get(pkg)).toEqual(next.view);
          expect((await store().getRelease(pkg, '1.0.0', 'helm'))?.manifest).toBeNull();
        },
        timeout,
      );
    });

    describe('putHead', () => {
      it(
        'should store from a head and its changes exactly what put stores from the view, with or without a whole view read in between',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const first = packageViewAfter(packageView(pkg, []), [
            releasePublished({}),
            releasePublished({ release: '2.0.0' }),
          ]);
          expect(await store().putHead(packageHead(first.view), 0, first.changes)).toBe(true);
          expect(await store().get(pkg)).toEqual(first.view);
          let view = first.view;
          const steps = [
            [releasePublished({ release: '4.0.0' }), releasePublished({ release: '4.0.0', mediaType: 'kpm' })],
            [releasePublished({ release: '2.0.0', metadata: { forced: true } })],
            [releaseDeleted('1.0.0'), releasePublished({ release: '5.0.0' }), releaseDeleted('5.0.0')],
            [releasePublished({ release: '1.0.0', metadata: { back: true } })],
          ];
          for (const [i, events] of steps.entries()) {
            const next = packageViewAfter(view, events);
            // Half the steps read the whole view first (a store may keep it, and must keep it right).
            if (i % 2 === 1) expect(await store().get(pkg)).toEqual(view);

            expect(await store().putHead(packageHead(next.view), view.sequence, next.changes)).toBe(true);

            expect(await store().getHead(pkg)).toEqual(packageHead(next.view));
            expect(await store().get(pkg)).toEqual(next.view);
            for (const manifest of next.view.manifests)
              expect(await store().getRelease(pkg, manifest.release, manifest.mediaType)).toEqual({
                head: packageHead(next.view),
                manifest,
              });
            view = next.view;
          }
          expect((await store().getRelease(pkg, '5.0.0', 'helm'))?.manifest).toBeNull();
          expect(await store().list({ namespace: view.namespace, limit: 10 })).toEqual([summarizePackage(view)]);
        },
        timeout,
      );

      it(
        'should refuse a head for a stale expectedSequence and show none of its rows',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const first = await stored(pkg, [{}]);
          const second = packageViewAfter(first, [releasePublished({ release: '2.0.0' })]);
          expect(await store().putHead(packageHead(second.view), first.sequence, second.changes)).toBe(true);
          const stale = packageViewAfter(first, [
            releasePublished({ release: '9.0.0' }),
            releasePublished({ release: '1.0.0', metadata: 'stale' }),
          ]);

          expect(await store().putHead(packageHead(stale.view), first.sequence, stale.changes)).toBe(false);

          expect(await store().get(pkg)).toEqual(second.view);
          expect(await store().getHead(pkg)).toEqual(packageHead(second.view));
          expect((await store().getRelease(pkg, '9.0.0', 'helm'))?.manifest).toBeNull();
          expect((await store().getRelease(pkg, '1.0.0', 'helm'))?.manifest).toEqual(first.manifests[0]);
        },
        timeout,
      );
    });

    describe('list', () => {
      it(
        'should return the summaries of packages with a release, ordered by package name',
        async () => {
          const [a, b] = [uniqueName('a'), uniqueName('b')];
          const names = [
            `${b}/alpha`,
            `${a}/zeta`,
            `${a}/gamma2`,
            `${a}/gamma10`,
            `${a}/gamma_1`,
            `${a}/gamma.1`,
            `${a}/gamma-1`,
          ];
          const views = [];
          for (const pkg of names)
            views.push(
              await stored(pkg, [{ release: '1.0.0' }, { release: '1.10.0' }, { release: '1.2.0', mediaType: 'kpm' }]),
            );

          const all = await store().list({ limit: 100 });
          const ours = all.filter((s) => s.namespace === a || s.namespace === b);

          expect(ours.map((s) => s.package)).toEqual([...names].sort());
          expect(ours).toEqual([...views].sort((x, y) => (x.package < y.package ? -1 : 1)).map(summarizePackage));
        },
        timeout,
      );

      it(
        'should filter on the exact namespace',
        async () => {
          const ns = uniqueName('ns');
          for (const pkg of [`${ns}/one`, `${ns}/two`, `${ns}x/three`, `x${ns}/four`]) await stored(pkg);

          expect(await listed({ namespace: ns })).toEqual([`${ns}/one`, `${ns}/two`]);
          expect(await listed({ namespace: `${ns}/one` })).toEqual([]);
        },
        timeout,
      );

      it(
        'should filter on packages with a manifest of the media type',
        async () => {
          const ns = uniqueName('ns');
          await stored(`${ns}/helm-only`, [{ mediaType: 'helm' }]);
          await stored(`${ns}/kpm-only`, [{ mediaType: 'kpm' }]);
          await stored(`${ns}/both`, [{ mediaType: 'kpm' }, { release: '2.0.0', mediaType: 'helm' }]);
          await stored(`${ns}/compose`, [{ mediaType: 'kpm-compose' }]);

          expect(await listed({ namespace: ns, mediaType: 'helm' })).toEqual([`${ns}/both`, `${ns}/helm-only`]);
          expect(await listed({ namespace: ns, mediaType: 'kpm' })).toEqual([`${ns}/both`, `${ns}/kpm-only`]);
          expect(await listed({ namespace: ns, mediaType: 'compose' })).toEqual([]);
          expect(await listed({ namespace: ns, mediaType: 'kpm-' })).toEqual([]);
        },
        timeout,
      );

      it(
        'should match nameContains as a literal, case-sensitive substring of "namespace/name"',
        async () => {
          const ns = uniqueName('ns');
          for (const name of ['a.b', 'axb', 'x_y', 'xay', 'plain']) await stored(`${ns}/${name}`);

          expect(await listed({ namespace: ns, nameContains: 'a.b' })).toEqual([`${ns}/a.b`]);
          expect(await listed({ namespace: ns, nameContains: 'x_y' })).toEqual([`${ns}/x_y`]);
          expect(await listed({ nameContains: `${ns}/pl` })).toEqual([`${ns}/plain`]);
          expect(await listed({ namespace: ns, nameContains: 'lai' })).toEqual([`${ns}/plain`]);
          expect(await listed({ namespace: ns, nameContains: 'PLAIN' })).toEqual([]);
          for (const pattern of [
            '%',
            '_%',
            '.*',
            '^',
            '$',
            '(',
            '[a-z]',
            '\\',
            '*',
            '?',
            '+',
            '|',
            "'",
            '"',
            `^${ns}`,
            `${ns}.plain`,
            `${ns}%`,
          ]) {
            expect(await listed({ namespace: ns, nameContains: pattern })).toEqual([]);
          }
        },
        timeout,
      );

      it(
        'should list only public packages and those of visibleNamespaces',
        async () => {
          const [mine, theirs] = [uniqueName('m'), uniqueName('t')];
          await stored(`${mine}/private`, [{ visibility: 'private' }]);
          await stored(`${mine}/public`, [{ visibility: 'public' }]);
          await stored(`${theirs}/private`, [{ visibility: 'private' }]);
          await stored(`${theirs}/public`, [{ visibility: 'public' }]);
          const ours = async (filter: Partial<PackageListFilter>) =>
            (await listed(filter)).filter((p) => p.startsWith(mine) || p.startsWith(theirs));

          expect(await ours({ visibleNamespaces: [mine] })).toEqual([
            `${mine}/private`,
            `${mine}/public`,
            `${theirs}/public`,
          ]);
          expect(await ours({ visibleNamespaces: [] })).toEqual([`${mine}/public`, `${theirs}/public`]);
          const everything = [`${mine}/private`, `${mine}/public`, `${theirs}/private`, `${theirs}/public`];
          expect(await ours({ visibleNamespaces: [mine, theirs] })).toEqual(everything);
          expect(await ours({ visibleNamespaces: 'all' })).toEqual(everything);
          expect(await ours({})).toEqual(everything);
          expect(await listed({ namespace: theirs, visibleNamespaces: [mine] })).toEqual([`${theirs}/public`]);
        },
        timeout,
      );

      it(
        'should page with limit and offset',
        async () => {
          const ns = uniqueName('ns');
          const names = ['e', 'a', 'd', 'b', 'c'].map((n) => `${ns}/${n}`);
          for (const pkg of names) await stored(pkg);
          const page = (limit: number, offset?: number) => listed({ namespace: ns, limit, offset });

          expect(await page(2)).toEqual([`${ns}/a`, `${ns}/b`]);
          expect(await page(2, 2)).toEqual([`${ns}/c`, `${ns}/d`]);
          expect(await page(2, 4)).toEqual([`${ns}/e`]);
          expect(await page(2, 5)).toEqual([]);
          expect(await page(10, 1)).toEqual([`${ns}/b`, `${ns}/c`, `${ns}/d`, `${ns}/e`]);
        },
        timeout,
      );

      it(
        'should list packages of OCI artifacts alone only with includeOciOnly, and page by name with after',
        async () => {
          const ns = uniqueName('ns');
          await stored(`${ns}/a`);
          const images = packageView(`${ns}/b`, [
            {
              type: 'OciManifestPushed',
              data: {
                digest: 'a'.repeat(64),
                mediaType: 'application/vnd.oci.image.manifest.v1+json',
                size: 10,
                blobs: [],
                manifests: [],
                visibility: 'public',
              },
            },
          ]);
          expect(await store().put(images, 0)).toBe(true);
          await stored(`${ns}/c`);

          expect(await listed({ namespace: ns })).toEqual([`${ns}/a`, `${ns}/c`]);
          expect(await listed({ namespace: ns, includeOciOnly: true })).toEqual([`${ns}/a`, `${ns}/b`, `${ns}/c`]);
          expect(await listed({ namespace: ns, includeOciOnly: true, after: `${ns}/a`, limit: 1 })).toEqual([
            `${ns}/b`,
          ]);
        },
        timeout,
      );

      it(
        'should combine filters',
        async () => {
          const ns = uniqueName('ns');
          await stored(`${ns}/web-private`, [{ visibility: 'private', mediaType: 'helm' }]);
          await stored(`${ns}/web-public`, [{ mediaType: 'helm' }]);
          await stored(`${ns}/web-kpm`, [{ mediaType: 'kpm' }]);
          await stored(`${ns}/db`, [{ mediaType: 'helm' }]);

          expect(
            await listed({ namespace: ns, mediaType: 'helm', nameContains: 'web', visibleNamespaces: [] }),
          ).toEqual([`${ns}/web-public`]);
        },
        timeout,
      );
    });

    describe('count', () => {
      it(
        'should count stored packages that have a release',
        async () => {
          const ns = uniqueName('ns');
          const before = await store().count();
          await stored(`${ns}/one`);
          await stored(`${ns}/two`, [{ visibility: 'private' }]);
          const gone = await stored(`${ns}/gone`);
          await store().put(packageView(gone.package, [releasePublished(), releaseDeleted()]), gone.sequence);
          await store().put(packageView(`${ns}/never`, [releasePublished()]), 5);

          expect(await store().count()).toBe(before + 2);
        },
        timeout,
      );
    });

    describe('rebuild', () => {
      it(
        'should start empty and unseen, then switch the live store over to exactly its content',
        async () => {
          const ns = uniqueName('ns');
          const kept = await stored(`${ns}/kept`);
          const dropped = await stored(`${ns}/dropped`);
          const rebuild = await store().rebuild();
          ctx.defer(() => rebuild.abort());
          expect(await rebuild.store.get(kept.package)).toBeNull();
          expect(await rebuild.store.count()).toBe(0);

          const rebuilt = packageView(kept.package, [releasePublished(), releasePublished({ release: '2.0.0' })]);
          const added = packageView(`${ns}/added`, [releasePublished({ mediaType: 'kpm' })]);
          expect(await rebuild.store.put(rebuilt, 0)).toBe(true);
          expect(await rebuild.store.put(added, 0)).toBe(true);
          expect(await store().get(kept.package)).toEqual(kept);
          expect(await store().get(added.package)).toBeNull();

          expect(await rebuild.switchOver()).toBeGreaterThanOrEqual(0);

          expect(await store().get(kept.package)).toEqual(rebuilt);
          expect(await store().get(added.package)).toEqual(added);
          expect(await store().get(dropped.package)).toBeNull();
          expect(await store().getHead(dropped.package)).toBeNull();
          expect(await store().getRelease(kept.package, '2.0.0', 'helm')).toEqual({
            head: packageHead(rebuilt),
            manifest: rebuilt.manifests[1],
          });
          // The rebuilt generation's digests, and none of the dropped package's.
          const digest = helmManifestDigestOf(rebuilt.manifests[1]!)!;
          expect(await store().getRelease(kept.package, { helmManifestDigest: digest }, 'helm')).toEqual({
            head: packageHead(rebuilt),
            manifest: rebuilt.manifests[1],
          });
          const droppedDigest = helmManifestDigestOf(dropped.manifests[0]!)!;
          expect(await store().getRelease(dropped.package, { helmManifestDigest: droppedDigest }, 'helm')).toBeNull();
          expect(await store().list({ namespace: ns, limit: 10 })).toEqual([
            summarizePackage(added),
            summarizePackage(rebuilt),
          ]);
          expect(await store().count()).toBe(2);
          // The compare-and-set continues from the rebuilt sequence.
          const next = packageView(kept.package, [
            releasePublished(),
            releasePublished({ release: '2.0.0' }),
            releasePublished({ release: '3.0.0' }),
          ]);
          expect(await store().put(next, kept.sequence)).toBe(false);
          expect(await store().put(next, rebuilt.sequence)).toBe(true);
          expect(await store().get(kept.package)).toEqual(next);
          await expect(rebuild.switchOver()).rejects.toThrow();
        },
        timeout,
      );

      it(
        'should leave the live store as it was when aborted, and start the next rebuild empty',
        async () => {
          const ns = uniqueName('ns');
          const live = await stored(`${ns}/live`);
          const first = await store().rebuild();
          expect(await first.store.put(packageView(`${ns}/abandoned`, [releasePublished()]), 0)).toBe(true);
          await first.abort();
          await first.abort();
          await expect(first.switchOver()).rejects.toThrow();

          expect(await store().get(`${ns}/abandoned`)).toBeNull();
          expect(await store().get(live.package)).toEqual(live);
          expect(await store().list({ namespace: ns, limit: 10 })).toEqual([summarizePackage(live)]);

          const second = await store().rebuild();
          ctx.defer(() => second.abort());
          expect(await second.store.get(`${ns}/abandoned`)).toBeNull();
          expect(await second.store.count()).toBe(0);
          expect(await second.store.put(packageView(`${ns}/leftover`, [releasePublished()]), 0)).toBe(true);
          // A rebuild started while another was left unfinished starts from nothing as well.
          const third = await store().rebuild();
          ctx.defer(() => third.abort());
          expect(await third.store.get(`${ns}/leftover`)).toBeNull();
          await third.switchOver();
          expect(await store().count()).toBe(0);
          expect(await store().get(live.package)).toBeNull();
        },
        timeout,
      );
    });
  });
}

/**
 * The BlobReferenceStore contract (libs/ports/src/blob-references.port.ts), run unchanged
 * against every adapter:
 *
 *   describeBlobReferenceStoreContract('blob-references-mongo', async () => ({ subject, cleanup }));
 */
import { ReleasePublished } from '@wharf/domain';
import type { BlobReferenceStore } from '@wharf/ports';
import { ContractFixture, ContractOptions, uniqueName, useContractFixture } from './contract-fixture';
import { eventEnvelopes, releaseDeleted, releasePublished, sha256Hex } from './contract-data.factory';

export type BlobReferenceStoreFixture = ContractFixture<BlobReferenceStore>;

const blobOf = (release: string, mediaType = 'helm') => sha256Hex(`blob ${release} ${mediaType}`);

export function describeBlobReferenceStoreContract(
  name: string,
  factory: () => Promise<BlobReferenceStoreFixture>,
  options: ContractOptions = {},
): void {
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`BlobReferenceStore contract: ${name}`, () => {
    const ctx = useContractFixture(factory, timeout);
    const store = () => ctx.fixture.subject;

    it(
      'should count 0 for a digest never referenced',
      async () => {
        const digest = sha256Hex(uniqueName('never'));
        expect((await store().counts([digest])).get(digest)).toBe(0);
      },
      timeout,
    );

    it(
      'should count a publish, uncount a delete, and keep a blob two packages share',
      async () => {
        const [a, b] = [`${uniqueName('ns')}/a`, `${uniqueName('ns')}/b`];
        await store().apply([
          ...eventEnvelopes(a, 0, [releasePublished({ release: '1.0.0' })]),
          ...eventEnvelopes(b, 0, [releasePublished({ release: '1.0.0' })]),
        ]);
        expect((await store().counts([blobOf('1.0.0')])).get(blobOf('1.0.0'))).toBe(2);

        await store().apply(eventEnvelopes(a, 1, [releaseDeleted('1.0.0')]));
        expect((await store().counts([blobOf('1.0.0')])).get(blobOf('1.0.0'))).toBe(1);

        await store().apply(eventEnvelopes(b, 1, [releaseDeleted('1.0.0')]));
        expect((await store().counts([blobOf('1.0.0')])).get(blobOf('1.0.0'))).toBe(0);
      },
      timeout,
    );

    it(
      'should move the reference from the replaced blob to the new one on a forced push',
      async () => {
        const pkg = `${uniqueName('ns')}/app`;
        const first = releasePublished({ release: '2.0.0' });
        const replacement: ReleasePublished = {
          type: 'ReleasePublished',
          data: {
            ...first.data,
            blobDigest: sha256Hex('replacement bytes'),
            replaced: { apprDigest: first.data.apprDigest, blobDigest: first.data.blobDigest },
          },
        };
        await store().apply(eventEnvelopes(pkg, 0, [first, replacement]));
        const counts = await store().counts([first.data.blobDigest, replacement.data.blobDigest]);
        expect(counts.get(first.data.blobDigest)).toBe(0);
        expect(counts.get(replacement.data.blobDigest)).toBe(1);
      },
      timeout,
    );

    it(
      'should change nothing when events are delivered again, alone or inside a later batch',
      async () => {
        const pkg = `${uniqueName('ns')}/app`;
        const events = eventEnvelopes(pkg, 0, [
          releasePublished({ release: '3.0.0' }),
          releasePublished({ release: '3.1.0' }),
        ]);
        await store().apply(events);
        await store().apply(events);
        await store().apply([events[1], ...eventEnvelopes(pkg, 2, [releaseDeleted('3.0.0')])]);
        const counts = await store().counts([blobOf('3.0.0'), blobOf('3.1.0')]);
        expect(counts.get(blobOf('3.0.0'))).toBe(0);
        expect(counts.get(blobOf('3.1.0'))).toBe(1);
      },
      timeout,
    );

    it(
      'should apply a package’s events in sequence order whatever order they arrive in within a batch',
      async () => {
        const pkg = `${uniqueName('ns')}/app`;
        const [published, deleted] = eventEnvelopes(pkg, 0, [
          releasePublished({ release: '4.0.0' }),
          releaseDeleted('4.0.0'),
        ]);
        await store().apply([deleted, published]);
        expect((await store().counts([blobOf('4.0.0')])).get(blobOf('4.0.0'))).toBe(0);
        await store().apply([published]);
        expect((await store().counts([blobOf('4.0.0')])).get(blobOf('4.0.0'))).toBe(0);
      },
      timeout,
    );

    describe('rebuild', () => {
      it(
        'should count from nothing, unseen, then switch the live counts over to exactly its own',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const events = eventEnvelopes(pkg, 0, [
            releasePublished({ release: '5.0.0' }),
            releasePublished({ release: '5.1.0' }),
          ]);
          await store().apply(events);
          const rebuild = await store().rebuild();
          ctx.defer(() => rebuild.abort());
          expect((await rebuild.store.counts([blobOf('5.0.0')])).get(blobOf('5.0.0'))).toBe(0);

          await rebuild.store.apply([events[0]]);
          expect((await store().counts([blobOf('5.1.0')])).get(blobOf('5.1.0'))).toBe(1);
          expect(await rebuild.switchOver()).toBeGreaterThanOrEqual(0);

          const counts = await store().counts([blobOf('5.0.0'), blobOf('5.1.0')]);
          expect([counts.get(blobOf('5.0.0')), counts.get(blobOf('5.1.0'))]).toEqual([1, 0]);
          // Sequences applied come with the counts: the tail applies once, a redelivery not at all.
          await store().apply(events);
          await store().apply(events);
          expect((await store().counts([blobOf('5.1.0')])).get(blobOf('5.1.0'))).toBe(1);
          await expect(rebuild.switchOver()).rejects.toThrow();
        },
        timeout,
      );

      it(
        'should leave the live counts as they were when aborted, and start the next rebuild empty',
        async () => {
          const pkg = `${uniqueName('ns')}/app`;
          const events = eventEnvelopes(pkg, 0, [releasePublished({ release: '6.0.0' })]);
          await store().apply(events);
          const first = await store().rebuild();
          await first.store.apply(
            eventEnvelopes(`${uniqueName('ns')}/other`, 0, [releasePublished({ release: '6.0.0' })]),
          );
          await first.abort();
          await first.abort();
          await expect(first.switchOver()).rejects.toThrow();
          expect((await store().counts([blobOf('6.0.0')])).get(blobOf('6.0.0'))).toBe(1);

          const second = await store().rebuild();
          ctx.defer(() => second.abort());
          expect((await second.store.counts([blobOf('6.0.0')])).get(blobOf('6.0.0'))).toBe(0);
          await second.store.apply(events);
          const third = await store().rebuild();
          ctx.defer(() => third.abort());
          expect((await third.store.counts([blobOf('6.0.0')])).get(blobOf('6.0.0'))).toBe(0);
        },
        timeout,
      );
    });
  });
}

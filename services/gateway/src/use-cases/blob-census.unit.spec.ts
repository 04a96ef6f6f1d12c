import type { BlobInfo, BlobStore } from '@wharf/ports';
import { BLOB_CENSUS_MAX_AGE_MS, BlobCensus } from './blob-census';

/** A blob store whose listing counts its walks and can be held open until released. */
function listingStore() {
  const digests = new Set<string>(['a', 'b']);
  let walks = 0;
  let gate: Promise<void> = Promise.resolve();
  let release = (): void => undefined;
  const store = {
    async *list(): AsyncIterable<BlobInfo> {
      walks++;
      const seen = [...digests];
      await gate;
      for (const digest of seen) yield { digest, size: 1 } as BlobInfo;
    },
  } as unknown as BlobStore;
  return {
    store,
    digests,
    walks: () => walks,
    hold: () => {
      gate = new Promise((resolve) => (release = resolve));
    },
    release: () => release(),
  };
}

describe('BlobCensus', () => {
  afterEach(() => jest.useRealTimers());

  it('should walk the store once and answer the kept count until it is older than the maximum age', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const blobs = listingStore();
    const census = new BlobCensus(blobs.store);
    expect(await census.cached()).toBe(2);
    blobs.digests.add('c');
    expect(await census.cached()).toBe(2);
    expect(blobs.walks()).toBe(1);

    jest.setSystemTime(1_000_000 + BLOB_CENSUS_MAX_AGE_MS);
    expect(await census.cached()).toBe(2); // the stale figure at once, a refresh under way
    expect(blobs.walks()).toBe(2);
    await Promise.resolve();
    await new Promise(jest.requireActual('timers').setImmediate);
    expect(await census.cached()).toBe(3);
    expect(blobs.walks()).toBe(2);
  });

  it('should give fresh() a walk that starts after the call, shared by every caller during one walk', async () => {
    const blobs = listingStore();
    const census = new BlobCensus(blobs.store);
    blobs.hold();
    const first = census.fresh();
    blobs.digests.add('c'); // stored after the first walk listed the store
    const [second, third] = [census.fresh(), census.fresh()];
    blobs.release();
    expect(await first).toBe(2);
    blobs.release();
    expect([await second, await third]).toEqual([3, 3]);
    expect(blobs.walks()).toBe(2);
  });
});

import { TEST_PACKAGE, deleted, foldEvents, published } from '@wharf/testing';
import { storedBytesOf, summarizePackage } from './package.summary';

describe('summarizePackage', () => {
  it('lists every release newest first, each with its media types sorted, and the bytes of all archives', () => {
    const view = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0', mediaType: 'kpm', size: 10 }),
      published({ release: '2.0.0-rc.1', mediaType: 'helm', size: 20 }),
      published({ release: '1.0.0', mediaType: 'helm', size: 30 }),
      published({ release: '10.0.0', mediaType: 'helm', size: 40 }),
      published({ release: '1.0.0', mediaType: 'compose', size: 50 }),
      published({ release: '3.0.0', mediaType: 'helm', size: 60 }),
      deleted({ release: '3.0.0', mediaType: 'helm' }),
    ]);

    const summary = summarizePackage(view);

    expect(summary.releases).toEqual([
      { release: '10.0.0', mediaTypes: ['helm'] },
      { release: '2.0.0-rc.1', mediaTypes: ['helm'] },
      { release: '1.0.0', mediaTypes: ['compose', 'helm', 'kpm'] },
    ]);
    expect(summary.storedBytes).toBe(150);
    expect(summary).toMatchObject({
      package: TEST_PACKAGE,
      namespace: view.namespace,
      name: view.name,
      visibility: 'public',
    });
  });

  it("counts each manifest's metadata as compact JSON UTF-8 bytes in storedBytes (none for null)", () => {
    const view = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0', size: 10, metadata: { a: [1, 'ü'] } }), // {"a":[1,"ü"]} is 14 bytes
      published({ release: '2.0.0', size: 20, metadata: { e: '😀' } }), // {"e":"😀"} is 12 bytes
      published({ release: '3.0.0', size: 30, metadata: null }),
    ]);

    expect(summarizePackage(view).storedBytes).toBe(10 + 14 + 20 + 12 + 30);
    expect(storedBytesOf(view)).toBe(86);
  });

  it('summarises a package of 20,000 releases in linear time, not by scanning every manifest per release', () => {
    const view = foldEvents(TEST_PACKAGE, [published({ release: '1.0.0' })]);
    const manifests = Array.from({ length: 20_000 }, (_, i) => ({
      ...view.manifests[0],
      release: `1.${Math.floor(i / 100)}.${i % 100}`,
    }));
    let reads = 0;
    // Counts the reads of the manifest list: a scan per release would read it 20,000 times.
    const counted = {
      ...view,
      get manifests() {
        reads++;
        return manifests;
      },
    };

    const summary = summarizePackage(counted);

    expect(summary.releases).toHaveLength(20_000);
    expect(summary.releases[0]).toEqual({ release: '1.199.99', mediaTypes: ['helm'] });
    expect(reads).toBeLessThanOrEqual(3);
  });
});

import {
  TEST_PACKAGE,
  addedToChannel,
  deciderSpec,
  deleted,
  importReleases,
  importedRelease,
  published,
  testDigest,
} from '@wharf/testing';
import { InvalidUsageError } from '../errors';
import { evolve } from './package.decider';
import { planImport } from './package.import';

const spec = () => deciderSpec(TEST_PACKAGE);

describe('decide: ImportReleases', () => {
  it('publishes every release of a new package, in the order given, with the visibility asked for', () => {
    spec()
      .given()
      .when(importReleases(['1.0.0', '2.0.0', '1.5.0'], { visibility: 'private' }))
      .then(
        published({ release: '1.0.0', visibility: 'private' }),
        published({ release: '2.0.0', visibility: 'private' }),
        published({ release: '1.5.0', visibility: 'private' }),
      );
  });

  it("keeps a source's creation time in the event, as the manifest's createdAt, in the one form of every time", () => {
    const old = importedRelease({ release: '1.0.0', createdAt: '2019-03-04T05:06:07+01:00' });
    spec()
      .given()
      .when(importReleases([old, '2.0.0']))
      .then(published({ release: '1.0.0', createdAt: '2019-03-04T04:06:07.000Z' }), published({ release: '2.0.0' }));
    const view = [
      {
        ...published({ release: '1.0.0', createdAt: '2019-03-04T04:06:07.000Z' }),
        occurredAt: '2026-02-01T12:00:00.000Z',
      },
      { ...published({ release: '2.0.0' }), occurredAt: '2026-02-01T12:00:00.000Z' },
    ].reduce(
      (v, e, i) => evolve(v, { ...e, package: TEST_PACKAGE, sequence: i + 1, causationId: 'c' } as never),
      spec().given().state,
    );
    expect(view.manifests.map((m) => [m.release, m.createdAt])).toEqual([
      ['1.0.0', '2019-03-04T04:06:07.000Z'],
      ['2.0.0', '2026-02-01T12:00:00.000Z'],
    ]);
  });

  it.each([
    ['not a time', 'yesterday'],
    ['a date without a time', '2019-03-04'],
    ['a time after the import', '2026-02-01T12:00:01Z'],
  ])("refuses a source's creation time that is %s", (_, createdAt) => {
    spec()
      .given()
      .when(importReleases([importedRelease({ createdAt })]))
      .thenThrows(InvalidUsageError, { field: 'createdAt' });
  });

  it('skips the releases the package holds with the same digests and publishes the others', () => {
    spec()
      .given(published({ release: '1.0.0' }), published({ release: '1.1.0' }))
      .when(importReleases(['1.0.0', '1.1.0', '1.2.0']))
      .then(published({ release: '1.2.0' }));
  });

  it('publishes nothing when the package holds every release already (an import run again)', () => {
    spec()
      .given(published({ release: '1.0.0' }), published({ release: '1.1.0' }))
      .when(importReleases(['1.1.0', '1.0.0']))
      .then();
  });

  it('never overwrites a release the package holds with other bytes', () => {
    const other = importedRelease({
      release: '1.0.0',
      content: { apprDigest: testDigest('other'), blobDigest: testDigest('other-blob') },
    });
    spec()
      .given(published({ release: '1.0.0' }))
      .when(importReleases([other, '2.0.0']))
      .then(published({ release: '2.0.0' }));
  });

  it('counts a release with the same blob but another appr digest as a conflict', () => {
    const state = spec().given(published({ release: '1.0.0' })).state;
    const plan = planImport(
      importReleases([importedRelease({ release: '1.0.0', content: { apprDigest: testDigest('x') } })]),
      state,
    );
    expect(plan.publish).toEqual([]);
    expect(plan.conflicts).toHaveLength(1);
  });

  it('publishes a release repeated within the command once', () => {
    spec()
      .given()
      .when(importReleases(['1.0.0', '1.0.0']))
      .then(published({ release: '1.0.0' }));
  });

  it('treats each media type of a release on its own', () => {
    spec()
      .given(published({ release: '1.0.0', mediaType: 'helm' }))
      .when(importReleases([importedRelease({ release: '1.0.0', mediaType: 'kpm' })]))
      .then(published({ release: '1.0.0', mediaType: 'kpm' }));
  });

  it('keeps the visibility of an existing package, whatever the import asks', () => {
    spec()
      .given(published({ release: '1.0.0', visibility: 'private' }))
      .when(importReleases(['2.0.0'], { visibility: 'public' }))
      .then(published({ release: '2.0.0', visibility: 'private' }));
  });

  it('publishes a deleted release again (a tombstone is no conflict)', () => {
    spec()
      .given(published({ release: '1.0.0' }), deleted({ release: '1.0.0' }))
      .when(importReleases(['1.0.0']))
      .then(published({ release: '1.0.0' }));
  });

  it('reports a deleted release brought back with other bytes as a conflict, and publishes nothing for it', () => {
    const other = importedRelease({ release: '1.0.0', content: { blobDigest: testDigest('other bytes') } });
    spec()
      .given(published({ release: '1.0.0' }), deleted({ release: '1.0.0' }))
      .when(importReleases([other]))
      .then();
    const state = spec().given(published({ release: '1.0.0' }), deleted({ release: '1.0.0' })).state;

    const plan = planImport(importReleases([other]), state);

    expect(plan.publish).toEqual([]);
    expect(plan.conflicts).toEqual([
      {
        release: '1.0.0',
        mediaType: 'helm',
        heldBlobDigest: state.tombstones![0]!.blobDigest,
        importedBlobDigest: testDigest('other bytes'),
      },
    ]);
  });

  it('carries the chart, the metadata and the provenance of each release', () => {
    const release = importedRelease({
      release: '1.0.0',
      metadata: { a: 1 },
      content: { provenanceDigest: testDigest('prov'), provenanceSize: 12, size: 99 },
    });
    spec()
      .given()
      .when(importReleases([release]))
      .then(
        published({
          release: '1.0.0',
          metadata: { a: 1 },
          size: 99,
          provenanceDigest: testDigest('prov'),
          provenanceSize: 12,
        }),
      );
  });
});

describe('decide: ImportReleases channels', () => {
  it('creates a channel with its releases in order and makes the one asked for current', () => {
    spec()
      .given()
      .when(
        importReleases(['1.0.0', '2.0.0'], {
          channels: [{ name: 'stable', releases: ['1.0.0', '2.0.0'], current: '1.0.0' }],
        }),
      )
      .then(
        published({ release: '1.0.0' }),
        published({ release: '2.0.0' }),
        addedToChannel({ channel: 'stable', release: '1.0.0' }),
        addedToChannel({ channel: 'stable', release: '2.0.0' }),
        addedToChannel({ channel: 'stable', release: '1.0.0' }),
      );
  });

  it('adds only the releases a channel lacks, and nothing when it has them all', () => {
    const given = [published({ release: '1.0.0' }), published({ release: '2.0.0' }), addedToChannel()];
    const channels = [{ name: 'stable', releases: ['1.0.0', '2.0.0'], current: '2.0.0' }];
    spec()
      .given(...given)
      .when(importReleases([], { channels }))
      .then(addedToChannel({ channel: 'stable', release: '2.0.0' }));
    spec()
      .given(...given, addedToChannel({ release: '2.0.0' }))
      .when(importReleases([], { channels }))
      .then();
  });

  it('leaves out channel entries whose release the package does not hold, and creates no empty channel', () => {
    spec()
      .given()
      .when(
        importReleases(['1.0.0'], {
          channels: [
            { name: 'stable', releases: ['1.0.0', '9.0.0'], current: '9.0.0' },
            { name: 'beta', releases: ['9.0.0'], current: '9.0.0' },
          ],
        }),
      )
      .then(published({ release: '1.0.0' }), addedToChannel({ channel: 'stable', release: '1.0.0' }));
  });
});

describe('planImport', () => {
  it('accounts for every release of the command: published, skipped or in conflict', () => {
    const state = spec().given(published({ release: '1.0.0' }), published({ release: '1.1.0' })).state;
    const other = importedRelease({ release: '1.1.0', content: { blobDigest: testDigest('other-blob') } });
    const plan = planImport(importReleases(['1.0.0', other, '2.0.0', '2.0.0']), state);
    expect(plan.publish.map((r) => r.release)).toEqual(['2.0.0']);
    expect(plan.skipped).toBe(2);
    expect(plan.conflicts).toEqual([
      {
        release: '1.1.0',
        mediaType: 'helm',
        heldBlobDigest: state.manifests[1]!.blobDigest,
        importedBlobDigest: testDigest('other-blob'),
      },
    ]);
  });
});

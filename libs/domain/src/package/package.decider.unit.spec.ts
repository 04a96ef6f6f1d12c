import {
  TEST_PACKAGE,
  addReleaseToChannel,
  addedToChannel,
  chartMetadata,
  channelDeleted,
  clockAt,
  deciderSpec,
  deleteChannel,
  deleteRelease,
  foldEvents,
  givenCommandId,
  published,
  pushRelease,
  recorded,
  deleted,
  removeReleaseFromChannel,
  removedFromChannel,
  testDigest,
} from '@wharf/testing';
import {
  ChannelNotFoundError,
  OverwriteForbiddenError,
  PackageExistsError,
  PackageMetadataTooLargeError,
  PackageNotFoundError,
  QuotaExceededError,
  ReleaseNotFoundError,
  RetentionSupersededError,
  VisibilityConflictError,
} from '../errors';
import type { PackageEvent, PackageVisibilityChanged } from './package.events';
import type { SetVisibility } from './package.commands';
import { assertPushFitsPackage, decide, evolve, wasApplied } from './package.decider';
import { RECENT_COMMANDS_KEPT, Visibility, emptyPackageView, findChannel, findTombstone } from './package.view';

const spec = () => deciderSpec(TEST_PACKAGE);

describe('decide: PushRelease', () => {
  it('publishes the first release of a new package', () => {
    const chart = chartMetadata({ version: '1.0.0' });
    spec()
      .given()
      .when(
        pushRelease({
          release: '1.0.0',
          metadata: { maintainers: ['a'] },
          content: { chart, size: 42 },
          visibility: 'private',
        }),
      )
      .then(published({ release: '1.0.0', metadata: { maintainers: ['a'] }, chart, size: 42, visibility: 'private' }));
  });

  it('publishes another release of an existing package', () => {
    spec()
      .given(published({ release: '1.0.0' }))
      .when(pushRelease({ release: '1.1.0' }))
      .then(published({ release: '1.1.0' }));
  });

  it('refuses the same release and media type again without force', () => {
    spec()
      .given(published({ release: '1.0.0', mediaType: 'helm' }))
      .when(pushRelease({ release: '1.0.0', mediaType: 'helm' }))
      .thenThrows(PackageExistsError, { package: TEST_PACKAGE, release: '1.0.0', media_type: 'helm' });
  });

  it('refuses a duplicate even when the content differs', () => {
    spec()
      .given(published({ release: '1.0.0' }))
      .when(
        pushRelease({
          release: '1.0.0',
          content: { apprDigest: testDigest('other'), blobDigest: testDigest('other-blob') },
        }),
      )
      .thenThrows(PackageExistsError);
  });

  it('with force replaces the manifest and names the replaced digests', () => {
    const old = published({ release: '1.0.0', apprDigest: testDigest('old'), blobDigest: testDigest('old-blob') });
    spec()
      .given(old)
      .when(
        pushRelease({
          release: '1.0.0',
          force: true,
          content: { apprDigest: testDigest('new'), blobDigest: testDigest('new-blob') },
        }),
      )
      .then(
        published({
          release: '1.0.0',
          apprDigest: testDigest('new'),
          blobDigest: testDigest('new-blob'),
          replaced: { apprDigest: testDigest('old'), blobDigest: testDigest('old-blob') },
        }),
      );
  });

  it('with force and nothing to replace publishes with replaced: null', () => {
    spec()
      .given()
      .when(pushRelease({ release: '1.0.0', force: true }))
      .then(published({ release: '1.0.0', replaced: null }));
  });

  it('accepts the same release under a different media type', () => {
    spec()
      .given(published({ release: '1.0.0', mediaType: 'helm' }))
      .when(pushRelease({ release: '1.0.0', mediaType: 'kpm' }))
      .then(published({ release: '1.0.0', mediaType: 'kpm' }));
  });

  it('accepts a release that existed once but was deleted', () => {
    spec()
      .given(published({ release: '1.0.0' }), deleted({ release: '1.0.0' }))
      .when(pushRelease({ release: '1.0.0' }))
      .then(published({ release: '1.0.0' }));
  });
});

function setVisibility(visibility: Visibility): SetVisibility {
  return { type: 'SetVisibility', package: TEST_PACKAGE, visibility, meta: pushRelease().meta };
}

function visibilityChanged(visibility: Visibility): PackageVisibilityChanged {
  return { type: 'PackageVisibilityChanged', data: { visibility } };
}

describe('decide: PushRelease and visibility', () => {
  it('a new package takes the visibility of the push that creates it', () => {
    spec()
      .given()
      .when(pushRelease({ visibility: 'private', visibilityRequested: true }))
      .then(published({ visibility: 'private' }));
  });

  it("a push into an existing package carries the package's visibility, not the command's default", () => {
    spec()
      .given(published({ release: '1.0.0', visibility: 'private' }))
      .when(pushRelease({ release: '2.0.0', visibility: 'public' }))
      .then(published({ release: '2.0.0', visibility: 'private' }));
  });

  it('a package emptied by deletes keeps its visibility when a push without one re-creates it', () => {
    const given = spec().given(published({ release: '1.0.0', visibility: 'private' }), deleted({ release: '1.0.0' }));
    given
      .when(pushRelease({ release: '2.0.0', visibility: 'public' }))
      .then(published({ release: '2.0.0', visibility: 'private' }));

    const [event] = decide(pushRelease({ release: '2.0.0', visibility: 'public' }), given.state);
    expect(evolve(given.state, recorded(event, 3)).visibility).toBe('private');
  });

  it('keeps the visibility SetVisibility gave the package, through deletes', () => {
    spec()
      .given(
        published({ release: '1.0.0', visibility: 'public' }),
        visibilityChanged('private'),
        deleted({ release: '1.0.0' }),
      )
      .when(pushRelease({ release: '1.0.0', visibility: 'public' }))
      .then(published({ release: '1.0.0', visibility: 'private' }));
  });

  it.each<[string, PackageEvent[]]>([
    ['an existing package', [published({ release: '1.0.0', visibility: 'private' })]],
    [
      'a package emptied by deletes',
      [published({ release: '1.0.0', visibility: 'private' }), deleted({ release: '1.0.0' })],
    ],
  ])('refuses a requested visibility that differs from that of %s', (_name, history) => {
    spec()
      .given(...history)
      .when(pushRelease({ release: '2.0.0', visibility: 'public', visibilityRequested: true }))
      .thenThrows(VisibilityConflictError, { package: TEST_PACKAGE, visibility: 'private', requested: 'public' });
  });

  it("accepts a requested visibility equal to the package's", () => {
    spec()
      .given(published({ release: '1.0.0', visibility: 'private' }), deleted({ release: '1.0.0' }))
      .when(pushRelease({ release: '2.0.0', visibility: 'private', visibilityRequested: true }))
      .then(published({ release: '2.0.0', visibility: 'private' }));
  });
});

describe('decide: SetVisibility', () => {
  it('changes the visibility of a package', () => {
    spec()
      .given(published({ visibility: 'public' }))
      .when(setVisibility('private'))
      .then(visibilityChanged('private'));
  });

  it('changes nothing when the package already has it', () => {
    spec()
      .given(published({ visibility: 'private' }))
      .when(setVisibility('private'))
      .then();
  });

  it('changes the visibility of a package emptied by deletes (which a later push keeps)', () => {
    spec()
      .given(published({ visibility: 'private' }), deleted())
      .when(setVisibility('public'))
      .then(visibilityChanged('public'));
  });

  it('refuses a package that never had an event', () => {
    spec().given().when(setVisibility('private')).thenThrows(PackageNotFoundError, { package: TEST_PACKAGE });
  });
});

describe('decide: PushRelease where the namespace forbids overwrites', () => {
  const deletedBytes = testDigest('blob-as-deleted');
  const otherBytes = testDigest('other-blob');
  const history = () => [
    published({ release: '1.0.0', blobDigest: deletedBytes }),
    deleted({ release: '1.0.0', blobDigest: deletedBytes }),
  ];

  it('refuses other bytes under a deleted release and media type', () => {
    spec()
      .given(...history())
      .when(pushRelease({ release: '1.0.0', allowOverwrites: false, content: { blobDigest: otherBytes } }))
      .thenThrows(OverwriteForbiddenError, {
        package: TEST_PACKAGE,
        release: '1.0.0',
        media_type: 'helm',
        digest: `sha256:${deletedBytes}`,
      });
  });

  it('accepts the bytes the deleted release had', () => {
    spec()
      .given(...history())
      .when(pushRelease({ release: '1.0.0', allowOverwrites: false, content: { blobDigest: deletedBytes } }))
      .then(published({ release: '1.0.0', blobDigest: deletedBytes }));
  });

  it('judges by the last deletion of a release deleted several times', () => {
    spec()
      .given(
        ...history(),
        published({ release: '1.0.0', blobDigest: otherBytes }),
        deleted({ release: '1.0.0', blobDigest: otherBytes }),
      )
      .when(pushRelease({ release: '1.0.0', allowOverwrites: false, content: { blobDigest: deletedBytes } }))
      .thenThrows(OverwriteForbiddenError, { digest: `sha256:${otherBytes}` });
  });

  it('accepts other bytes under another media type of the same release', () => {
    spec()
      .given(...history())
      .when(
        pushRelease({
          release: '1.0.0',
          mediaType: 'kpm',
          allowOverwrites: false,
          content: { blobDigest: otherBytes },
        }),
      )
      .then(published({ release: '1.0.0', mediaType: 'kpm', blobDigest: otherBytes }));
  });

  it('accepts other bytes where the namespace allows overwrites (or does not say)', () => {
    for (const allowOverwrites of [true, undefined]) {
      spec()
        .given(...history())
        .when(pushRelease({ release: '1.0.0', allowOverwrites, content: { blobDigest: otherBytes } }))
        .then(published({ release: '1.0.0', blobDigest: otherBytes }));
    }
  });

  it('refuses a forced push over an existing release as a duplicate', () => {
    spec()
      .given(published({ release: '1.0.0' }))
      .when(pushRelease({ release: '1.0.0', force: true, allowOverwrites: false, content: { blobDigest: otherBytes } }))
      .thenThrows(PackageExistsError, { release: '1.0.0' });
  });
});

describe('decide: PushRelease under a namespace quota', () => {
  /** Decides `command` on the state after `events`, the namespace's other packages holding `elsewhere` bytes. */
  function decideWith(events: PackageEvent[], command: ReturnType<typeof pushRelease>, elsewhere: number) {
    return () => decide(command, spec().given(...events).state, { namespaceBytesElsewhere: elsewhere });
  }

  it('accepts a push that fills the quota exactly', () => {
    const push = pushRelease({ release: '2.0.0', namespaceQuotaBytes: 700, content: { size: 200 } });
    expect(decideWith([published({ release: '1.0.0', size: 100 })], push, 400)()).toEqual([
      published({ release: '2.0.0', size: 200 }),
    ]);
  });

  it('refuses a push one byte past it, saying how much is used', () => {
    const push = pushRelease({ release: '2.0.0', namespaceQuotaBytes: 700, content: { size: 201 } });
    let refusal: unknown = null;
    try {
      decideWith([published({ release: '1.0.0', size: 100 })], push, 400)();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(QuotaExceededError);
    expect((refusal as QuotaExceededError).details).toEqual({ namespace: 'ns1', limit: 700, used: 500 });
  });

  it("counts the push's metadata as compact JSON UTF-8 bytes", () => {
    const metadata = { note: 'é' }; // {"note":"é"} is 13 bytes
    const fits = pushRelease({ namespaceQuotaBytes: 113, metadata, content: { size: 100 } });
    const over = pushRelease({ namespaceQuotaBytes: 112, metadata, content: { size: 100 } });
    expect(decideWith([], fits, 0)()).toHaveLength(1);
    expect(decideWith([], over, 0)).toThrow(QuotaExceededError);
  });

  it('counts a provenance file with its archive, pushed and already held', () => {
    const prov = { provenanceDigest: testDigest('p'), provenanceSize: 50 };
    const fits = pushRelease({ namespaceQuotaBytes: 150, content: { size: 100, ...prov } });
    const over = pushRelease({ namespaceQuotaBytes: 149, content: { size: 100, ...prov } });
    expect(decideWith([], fits, 0)()).toEqual([published({ size: 100, ...prov })]);
    expect(decideWith([], over, 0)).toThrow(QuotaExceededError);
    const next = pushRelease({ release: '2.0.0', namespaceQuotaBytes: 249, content: { size: 100 } });
    expect(decideWith([published({ release: '1.0.0', size: 100, ...prov })], next, 0)).toThrow(QuotaExceededError);
  });

  it('counts the metadata the package already holds', () => {
    const push = pushRelease({ release: '2.0.0', namespaceQuotaBytes: 300, content: { size: 100 } });
    const stored = [published({ release: '1.0.0', size: 100, metadata: { pad: 'x'.repeat(100) } })];
    expect(decideWith(stored, push, 0)).toThrow(QuotaExceededError);
  });

  it('counts only the difference a forced push makes to the release it replaces', () => {
    const given = [published({ release: '1.0.0', size: 300 })];
    const bigger = pushRelease({
      release: '1.0.0',
      force: true,
      namespaceQuotaBytes: 700,
      content: { size: 400, blobDigest: testDigest('b') },
    });
    const tooBig = pushRelease({
      release: '1.0.0',
      force: true,
      namespaceQuotaBytes: 700,
      content: { size: 401, blobDigest: testDigest('b') },
    });
    expect(decideWith(given, bigger, 300)()).toHaveLength(1);
    expect(decideWith(given, tooBig, 300)).toThrow(QuotaExceededError);
  });

  it('never refuses a push that adds nothing, even over the quota', () => {
    const given = [published({ release: '1.0.0', size: 300 })];
    const smaller = pushRelease({
      release: '1.0.0',
      force: true,
      namespaceQuotaBytes: 100,
      content: { size: 200, blobDigest: testDigest('b') },
    });
    expect(decideWith(given, smaller, 1_000)()).toHaveLength(1);
  });

  it('ignores the namespace without a quota', () => {
    const push = pushRelease({ release: '2.0.0', content: { size: 10_000 } });
    expect(decide(push, spec().given(published()).state)).toHaveLength(1);
  });
});

describe("decide: PushRelease under a bound on the package's metadata", () => {
  /** Metadata of exactly `bytes` bytes as compact JSON: {"pad":"xx…"}. */
  const metadataOf = (bytes: number) => ({ pad: 'x'.repeat(bytes - 10) });
  const twoReleasesOf100 = [
    published({ release: '1.0.0', metadata: metadataOf(100) }),
    published({ release: '2.0.0', metadata: metadataOf(100) }),
  ];

  it("accepts a push that brings the package's metadata to the bound exactly", () => {
    spec()
      .given(...twoReleasesOf100)
      .when(pushRelease({ release: '3.0.0', metadata: metadataOf(100), maxPackageMetadataBytes: 300 }))
      .then(published({ release: '3.0.0', metadata: metadataOf(100) }));
  });

  it('refuses a push one byte past it (413 payload-too-large naming the field, the bound and the package)', () => {
    spec()
      .given(...twoReleasesOf100)
      .when(pushRelease({ release: '3.0.0', metadata: metadataOf(101), maxPackageMetadataBytes: 300 }))
      .thenThrows(PackageMetadataTooLargeError, { field: 'metadata', limit: 300, package: TEST_PACKAGE });
  });

  it("counts the push's own metadata, so the first push of a package is bounded too", () => {
    spec()
      .given()
      .when(pushRelease({ metadata: metadataOf(101), maxPackageMetadataBytes: 100 }))
      .thenThrows(PackageMetadataTooLargeError);
    spec()
      .given()
      .when(pushRelease({ metadata: metadataOf(100), maxPackageMetadataBytes: 100 }))
      .then(published({ metadata: metadataOf(100) }));
  });

  it('counts only the difference a forced push makes to the release it replaces', () => {
    const force = (bytes: number) =>
      pushRelease({
        release: '1.0.0',
        force: true,
        metadata: metadataOf(bytes),
        maxPackageMetadataBytes: 250,
        content: { blobDigest: testDigest('b') },
      });
    expect(decide(force(150), spec().given(...twoReleasesOf100).state)).toHaveLength(1);
    expect(() => decide(force(151), spec().given(...twoReleasesOf100).state)).toThrow(PackageMetadataTooLargeError);
  });

  it('never refuses a push that adds no metadata, even to a package over the bound', () => {
    const state = spec().given(...twoReleasesOf100).state;
    expect(decide(pushRelease({ release: '3.0.0', maxPackageMetadataBytes: 50 }), state)).toHaveLength(1);
    const smaller = pushRelease({
      release: '1.0.0',
      force: true,
      metadata: metadataOf(20),
      maxPackageMetadataBytes: 50,
      content: { blobDigest: testDigest('b') },
    });
    expect(decide(smaller, state)).toHaveLength(1);
  });

  it('does not count the metadata of deleted releases', () => {
    spec()
      .given(published({ release: '1.0.0', metadata: metadataOf(100) }), deleted({ release: '1.0.0' }))
      .when(pushRelease({ release: '2.0.0', metadata: metadataOf(100), maxPackageMetadataBytes: 100 }))
      .then(published({ release: '2.0.0', metadata: metadataOf(100) }));
  });

  it('has no bound when the command carries none, or 0', () => {
    const state = spec().given(...twoReleasesOf100).state;
    expect(decide(pushRelease({ release: '3.0.0', metadata: metadataOf(100_000) }), state)).toHaveLength(1);
    expect(
      decide(pushRelease({ release: '3.0.0', metadata: metadataOf(100_000), maxPackageMetadataBytes: 0 }), state),
    ).toHaveLength(1);
  });

  it('is part of the checks the gateway runs before it stores the blob', () => {
    const state = spec().given(...twoReleasesOf100).state;
    const over = pushRelease({ release: '3.0.0', metadata: metadataOf(101), maxPackageMetadataBytes: 300 });
    expect(() => assertPushFitsPackage(over, state)).toThrow(PackageMetadataTooLargeError);
  });
});

describe('decide: DeleteRelease', () => {
  it("refuses a retention delete whose release was pushed again or became a channel's current since the plan", () => {
    const reason = { kind: 'retention' as const, policy: 'keep-1' };
    const planned = { blobDigest: published({ release: '1.0.0' }).data.blobDigest };
    spec()
      .given(published({ release: '1.0.0' }), published({ release: '2.0.0' }))
      .when(deleteRelease({ release: '1.0.0', reason, guard: planned }))
      .then(deleted({ release: '1.0.0', reason }));
    spec()
      .given(published({ release: '1.0.0' }), published({ release: '2.0.0' }))
      .when(deleteRelease({ release: '1.0.0', reason, guard: { blobDigest: testDigest('other bytes') } }))
      .thenThrows(RetentionSupersededError, { release: '1.0.0' });
    spec()
      .given(published({ release: '1.0.0' }), published({ release: '2.0.0' }), addedToChannel({ release: '1.0.0' }))
      .when(deleteRelease({ release: '1.0.0', reason, guard: planned }))
      .thenThrows(RetentionSupersededError, { release: '1.0.0' });
  });

  it("records the reason a retention delete carries, and none for a caller's delete", () => {
    const reason = { kind: 'retention' as const, policy: 'keep-3' };
    spec()
      .given(published({ release: '1.0.0' }), published({ release: '2.0.0' }))
      .when(deleteRelease({ release: '1.0.0', reason }))
      .then(deleted({ release: '1.0.0', reason }));
    spec()
      .given(published({ release: '1.0.0' }), published({ release: '2.0.0' }))
      .when(deleteRelease({ release: '1.0.0' }))
      .then(deleted({ release: '1.0.0' }));
  });

  it('refuses a package that does not exist', () => {
    spec()
      .given()
      .when(deleteRelease({ release: '1.0.0', mediaType: 'helm' }))
      .thenThrows(PackageNotFoundError, { package: TEST_PACKAGE, release: '1.0.0', media_type: 'helm' });
  });

  it('refuses a release that does not exist', () => {
    spec()
      .given(published({ release: '1.0.0' }))
      .when(deleteRelease({ release: '2.0.0' }))
      .thenThrows(PackageNotFoundError, { release: '2.0.0', media_type: 'helm' });
  });

  it('refuses a media type the release does not have', () => {
    spec()
      .given(published({ release: '1.0.0', mediaType: 'helm' }))
      .when(deleteRelease({ release: '1.0.0', mediaType: 'kpm' }))
      .thenThrows(PackageNotFoundError, { release: '1.0.0', media_type: 'kpm' });
  });

  it('refuses a second delete of the same manifest', () => {
    spec()
      .given(published({ release: '1.0.0' }), published({ release: '2.0.0' }), deleted({ release: '1.0.0' }))
      .when(deleteRelease({ release: '1.0.0' }))
      .thenThrows(PackageNotFoundError);
  });

  it('deletes the manifest with the digests it was stored with', () => {
    spec()
      .given(published({ release: '1.0.0', apprDigest: testDigest('a'), blobDigest: testDigest('b') }))
      .when(deleteRelease({ release: '1.0.0' }))
      .then(deleted({ release: '1.0.0', apprDigest: testDigest('a'), blobDigest: testDigest('b') }));
  });

  it('deleting one of two media types keeps the release in its channels', () => {
    spec()
      .given(
        published({ release: '1.0.0', mediaType: 'helm' }),
        published({ release: '1.0.0', mediaType: 'kpm' }),
        addedToChannel({ channel: 'stable', release: '1.0.0' }),
      )
      .when(deleteRelease({ release: '1.0.0', mediaType: 'helm' }))
      .then(deleted({ release: '1.0.0', mediaType: 'helm' }));
  });

  it('deleting the last media type of the current release falls back to the highest remaining release, pre-releases included', () => {
    spec()
      .given(
        published({ release: '1.0.0' }),
        published({ release: '2.0.0-rc.1' }),
        published({ release: '1.5.0' }),
        published({ release: '3.0.0' }),
        addedToChannel({ channel: 'stable', release: '1.5.0' }),
        addedToChannel({ channel: 'stable', release: '2.0.0-rc.1' }),
        addedToChannel({ channel: 'stable', release: '1.0.0' }),
        addedToChannel({ channel: 'stable', release: '3.0.0' }),
      )
      .when(deleteRelease({ release: '3.0.0' }))
      .then(
        deleted({ release: '3.0.0' }),
        removedFromChannel({ channel: 'stable', release: '3.0.0', current: '2.0.0-rc.1' }),
      );
  });

  it('deleting the last media type of a non-current member keeps the channel current, even when it is not the highest', () => {
    spec()
      .given(
        published({ release: '1.0.0' }),
        published({ release: '2.0.0' }),
        published({ release: '3.0.0' }),
        addedToChannel({ channel: 'stable', release: '1.0.0' }),
        addedToChannel({ channel: 'stable', release: '3.0.0' }),
        addedToChannel({ channel: 'stable', release: '2.0.0' }),
      )
      .when(deleteRelease({ release: '1.0.0' }))
      .then(
        deleted({ release: '1.0.0' }),
        removedFromChannel({ channel: 'stable', release: '1.0.0', current: '2.0.0' }),
      );
  });

  it('deleting the last media type removes the release from every channel, and deletes channels left empty', () => {
    spec()
      .given(
        published({ release: '1.0.0' }),
        published({ release: '2.0.0' }),
        addedToChannel({ channel: 'stable', release: '1.0.0' }),
        addedToChannel({ channel: 'stable', release: '2.0.0' }),
        addedToChannel({ channel: 'beta', release: '2.0.0' }),
        addedToChannel({ channel: 'old', release: '1.0.0' }),
      )
      .when(deleteRelease({ release: '2.0.0' }))
      .then(
        deleted({ release: '2.0.0' }),
        removedFromChannel({ channel: 'stable', release: '2.0.0', current: '1.0.0' }),
        removedFromChannel({ channel: 'beta', release: '2.0.0', current: null }),
        channelDeleted({ channel: 'beta' }),
      );
  });

  it('after deleting a release, no channel refers to it', () => {
    const state = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0' }),
      published({ release: '2.0.0' }),
      addedToChannel({ channel: 'stable', release: '1.0.0' }),
      addedToChannel({ channel: 'stable', release: '2.0.0' }),
      addedToChannel({ channel: 'beta', release: '2.0.0' }),
    ]);
    const events = decide(deleteRelease({ release: '2.0.0' }), state);
    const after = events.reduce((s, e, i) => evolve(s, recorded(e, state.sequence + i + 1)), state);
    expect(after.channels).toEqual([{ name: 'stable', current: '1.0.0', releases: ['1.0.0'] }]);
  });
});

describe('decide: AddReleaseToChannel', () => {
  it('refuses a package that does not exist', () => {
    spec().given().when(addReleaseToChannel()).thenThrows(PackageNotFoundError, { package: TEST_PACKAGE });
  });

  it('refuses a package whose releases were all deleted', () => {
    spec()
      .given(published({ release: '1.0.0' }), deleted({ release: '1.0.0' }))
      .when(addReleaseToChannel())
      .thenThrows(PackageNotFoundError);
  });

  it('refuses a release the package does not have', () => {
    spec()
      .given(published({ release: '1.0.0' }))
      .when(addReleaseToChannel({ channel: 'stable', release: '9.9.9' }))
      .thenThrows(ReleaseNotFoundError, { package: TEST_PACKAGE, version: '9.9.9' });
  });

  it('adding to a channel that does not exist creates it', () => {
    spec()
      .given(published({ release: '1.0.0' }))
      .when(addReleaseToChannel({ channel: 'stable', release: '1.0.0' }))
      .then(addedToChannel({ channel: 'stable', release: '1.0.0' }));
  });

  it('adding a release makes it current', () => {
    const { state } = spec().given(
      published({ release: '1.0.0' }),
      published({ release: '2.0.0' }),
      addedToChannel({ release: '2.0.0' }),
      addedToChannel({ release: '1.0.0' }),
    );
    expect(findChannel(state, 'stable')).toEqual({ name: 'stable', current: '1.0.0', releases: ['2.0.0', '1.0.0'] });
  });

  it('re-adding an existing member moves current without duplicating it', () => {
    const given = spec().given(
      published({ release: '1.0.0' }),
      published({ release: '2.0.0' }),
      addedToChannel({ release: '1.0.0' }),
      addedToChannel({ release: '2.0.0' }),
    );
    given.when(addReleaseToChannel({ release: '1.0.0' })).then(addedToChannel({ release: '1.0.0' }));
    const after = evolve(given.state, recorded(addedToChannel({ release: '1.0.0' }), given.state.sequence + 1));
    expect(findChannel(after, 'stable')).toEqual({ name: 'stable', current: '1.0.0', releases: ['1.0.0', '2.0.0'] });
  });
});

describe('decide: RemoveReleaseFromChannel', () => {
  const twoReleases = () => [published({ release: '1.0.0' }), published({ release: '2.0.0' })];

  it('refuses a package that does not exist', () => {
    spec().given().when(removeReleaseFromChannel()).thenThrows(PackageNotFoundError, { package: TEST_PACKAGE });
  });

  it('refuses a channel that does not exist', () => {
    spec()
      .given(...twoReleases())
      .when(removeReleaseFromChannel({ channel: 'nope', release: '1.0.0' }))
      .thenThrows(ChannelNotFoundError, { package: TEST_PACKAGE, channel: 'nope' });
  });

  it('refuses a release that is not in the channel', () => {
    spec()
      .given(...twoReleases(), addedToChannel({ channel: 'stable', release: '1.0.0' }))
      .when(removeReleaseFromChannel({ channel: 'stable', release: '2.0.0' }))
      .thenThrows(PackageNotFoundError, { package: TEST_PACKAGE, release: '2.0.0' });
  });

  it('removing the current release falls back to the highest remaining one, not the last added', () => {
    spec()
      .given(
        published({ release: '1.0.0' }),
        published({ release: '1.10.0' }),
        published({ release: '1.2.0' }),
        published({ release: '3.0.0' }),
        addedToChannel({ release: '1.10.0' }),
        addedToChannel({ release: '1.2.0' }),
        addedToChannel({ release: '1.0.0' }),
        addedToChannel({ release: '3.0.0' }),
      )
      .when(removeReleaseFromChannel({ release: '3.0.0' }))
      .then(removedFromChannel({ release: '3.0.0', current: '1.10.0' }));
  });

  it('the fallback counts pre-releases, which rank above lower normal releases', () => {
    spec()
      .given(
        published({ release: '1.0.0' }),
        published({ release: '1.1.0-beta.1' }),
        published({ release: '2.0.0' }),
        addedToChannel({ release: '1.1.0-beta.1' }),
        addedToChannel({ release: '1.0.0' }),
        addedToChannel({ release: '2.0.0' }),
      )
      .when(removeReleaseFromChannel({ release: '2.0.0' }))
      .then(removedFromChannel({ release: '2.0.0', current: '1.1.0-beta.1' }));
  });

  it('removing a non-current release keeps the current one, even when it is not the highest', () => {
    spec()
      .given(
        ...twoReleases(),
        published({ release: '3.0.0' }),
        addedToChannel({ release: '1.0.0' }),
        addedToChannel({ release: '3.0.0' }),
        addedToChannel({ release: '2.0.0' }),
      )
      .when(removeReleaseFromChannel({ release: '1.0.0' }))
      .then(removedFromChannel({ release: '1.0.0', current: '2.0.0' }));
  });

  it('removing the last release deletes the channel', () => {
    spec()
      .given(...twoReleases(), addedToChannel({ release: '1.0.0' }))
      .when(removeReleaseFromChannel({ release: '1.0.0' }))
      .then(removedFromChannel({ release: '1.0.0', current: null }), channelDeleted({ channel: 'stable' }));
  });

  it('a removed release that is re-added later becomes current again', () => {
    const given = spec().given(
      ...twoReleases(),
      addedToChannel({ release: '1.0.0' }),
      addedToChannel({ release: '2.0.0' }),
      removedFromChannel({ release: '2.0.0', current: '1.0.0' }),
    );
    expect(findChannel(given.state, 'stable')).toEqual({ name: 'stable', current: '1.0.0', releases: ['1.0.0'] });
    given.when(addReleaseToChannel({ release: '2.0.0' })).then(addedToChannel({ release: '2.0.0' }));
  });
});

describe('decide: DeleteChannel', () => {
  it('refuses a channel that does not exist', () => {
    spec()
      .given(published({ release: '1.0.0' }), addedToChannel({ channel: 'stable' }))
      .when(deleteChannel({ channel: 'beta' }))
      .thenThrows(ChannelNotFoundError, { package: TEST_PACKAGE, channel: 'beta' });
  });

  it('refuses a channel that was already deleted', () => {
    spec()
      .given(
        published({ release: '1.0.0' }),
        addedToChannel({ channel: 'stable' }),
        channelDeleted({ channel: 'stable' }),
      )
      .when(deleteChannel({ channel: 'stable' }))
      .thenThrows(ChannelNotFoundError);
  });

  it('refuses a package that does not exist', () => {
    spec().given().when(deleteChannel()).thenThrows(PackageNotFoundError, { package: TEST_PACKAGE });
  });

  it('deletes an existing channel', () => {
    spec()
      .given(
        published({ release: '1.0.0' }),
        addedToChannel({ channel: 'stable' }),
        addedToChannel({ channel: 'beta' }),
      )
      .when(deleteChannel({ channel: 'stable' }))
      .then(channelDeleted({ channel: 'stable' }));
  });
});

describe('evolve', () => {
  it('records the sequence, updatedAt and the causing command of the last event', () => {
    const state = foldEvents(TEST_PACKAGE, [published({ release: '1.0.0' }), published({ release: '2.0.0' })]);
    expect(state.sequence).toBe(2);
    expect(state.updatedAt).toBe(clockAt(2));
    expect(state.recentCommands).toEqual([givenCommandId(1), givenCommandId(2)]);
  });

  it('takes the sequence from the recorded event, not from a count of events', () => {
    const state = evolve(
      foldEvents(TEST_PACKAGE, [published({ release: '1.0.0' })]),
      recorded(published({ release: '2.0.0' }), 7),
    );
    expect(state.sequence).toBe(7);
    expect(state.updatedAt).toBe(clockAt(7));
  });

  it('sets createdAt from the push that creates the package, and keeps it afterwards', () => {
    const state = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0' }),
      published({ release: '2.0.0' }),
      addedToChannel({ release: '2.0.0' }),
    ]);
    expect(state.createdAt).toBe(clockAt(1));
    expect(state.updatedAt).toBe(clockAt(3));
  });

  it('stamps each manifest with the time of the event that published it', () => {
    const state = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0' }),
      published({ release: '2.0.0' }),
      published({ release: '1.0.0', replaced: null }),
    ]);
    const byRelease = Object.fromEntries(state.manifests.map((m) => [m.release, m.createdAt]));
    expect(byRelease).toEqual({ '1.0.0': clockAt(3), '2.0.0': clockAt(2) });
  });

  it('a forced push replaces the manifest instead of adding a second one', () => {
    const state = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0', apprDigest: testDigest('old') }),
      published({
        release: '1.0.0',
        apprDigest: testDigest('new'),
        replaced: { apprDigest: testDigest('old'), blobDigest: testDigest('x') },
      }),
    ]);
    expect(state.manifests.map((m) => m.apprDigest)).toEqual([testDigest('new')]);
  });

  it('takes visibility only from the push that creates the package', () => {
    const state = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0', visibility: 'private' }),
      published({ release: '2.0.0', visibility: 'public' }),
    ]);
    expect(state.visibility).toBe('private');
  });

  it('resets createdAt when the last release goes, and a later push re-creates the package (with the visibility its event carries, as logs recorded before pushes kept visibility have it)', () => {
    const gone = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0', visibility: 'private' }),
      deleted({ release: '1.0.0' }),
    ]);
    expect(gone.createdAt).toBeNull();
    expect(gone.manifests).toEqual([]);
    expect(gone.updatedAt).toBe(clockAt(2));

    const recreated = evolve(gone, recorded(published({ release: '2.0.0', visibility: 'public' }), 3));
    expect(recreated.createdAt).toBe(clockAt(3));
    expect(recreated.visibility).toBe('public');
  });

  it('a delete leaves a tombstone with the deleted bytes, which the next push of that release and media type takes away', () => {
    const gone = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0', blobDigest: testDigest('first') }),
      published({ release: '1.0.0', mediaType: 'kpm' }),
      deleted({ release: '1.0.0', blobDigest: testDigest('first') }),
    ]);
    expect(gone.tombstones).toEqual([{ release: '1.0.0', mediaType: 'helm', blobDigest: testDigest('first') }]);

    const again = evolve(gone, recorded(published({ release: '1.0.0', blobDigest: testDigest('first') }), 4));
    expect(again.tombstones).toBeUndefined();
    expect(findTombstone(again, '1.0.0', 'helm')).toBeUndefined();
  });

  it("keeps one tombstone per release and media type, the last deletion's", () => {
    const state = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0', blobDigest: testDigest('a') }),
      deleted({ release: '1.0.0', blobDigest: testDigest('a') }),
      published({ release: '1.0.0', blobDigest: testDigest('b') }),
      deleted({ release: '1.0.0', blobDigest: testDigest('b') }),
    ]);
    expect(state.tombstones).toEqual([{ release: '1.0.0', mediaType: 'helm', blobDigest: testDigest('b') }]);
  });

  it('a package that never lost a release has no tombstones field', () => {
    expect(
      foldEvents(TEST_PACKAGE, [published({ release: '1.0.0' }), published({ release: '2.0.0' })]),
    ).not.toHaveProperty('tombstones');
  });

  it('keeps createdAt while other releases remain', () => {
    const state = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0' }),
      published({ release: '2.0.0' }),
      deleted({ release: '1.0.0' }),
    ]);
    expect(state.createdAt).toBe(clockAt(1));
  });

  it('removing the current release of a channel applies the decided current', () => {
    const state = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0' }),
      published({ release: '2.0.0' }),
      addedToChannel({ release: '1.0.0' }),
      addedToChannel({ release: '2.0.0' }),
      removedFromChannel({ release: '2.0.0', current: '1.0.0' }),
    ]);
    expect(findChannel(state, 'stable')).toEqual({ name: 'stable', current: '1.0.0', releases: ['1.0.0'] });
  });

  it('ChannelDeleted removes only that channel', () => {
    const state = foldEvents(TEST_PACKAGE, [
      published({ release: '1.0.0' }),
      addedToChannel({ channel: 'stable' }),
      addedToChannel({ channel: 'beta' }),
      channelDeleted({ channel: 'stable' }),
    ]);
    expect(state.channels.map((c) => c.name)).toEqual(['beta']);
  });

  it('does not mutate the state it folds into', () => {
    const before = foldEvents(TEST_PACKAGE, [published({ release: '1.0.0' }), addedToChannel()]);
    const snapshot = structuredClone(before);
    evolve(before, recorded(published({ release: '2.0.0' }), 3));
    evolve(before, recorded(removedFromChannel({ current: null }), 3));
    evolve(before, recorded(deleted(), 3));
    expect(before).toEqual(snapshot);
  });

  it('remembers each command once, even when it caused several events', () => {
    let state = emptyPackageView(TEST_PACKAGE);
    state = evolve(state, recorded(published({ release: '1.0.0' }), 1, { causationId: 'c1' }));
    state = evolve(state, recorded(addedToChannel(), 2, { causationId: 'c2' }));
    state = evolve(state, recorded(removedFromChannel({ current: null }), 3, { causationId: 'c3' }));
    state = evolve(state, recorded(channelDeleted(), 4, { causationId: 'c3' }));
    expect(state.recentCommands).toEqual(['c1', 'c2', 'c3']);
  });

  it(`keeps only the last ${RECENT_COMMANDS_KEPT} command ids, newest last`, () => {
    let state = emptyPackageView(TEST_PACKAGE);
    const total = RECENT_COMMANDS_KEPT + 5;
    for (let n = 1; n <= total; n++)
      state = evolve(state, recorded(published({ release: `1.0.${n}` }), n, { causationId: `c${n}` }));
    expect(state.recentCommands).toHaveLength(RECENT_COMMANDS_KEPT);
    expect(state.recentCommands[0]).toBe(`c${total - RECENT_COMMANDS_KEPT + 1}`);
    expect(state.recentCommands.at(-1)).toBe(`c${total}`);
  });
});

describe('wasApplied', () => {
  it('is true for a command whose events were folded in and false for any other', () => {
    const state = foldEvents(TEST_PACKAGE, [published({ release: '1.0.0' }), published({ release: '2.0.0' })]);
    expect(wasApplied(state, givenCommandId(1))).toBe(true);
    expect(wasApplied(state, givenCommandId(2))).toBe(true);
    expect(wasApplied(state, givenCommandId(3))).toBe(false);
  });

  it('forgets a command once more than RECENT_COMMANDS_KEPT newer ones were applied', () => {
    let state = emptyPackageView(TEST_PACKAGE);
    for (let n = 1; n <= RECENT_COMMANDS_KEPT + 1; n++)
      state = evolve(state, recorded(published({ release: `1.0.${n}` }), n, { causationId: `c${n}` }));
    expect(wasApplied(state, 'c1')).toBe(false);
    expect(wasApplied(state, 'c2')).toBe(true);
  });
});

describe('releases pushed over OCI', () => {
  const oci = { manifestDigest: testDigest('m'), configDigest: testDigest('f') };

  it('records the manifest and config digests with the release, and the view keeps them', () => {
    spec()
      .given()
      .when(pushRelease({ content: { oci } }))
      .then(published({ oci }));
    expect(foldEvents(TEST_PACKAGE, [published({ oci })]).manifests[0]?.oci).toEqual(oci);
  });

  it('hands them to the delete and to the forced push that replaces the release, for the blob counts', () => {
    const given = [published({ oci })];
    spec()
      .given(...given)
      .when(deleteRelease({ release: '1.0.0', mediaType: 'helm' }))
      .then(deleted({ oci }));
    const replacing = decide(
      pushRelease({ force: true, content: { blobDigest: testDigest('b') } }),
      foldEvents(TEST_PACKAGE, given),
    );
    expect(replacing).toMatchObject([{ type: 'ReleasePublished', data: { replaced: { oci } } }]);
  });
});

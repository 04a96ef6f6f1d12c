import { EventContractError } from '@wharf/contracts';
import {
  ConcurrencyConflictError,
  JsonValue,
  PackageCommand,
  PackageExistsError,
  QuotaExceededError,
  ServiceUnavailableError,
  releaseNames,
} from '@wharf/domain';
import {
  InMemoryEventLog,
  InMemoryMetadataStore,
  TEST_PACKAGE,
  addReleaseToChannel,
  commandMeta,
  deleteChannel,
  deleteRelease,
  published,
  publishedEnvelopes,
  pushRelease,
  removeReleaseFromChannel,
  testDigest,
} from '@wharf/testing';
import { envelopesFor } from './event-envelopes';
import { KeyedMutex } from './keyed-mutex';
import { MetadataProjector } from './metadata-projector';
import { PackageProjection } from './package-projection';
import { PackageWriter } from './package-writer';

/** The metadata service wired as MetadataModule wires it, on in-memory ports. */
function metadataService() {
  const journal: string[] = [];
  const log = new InMemoryEventLog(journal);
  const store = new InMemoryMetadataStore(journal);
  const locks = new KeyedMutex();
  const projection = new PackageProjection(store);
  const projector = new MetadataProjector(log, projection, locks);
  const writer = new PackageWriter(log, store, projection, projector, locks);
  return { journal, log, store, projector, writer };
}

type Settled<T> = { value: T } | { error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** Appends as another writer would: straight to the log, continuing the package's stream. */
async function appendAsAnotherWriter(
  log: InMemoryEventLog,
  command: PackageCommand['meta'],
  release: string,
): Promise<void> {
  const last = log.streamOf(TEST_PACKAGE).length;
  await log.append(TEST_PACKAGE, last, envelopesFor(TEST_PACKAGE, last, [published({ release })], command));
}

describe('PackageWriter', () => {
  let service: ReturnType<typeof metadataService>;

  beforeEach(async () => {
    service = metadataService();
    await service.projector.start();
  });

  afterEach(async () => {
    jest.useRealTimers();
    await service.log.close();
  });

  it('appends the decided events, then applies them, then answers', async () => {
    const { writer, log, store, journal } = service;
    const meta = commandMeta({ commandId: 'push-1', correlationId: 'req-1', issuedAt: '2026-03-01T10:00:00.000Z' });

    const result = await writer.execute(pushRelease({ release: '1.0.0', meta }));

    expect(journal).toEqual([`append ${TEST_PACKAGE} 1`, `put ${TEST_PACKAGE} 1`]);
    expect(log.streamOf(TEST_PACKAGE)).toEqual([
      expect.objectContaining({
        type: 'ReleasePublished',
        version: 1,
        sequence: 1,
        package: TEST_PACKAGE,
        causationId: 'push-1',
        correlationId: 'req-1',
        occurredAt: '2026-03-01T10:00:00.000Z',
        data: published({ release: '1.0.0' }).data,
      }),
    ]);
    expect(result).toEqual({ sequences: [1], visibility: 'public' });
    const stored = (await store.get(TEST_PACKAGE))!;
    expect(releaseNames(stored)).toEqual(['1.0.0']);
    expect(stored.createdAt).toBe('2026-03-01T10:00:00.000Z');
  });

  it('appends all events of one command in one append, continuing the stream', async () => {
    const { writer, log, store } = service;
    await writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'c1' } }));
    await writer.execute(pushRelease({ release: '2.0.0', meta: { commandId: 'c2' } }));
    await writer.execute(addReleaseToChannel({ release: '2.0.0', meta: { commandId: 'c3' } }));

    const result = await writer.execute(deleteRelease({ release: '2.0.0', meta: { commandId: 'c4' } }));

    expect(log.appendAttempts.at(-1)).toEqual({ pkg: TEST_PACKAGE, expectedSequence: 3, sequences: [4, 5, 6] });
    expect(
      log
        .streamOf(TEST_PACKAGE)
        .slice(3)
        .map((e) => e.type),
    ).toEqual(['ReleaseDeleted', 'ReleaseRemovedFromChannel', 'ChannelDeleted']);
    expect(result.sequences).toEqual([4, 5, 6]);
    expect((await store.get(TEST_PACKAGE))!.sequence).toBe(6);
    expect((await store.get(TEST_PACKAGE))!.channels).toEqual([]);
  });

  it('answers with what the caller needs of the package, the same few bytes however large the package is', async () => {
    const { writer, log, projector, store } = service;
    const large = 'ns1/large';
    await log.append(large, 0, publishedEnvelopes(large, 0, 4_000));
    await projector.caughtUp();
    expect(JSON.stringify(await store.get(large)).length).toBeGreaterThan(1024 * 1024);

    const intoLarge = await writer.execute(
      pushRelease({ package: large, release: '9.0.0', meta: { commandId: 'large-push' } }),
    );
    const intoNew = await writer.execute(
      pushRelease({ package: 'ns1/new', release: '9.0.0', meta: { commandId: 'new-push' } }),
    );

    expect(intoLarge).toEqual({ sequences: [4_001], visibility: 'public' });
    expect(intoNew).toEqual({ sequences: [1], visibility: 'public' });
    expect(releaseNames((await store.get(large))!)).toContain('9.0.0');
    // Folding 4,000 events takes 1.5 s on a loaded 2-core machine: past jest's 5 s under CI's load.
  }, 30_000);

  it('answers a command that names a channel with that channel after it, null once it is gone', async () => {
    const { writer } = service;
    await writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'c1' } }));
    await writer.execute(pushRelease({ release: '2.0.0', meta: { commandId: 'c2' } }));

    const added = await writer.execute(
      addReleaseToChannel({ channel: 'stable', release: '1.0.0', meta: { commandId: 'c3' } }),
    );
    const addedAgain = await writer.execute(
      addReleaseToChannel({ channel: 'stable', release: '2.0.0', meta: { commandId: 'c4' } }),
    );
    const removed = await writer.execute(
      removeReleaseFromChannel({ channel: 'stable', release: '1.0.0', meta: { commandId: 'c5' } }),
    );
    const deletedChannel = await writer.execute(deleteChannel({ channel: 'stable', meta: { commandId: 'c6' } }));

    expect(added.channel).toEqual({ name: 'stable', current: '1.0.0', releases: ['1.0.0'] });
    expect(addedAgain.channel).toEqual({ name: 'stable', current: '2.0.0', releases: ['1.0.0', '2.0.0'] });
    expect(removed.channel).toEqual({ name: 'stable', current: '2.0.0', releases: ['2.0.0'] });
    expect(deletedChannel.channel).toBeNull();
  });

  it('a refused command appends nothing and stores nothing', async () => {
    const { writer, log, store } = service;
    await writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'c1' } }));
    const before = await store.get(TEST_PACKAGE);
    const appends = log.appendAttempts.length;
    const puts = store.putAttempts.length;

    await expect(writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'c2' } }))).rejects.toBeInstanceOf(
      PackageExistsError,
    );

    expect(log.appendAttempts).toHaveLength(appends);
    expect(store.putAttempts).toHaveLength(puts);
    expect(await store.get(TEST_PACKAGE)).toEqual(before);
  });

  it('a redelivered command (same commandId) appends nothing and answers with the package as it is now', async () => {
    const { writer, log, store } = service;
    const push = pushRelease({ release: '1.0.0', meta: { commandId: 'push-1' } });
    await writer.execute(push);
    await writer.execute(addReleaseToChannel({ release: '1.0.0', meta: { commandId: 'add-1' } }));
    const appends = log.appendAttempts.length;

    const again = await writer.execute(push);

    expect(again).toEqual({ sequences: [], visibility: 'public' });
    expect(log.appendAttempts).toHaveLength(appends);
    expect((await store.get(TEST_PACKAGE))!.sequence).toBe(2);
  });

  it('a redelivered command is not refused even though deciding it again would be', async () => {
    const { writer } = service;
    const push = pushRelease({ release: '1.0.0', meta: { commandId: 'push-1' } });
    await writer.execute(push);
    await expect(writer.execute(push)).resolves.toMatchObject({ sequences: [] });
  });

  it('does not retry an append that fails for another reason than a conflict', async () => {
    const { writer, log, store } = service;
    const hooks = [jest.fn(), jest.fn()];
    for (const hook of hooks) {
      hook.mockImplementation(() => {
        throw new ServiceUnavailableError('event log');
      });
      log.beforeNextAppend(hook);
    }

    await expect(writer.execute(pushRelease())).rejects.toBeInstanceOf(ServiceUnavailableError);

    expect(hooks[0]).toHaveBeenCalledTimes(1);
    expect(hooks[1]).not.toHaveBeenCalled();
    expect(await store.get(TEST_PACKAGE)).toBeNull();
  });

  describe('the projector following the log', () => {
    it('skips, without reading the store, the events the writer has applied', async () => {
      const { writer, store, projector } = service;
      await writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'c0' } }));
      await projector.caughtUp();
      const reads = store.reads.length;

      await writer.execute(pushRelease({ release: '2.0.0', meta: { commandId: 'c1' } }));
      await projector.caughtUp();

      expect(store.reads.slice(reads)).toEqual([TEST_PACKAGE]); // the writer's one read, none by the projector
      expect((await store.get(TEST_PACKAGE))?.sequence).toBe(2);
    });

    it('applies the events the writer appended but failed to store', async () => {
      const { writer, store, projector } = service;
      await projector.onApplicationShutdown();
      store.beforeNextPut(() => {
        throw new ServiceUnavailableError('metadata store');
      });

      await expect(writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'c0' } }))).rejects.toBeInstanceOf(
        ServiceUnavailableError,
      );
      expect(await store.get(TEST_PACKAGE)).toBeNull();
      await projector.start();
      await projector.caughtUp();

      expect(releaseNames((await store.get(TEST_PACKAGE))!)).toEqual(['1.0.0']);
    });

    it('applies the events another process wrote, reading the store', async () => {
      const { writer, log, store, projector } = service;
      await writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'c0' } }));
      await projector.caughtUp();
      const reads = store.reads.length;

      await appendAsAnotherWriter(log, commandMeta({ commandId: 'other-writer' }), '2.0.0');
      await projector.caughtUp();

      expect(store.reads.slice(reads)).toEqual([TEST_PACKAGE]);
      expect(releaseNames((await store.get(TEST_PACKAGE))!).sort()).toEqual(['1.0.0', '2.0.0']);
    });
  });

  describe('on the package head', () => {
    const big = 'ns1/big';

    it('decides pushes, a forced push, channel commands and deletes on the head and the rows they touch, never reading the whole view, and stores what a replay of the log stores', async () => {
      const { writer, log, store, projector } = service;
      await log.append(big, 0, publishedEnvelopes(big, 0, 50));
      await projector.caughtUp();
      await projector.onApplicationShutdown(); // its reads are not the writer's
      const wholeReads = store.wholeViewReads.length;
      const meta = (commandId: string) => ({ commandId });

      await writer.execute(pushRelease({ package: big, release: '9.0.0', meta: meta('p1') }));
      await writer.execute(pushRelease({ package: big, release: '9.0.0', mediaType: 'kpm', meta: meta('p2') }));
      const forced = await writer.execute(
        pushRelease({
          package: big,
          release: '9.0.0',
          force: true,
          metadata: { again: true },
          content: { blobDigest: testDigest('again') },
          meta: meta('p3'),
        }),
      );
      await writer.execute(addReleaseToChannel({ package: big, release: '9.0.0', meta: meta('c1') }));
      await writer.execute(addReleaseToChannel({ package: big, release: '1.7.0', meta: meta('c2') }));
      const refused = await settle(writer.execute(pushRelease({ package: big, release: '1.3.0', meta: meta('p4') })));
      await writer.execute(deleteRelease({ package: big, release: '1.7.0', meta: meta('d1') }));
      await writer.execute(deleteRelease({ package: big, release: '9.0.0', mediaType: 'kpm', meta: meta('d2') }));

      expect(store.wholeViewReads.slice(wholeReads)).toEqual([]);
      expect((refused as { error: unknown }).error).toBeInstanceOf(PackageExistsError);
      const forcedEvent = log.streamOf(big).find((e) => e.sequence === forced.sequences[0]);
      expect(forcedEvent?.data).toMatchObject({
        replaced: { blobDigest: published({ release: '9.0.0' }).data.blobDigest },
      });
      const replayed = new InMemoryMetadataStore();
      await new PackageProjection(replayed).apply(big, log.streamOf(big));
      expect(JSON.stringify(await store.getHead(big))).toBe(JSON.stringify(await replayed.getHead(big)));
      expect(await store.get(big)).toEqual(await replayed.get(big));
      expect((await store.get(big))!.channels).toEqual([{ name: 'stable', current: '9.0.0', releases: ['9.0.0'] }]);
    });

    it('applies from the stored view when the store moved on between the head read and the write', async () => {
      const { writer, log, store, projector } = service;
      await writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'c0' } }));
      await projector.caughtUp();
      await projector.onApplicationShutdown();
      // The projector (of another process) stores the writer's own event just before the writer's put compares sequences.
      store.beforeNextPut(async () => {
        await new PackageProjection(store).apply(TEST_PACKAGE, log.streamOf(TEST_PACKAGE));
      });
      const reads = store.wholeViewReads.length;

      await writer.execute(pushRelease({ release: '2.0.0', meta: { commandId: 'c1' } }));

      expect(store.putAttempts.slice(-2)).toEqual([
        { pkg: TEST_PACKAGE, sequence: 2, expectedSequence: 1, stored: true },
        { pkg: TEST_PACKAGE, sequence: 2, expectedSequence: 1, stored: false },
      ]);
      // The other projection's read, then the fallback's: the writer applies from the stored view.
      expect(store.wholeViewReads.slice(reads)).toEqual([TEST_PACKAGE, TEST_PACKAGE]);
      expect(releaseNames((await store.get(TEST_PACKAGE))!)).toEqual(['1.0.0', '2.0.0']);
      expect((await store.get(TEST_PACKAGE))!.sequence).toBe(2);
    });
  });

  describe('commands for one package that arrive while it is busy', () => {
    it('are decided in arrival order on one read of the view, appended together, each answered with its own events', async () => {
      const { writer, log, store } = service;
      await writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'c0' } }));
      await service.projector.caughtUp();
      await service.projector.onApplicationShutdown(); // its reads of the view are not the writer's
      const appends = log.appendAttempts.length;
      const reads = store.reads.length;

      const results = await Promise.all(
        ['2.0.0', '3.0.0', '4.0.0'].map((release, i) =>
          writer.execute(pushRelease({ release, meta: { commandId: `c${i + 1}` } })),
        ),
      );

      expect(results.map((r) => r.sequences)).toEqual([[2], [3], [4]]);
      expect(log.appendAttempts.slice(appends)).toEqual([
        { pkg: TEST_PACKAGE, expectedSequence: 1, sequences: [2, 3, 4] },
      ]);
      expect(store.reads.slice(reads)).toEqual([TEST_PACKAGE]);
      expect(log.streamOf(TEST_PACKAGE).map((e) => e.causationId)).toEqual(['c0', 'c1', 'c2', 'c3']);
      expect(releaseNames((await store.get(TEST_PACKAGE))!)).toEqual(['1.0.0', '2.0.0', '3.0.0', '4.0.0']);
    });

    it('refuses only the command that is refused, deciding the next ones on the view without it', async () => {
      const { writer, log } = service;

      const outcomes = await Promise.all([
        settle(writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'first' } }))),
        settle(writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'duplicate' } }))),
        settle(writer.execute(addReleaseToChannel({ release: '1.0.0', meta: { commandId: 'channel' } }))),
      ]);

      expect('error' in outcomes[1] && outcomes[1].error).toBeInstanceOf(PackageExistsError);
      expect(outcomes.map((o) => ('value' in o ? o.value.sequences : 'refused'))).toEqual([[1], 'refused', [2]]);
      expect(log.streamOf(TEST_PACKAGE).map((e) => e.causationId)).toEqual(['first', 'channel']);
    });

    it('fail together when their append fails, and store nothing', async () => {
      const { writer, log, store } = service;
      await writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'c0' } }));
      log.beforeNextAppend(() => {
        throw new ServiceUnavailableError('event log');
      });
      const before = await store.get(TEST_PACKAGE);

      const outcomes = await Promise.all(
        ['2.0.0', '3.0.0'].map((release, i) =>
          settle(writer.execute(pushRelease({ release, meta: { commandId: `c${i + 1}` } }))),
        ),
      );

      for (const outcome of outcomes)
        expect('error' in outcome && outcome.error).toBeInstanceOf(ServiceUnavailableError);
      expect(log.streamOf(TEST_PACKAGE).map((e) => e.causationId)).toEqual(['c0']);
      expect(await store.get(TEST_PACKAGE)).toEqual(before);
      await expect(writer.execute(pushRelease({ release: '2.0.0', meta: { commandId: 'c1' } }))).resolves.toMatchObject(
        { sequences: [2] },
      );
    });
  });

  describe('pushes that carry a namespace quota', () => {
    /** A 218-byte push of 1.0.0 into package `name` of namespace ns1, under a quota of `quota` bytes. */
    const quotaPush = (name: string, quota: number, meta: Partial<PackageCommand['meta']> = {}) =>
      pushRelease({
        package: `ns1/${name}`,
        release: '1.0.0',
        namespaceQuotaBytes: quota,
        content: { size: 218 },
        meta: { commandId: `push-${name}`, ...meta },
      });

    async function storedBytesOfNamespace(
      store: ReturnType<typeof metadataService>['store'],
      namespace: string,
    ): Promise<number> {
      const summaries = await store.list({ namespace, visibleNamespaces: 'all', limit: 1000 });
      return summaries.reduce((sum, s) => sum + s.storedBytes, 0);
    }

    it('twelve at once into twelve packages of one namespace: admitted up to the quota and no further', async () => {
      const { writer, store } = service;

      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) => settle(writer.execute(quotaPush(`app${i}`, 700)))),
      );

      const admitted = outcomes.filter((o) => 'value' in o);
      const refused = outcomes.filter((o) => 'error' in o).map((o) => ('error' in o ? o.error : null));
      expect(admitted).toHaveLength(3); // 3 × 218 = 654 ≤ 700 < 4 × 218
      expect(refused).toHaveLength(9);
      for (const error of refused) expect(error).toBeInstanceOf(QuotaExceededError);
      expect(await storedBytesOfNamespace(store, 'ns1')).toBe(654);
    });

    it('counts what the namespace already stores, and other namespaces not at all', async () => {
      const { writer, store } = service;
      await writer.execute(
        pushRelease({ package: 'ns1/old', release: '1.0.0', content: { size: 300 }, meta: { commandId: 'old' } }),
      );
      await writer.execute(
        pushRelease({ package: 'ns2/other', release: '1.0.0', content: { size: 5_000 }, meta: { commandId: 'other' } }),
      );

      const outcomes = await Promise.all(
        Array.from({ length: 4 }, (_, i) => settle(writer.execute(quotaPush(`app${i}`, 700)))),
      );

      expect(outcomes.filter((o) => 'value' in o)).toHaveLength(1); // 300 + 218 = 518; one more would be 736
      expect(await storedBytesOfNamespace(store, 'ns1')).toBe(518);
    });

    it('frees what a batch reserved when its append fails', async () => {
      const { writer, log } = service;
      log.beforeNextAppend(() => {
        throw new ServiceUnavailableError('event log');
      });
      await expect(writer.execute(quotaPush('app0', 436))).rejects.toBeInstanceOf(ServiceUnavailableError);

      const outcomes = await Promise.all([
        settle(writer.execute(quotaPush('app1', 436))),
        settle(writer.execute(quotaPush('app2', 436))),
      ]);

      expect(outcomes.map((o) => 'value' in o)).toEqual([true, true]);
    });
  });

  it('refuses only the command whose event breaks its contract (metadata nested too deep), not its batch', async () => {
    const { writer, log } = service;
    let deep: JsonValue = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];

    const outcomes = await Promise.all([
      settle(writer.execute(pushRelease({ release: '1.0.0', metadata: deep, meta: { commandId: 'deep' } }))),
      settle(writer.execute(pushRelease({ release: '2.0.0', meta: { commandId: 'flat' } }))),
    ]);

    expect('error' in outcomes[0] && outcomes[0].error).toBeInstanceOf(EventContractError);
    expect(log.streamOf(TEST_PACKAGE).map((e) => e.causationId)).toEqual(['flat']);
  });

  describe('on a ConcurrencyConflictError', () => {
    beforeEach(() => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    });

    // Exposes a deadlock: the writer waits for the projector while holding the package's lock,
    // and the projector needs that lock to apply the other writer's event (see report).
    it('lets the store catch up with another writer, then decides again on the newer view', async () => {
      const { writer, log, store } = service;
      log.beforeNextAppend(() => appendAsAnotherWriter(log, commandMeta({ commandId: 'other-writer' }), '0.9.0'));

      const outcome = settle(writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'mine' } })));
      await jest.advanceTimersByTimeAsync(60_000);

      expect(await outcome).toEqual({ value: { sequences: [2], visibility: 'public' } });
      expect(log.streamOf(TEST_PACKAGE).map((e) => [e.sequence, e.causationId])).toEqual([
        [1, 'other-writer'],
        [2, 'mine'],
      ]);
      const stored = await store.get(TEST_PACKAGE);
      expect(stored && releaseNames(stored).sort()).toEqual(['0.9.0', '1.0.0']);
    });

    // Same deadlock: the log holds the command's events (a crash between append and apply), the
    // store does not, and the command is redelivered.
    it('recognises a redelivered command once the store has caught up, appending nothing', async () => {
      const { writer, log, store, projector } = service;
      await projector.onApplicationShutdown();
      const push = pushRelease({ release: '1.0.0', meta: { commandId: 'push-1' } });
      await log.append(TEST_PACKAGE, 0, envelopesFor(TEST_PACKAGE, 0, [published({ release: '1.0.0' })], push.meta));

      const outcome = settle(writer.execute(push));
      await projector.start();
      await jest.advanceTimersByTimeAsync(60_000);

      expect(await outcome).toEqual({ value: { sequences: [], visibility: 'public' } });
      expect(log.streamOf(TEST_PACKAGE)).toHaveLength(1);
      expect((await store.get(TEST_PACKAGE))?.sequence).toBe(1);
    });

    it('gives up with the ConcurrencyConflictError when every attempt conflicts, having appended nothing of its own', async () => {
      const { writer, log } = service;
      let raced = 0;
      const raceAgain = async (): Promise<void> => {
        raced++;
        await appendAsAnotherWriter(log, commandMeta({ commandId: `other-${raced}` }), `0.0.${raced}`);
        log.beforeNextAppend(raceAgain);
      };
      log.beforeNextAppend(raceAgain);

      const outcome = settle(writer.execute(pushRelease({ release: '1.0.0', meta: { commandId: 'mine' } })));
      await jest.advanceTimersByTimeAsync(120_000);

      const settled = await outcome;
      expect('error' in settled && settled.error).toBeInstanceOf(ConcurrencyConflictError);
      expect(raced).toBeLessThanOrEqual(10);
      expect(log.streamOf(TEST_PACKAGE).filter((e) => e.causationId === 'mine')).toEqual([]);
    });
  });
});

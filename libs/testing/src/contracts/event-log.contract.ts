/**
 * The EventLog contract (libs/ports/src/event-log.port.ts), run unchanged against every adapter:
 *
 *   describeEventLogContract('event-log-kafka', async () => ({ subject, cleanup, appendRaw, reopen }));
 *
 * Each test gets a fresh log from the factory and uses its own package and group names.
 * Delivery is asynchronous, so deliveries are awaited with bounded polls, and every "was not
 * delivered" check is made only after a later event (a witness) was seen to arrive.
 */
import type { StoredEvent } from '@wharf/contracts';
import { ConcurrencyConflictError, ServiceUnavailableError } from '@wharf/domain';
import { EventLog, SubscribeOptions, Subscription, UnappliableEventsError } from '@wharf/ports';
import { ContractFixture, ContractOptions, requireHook, uniqueName, useContractFixture } from './contract-fixture';
import { publishedEnvelopes } from './contract-data.factory';
import { eventually, gate, turnEventLoop } from './eventually';

export interface EventLogFixture extends ContractFixture<EventLog> {
  /**
   * Writes `raw` (the serialized envelope, as bytes on the wire would be) to the package's
   * stream at `sequence`, skipping every check, as a broken or outdated producer would.
   * Needed to check that invalid events are set aside.
   */
  appendRaw?(pkg: string, sequence: number, raw: string): Promise<void>;
  /** A second, independent handle on the same log, as another or a restarted process opens it; the suite closes it. */
  reopen?(): Promise<EventLog>;
  /** What `group` set aside, when the adapter records it; checked to carry a reason. */
  setAside?(group: string): Promise<{ position: string; reason: string }[]>;
}

interface Follower {
  subscription: Subscription;
  /** Every batch handed to the handler, including ones it failed. */
  attempts: StoredEvent[][];
  /** Events of batches the handler resolved, in delivery order. */
  handled(): StoredEvent[];
  stop(): Promise<void>;
}

export function describeEventLogContract(
  name: string,
  factory: () => Promise<EventLogFixture>,
  options: ContractOptions = {},
): void {
  const within = options.eventuallyMs ?? 5_000;
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`EventLog contract: ${name}`, () => {
    const ctx = useContractFixture(factory, timeout);
    const log = () => ctx.fixture.subject;
    const pkgName = () => `${uniqueName('ns')}/app`;

    /** Subscribes `handle` (default: accept); stopped at teardown, and never called after its stop resolved. */
    async function follow(
      on: EventLog,
      subscribe: SubscribeOptions,
      handle: (batch: StoredEvent[]) => Promise<void> = async () => {},
    ): Promise<Follower> {
      const attempts: StoredEvent[][] = [];
      const done: StoredEvent[][] = [];
      const afterStop: StoredEvent[][] = [];
      let stopped = false;
      let stopping: Promise<void> | undefined;
      const subscription = await on.subscribe(subscribe, async (batch) => {
        if (stopped) afterStop.push(batch);
        attempts.push(batch);
        await handle(batch);
        done.push(batch);
      });
      const stop = () => (stopping ??= subscription.stop().then(() => void (stopped = true)));
      ctx.defer(async () => {
        await stop();
        expect({ group: subscribe.group, batchesHandedAfterStop: afterStop }).toEqual({
          group: subscribe.group,
          batchesHandedAfterStop: [],
        });
      });
      return { subscription, attempts, handled: () => done.flat(), stop };
    }

    async function reopened(): Promise<EventLog> {
      const other = await requireHook(ctx.fixture, 'reopen', 'the log is shared by processes')();
      ctx.defer(() => other.close());
      return other;
    }

    const ids = (events: readonly { id: string }[]) => events.map((e) => e.id);
    const withoutPosition = ({ position: _position, ...envelope }: StoredEvent) => envelope;

    async function expectConflict(append: Promise<unknown>): Promise<void> {
      await expect(append).rejects.toBeInstanceOf(ConcurrencyConflictError);
    }

    /** Waits until `follower` handled every one of `expected` (by id). */
    async function handledAll(follower: Follower, expected: readonly { id: string }[]): Promise<void> {
      await eventually(() => expect(ids(follower.handled())).toEqual(expect.arrayContaining(ids(expected))), within);
    }

    describe('append', () => {
      it(
        'should start a stream at expectedSequence 0 and return the events with their positions',
        async () => {
          const pkg = pkgName();
          const before = await log().count();
          const envelopes = publishedEnvelopes(pkg, 0, 2);

          const stored = await log().append(pkg, 0, envelopes);

          expect(stored.map(withoutPosition)).toEqual(envelopes);
          const positions = stored.map((e) => e.position);
          expect(positions.every((p) => typeof p === 'string' && p.length > 0)).toBe(true);
          expect(new Set(positions).size).toBe(2);
          expect(await log().count()).toBe(before + 2);
        },
        timeout,
      );

      it(
        'should continue a stream from the last sequence the writer saw',
        async () => {
          const pkg = pkgName();
          const first = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 1));

          const next = await log().append(pkg, 1, publishedEnvelopes(pkg, 1, 2));

          expect(next.map((e) => e.sequence)).toEqual([2, 3]);
          const follower = await follow(log(), { group: uniqueName('g') });
          await handledAll(follower, [...first, ...next]);
          expect(follower.handled().filter((e) => e.package === pkg)).toEqual([...first, ...next]);
        },
        timeout,
      );

      it(
        'should keep the streams of different packages independent',
        async () => {
          const [a, b] = [pkgName(), pkgName()];

          const stored = [
            ...(await log().append(a, 0, publishedEnvelopes(a, 0, 2))),
            ...(await log().append(b, 0, publishedEnvelopes(b, 0, 1))),
          ];

          expect(stored.map((e) => [e.package, e.sequence])).toEqual([
            [a, 1],
            [a, 2],
            [b, 1],
          ]);
        },
        timeout,
      );

      it(
        'should throw ConcurrencyConflictError and append nothing when expectedSequence is not the last sequence',
        async () => {
          const pkg = pkgName();
          const fresh = pkgName();
          const kept = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 2));
          const before = await log().count();
          const refused = [
            publishedEnvelopes(pkg, 1, 2),
            publishedEnvelopes(pkg, 0, 1),
            publishedEnvelopes(pkg, 3, 1),
            publishedEnvelopes(fresh, 1, 1),
          ];

          await expectConflict(log().append(pkg, 1, refused[0]));
          await expectConflict(log().append(pkg, 0, refused[1]));
          await expectConflict(log().append(pkg, 3, refused[2]));
          await expectConflict(log().append(fresh, 1, refused[3]));

          expect(await log().count()).toBe(before);
          const witness = await log().append(pkg, 2, publishedEnvelopes(pkg, 2, 1));
          const follower = await follow(log(), { group: uniqueName('g') });
          await handledAll(follower, witness);
          expect(follower.handled()).toEqual([...kept, ...witness]);
        },
        timeout,
      );

      it(
        'should append a batch all or none',
        async () => {
          const pkg = pkgName();
          await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 1));
          const before = await log().count();
          const [second, third, fourth] = publishedEnvelopes(pkg, 1, 3);
          const foreign = publishedEnvelopes(pkgName(), 2, 1)[0];

          await expect(log().append(pkg, 1, [second, third, { ...fourth, sequence: 5 }])).rejects.toThrow();
          await expect(log().append(pkg, 1, [second, { ...third, package: foreign.package }])).rejects.toThrow();

          expect(await log().count()).toBe(before);
          const retried = await log().append(pkg, 1, publishedEnvelopes(pkg, 1, 1));
          expect(retried.map((e) => e.sequence)).toEqual([2]);
        },
        timeout,
      );

      it(
        'should let exactly one of concurrent appends with the same expectedSequence win',
        async () => {
          const pkg = pkgName();
          const before = await log().count();
          const batches = Array.from({ length: 8 }, () => publishedEnvelopes(pkg, 0, 2));

          const results = await Promise.allSettled(batches.map((batch) => log().append(pkg, 0, batch)));

          const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
          const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
          expect(won).toHaveLength(1);
          expect(lost.every((e) => e instanceof ConcurrencyConflictError)).toBe(true);
          expect(await log().count()).toBe(before + 2);
          const follower = await follow(log(), { group: uniqueName('g') });
          await handledAll(follower, won[0]);
          expect(follower.handled().filter((e) => e.package === pkg)).toEqual(won[0]);
        },
        timeout,
      );

      it(
        'should keep concurrent appends to other streams when one of them is refused',
        async () => {
          const [a, b, conflicted, malformed] = [pkgName(), pkgName(), pkgName(), pkgName()];
          await log().append(conflicted, 0, publishedEnvelopes(conflicted, 0, 1));
          const before = await log().count();
          const [first, second] = publishedEnvelopes(malformed, 0, 2);

          const results = await Promise.allSettled([
            log().append(a, 0, publishedEnvelopes(a, 0, 2)),
            log().append(conflicted, 0, publishedEnvelopes(conflicted, 0, 1)),
            log().append(malformed, 0, [first, { ...second, sequence: 3 }]),
            log().append(b, 0, publishedEnvelopes(b, 0, 1)),
          ]);

          expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
          expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyConflictError);
          expect(await log().count()).toBe(before + 3);
          await expect(log().append(malformed, 0, publishedEnvelopes(malformed, 0, 1))).resolves.toHaveLength(1);
        },
        timeout,
      );

      it(
        'should let exactly one of concurrent appends through two handles on the same log win',
        async () => {
          const other = await reopened();
          const pkg = pkgName();
          const batches = Array.from({ length: 6 }, () => publishedEnvelopes(pkg, 0, 1));

          const results = await Promise.allSettled(
            batches.map((batch, i) => (i % 2 === 0 ? log() : other).append(pkg, 0, batch)),
          );

          expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
          for (const r of results)
            if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrencyConflictError);
          await expectConflict(other.append(pkg, 0, publishedEnvelopes(pkg, 0, 1)));
        },
        timeout,
      );

      it(
        'should keep acknowledged events when the log is closed and opened again',
        async () => {
          const pkg = pkgName();
          const stored = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 3));
          const before = await log().count();
          await log().close();
          ctx.markClosed();

          const again = await reopened();

          expect(await again.count()).toBe(before);
          await expectConflict(again.append(pkg, 0, publishedEnvelopes(pkg, 0, 1)));
          const follower = await follow(again, { group: uniqueName('g') });
          await handledAll(follower, stored);
          expect(follower.handled().filter((e) => e.package === pkg)).toEqual(stored);
        },
        timeout,
      );
    });

    describe('subscribe', () => {
      it(
        'should deliver every event once to a group, in stream order per package, in batches of at most batchSize',
        async () => {
          const [a, b, c] = [pkgName(), pkgName(), pkgName()];
          const stored: StoredEvent[] = [];
          stored.push(...(await log().append(a, 0, publishedEnvelopes(a, 0, 3))));
          stored.push(...(await log().append(b, 0, publishedEnvelopes(b, 0, 2))));

          const follower = await follow(log(), { group: uniqueName('g'), batchSize: 2 });
          stored.push(...(await log().append(c, 0, publishedEnvelopes(c, 0, 2))));
          stored.push(...(await log().append(a, 3, publishedEnvelopes(a, 3, 1))));
          stored.push(...(await log().append(b, 2, publishedEnvelopes(b, 2, 1))));
          await handledAll(follower, stored);
          await eventually(async () => expect(await follower.subscription.lag()).toBe(0), within);
          await follower.stop();

          const handled = follower.handled();
          expect(handled).toHaveLength(stored.length);
          expect(new Set(ids(handled)).size).toBe(stored.length);
          for (const pkg of [a, b, c]) {
            expect(handled.filter((e) => e.package === pkg)).toEqual(stored.filter((e) => e.package === pkg));
          }
          expect(follower.attempts.every((batch) => batch.length >= 1 && batch.length <= 2)).toBe(true);
        },
        timeout,
      );

      it(
        'should let the process run other work between batches while a group catches up on a backlog',
        async () => {
          const pkg = pkgName();
          const backlog = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 40));
          // A handler that never waits on I/O (as one writing to an in-process store does): an
          // adapter that runs batch after batch on promises alone starves timers and sockets
          // (a server's HTTP) until the whole backlog is handled.
          const follower = await follow(log(), { group: uniqueName('g'), batchSize: 5 });
          const handledWhenOtherWorkRan = await new Promise<number>((resolve) =>
            setImmediate(() => resolve(follower.handled().filter((e) => e.package === pkg).length)),
          );

          expect(handledWhenOtherWorkRan).toBeLessThan(backlog.length);
          await handledAll(follower, backlog);
        },
        timeout,
      );

      it(
        'should deliver to each group independently',
        async () => {
          const pkg = pkgName();
          const early = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 3));
          const [one, two] = [uniqueName('g'), uniqueName('g')];
          const first = await follow(log(), { group: one });
          const second = await follow(log(), { group: two });
          await handledAll(first, early);
          await handledAll(second, early);

          await first.stop();
          const late = await log().append(pkg, 3, publishedEnvelopes(pkg, 3, 2));
          await handledAll(second, late);
          expect(second.handled()).toEqual([...early, ...late]);
          expect(first.handled()).toEqual(early);

          const resumed = await follow(log(), { group: one });
          await handledAll(resumed, late);
          expect(resumed.handled()).toEqual(late);
        },
        timeout,
      );

      it(
        'should resume after the checkpoint when a group subscribes again, redelivering no handled batch',
        async () => {
          const pkg = pkgName();
          const group = uniqueName('g');
          const handled = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 3));
          const first = await follow(log(), { group, batchSize: 2 });
          await handledAll(first, handled);
          await first.stop();

          const fresh = await log().append(pkg, 3, publishedEnvelopes(pkg, 3, 2));
          const again = await follow(log(), { group, batchSize: 2 });
          await handledAll(again, fresh);
          await eventually(async () => expect(await again.subscription.lag()).toBe(0), within);

          expect(again.attempts.flat()).toEqual(fresh);
        },
        timeout,
      );

      it(
        'should keep a group checkpoint when the log is closed and opened again',
        async () => {
          const pkg = pkgName();
          const group = uniqueName('g');
          const handled = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 2));
          const first = await follow(log(), { group });
          await handledAll(first, handled);
          await first.stop();
          await log().close();
          ctx.markClosed();

          const again = await reopened();
          const fresh = await again.append(pkg, 2, publishedEnvelopes(pkg, 2, 1));
          const resumed = await follow(again, { group });
          await handledAll(resumed, fresh);

          expect(resumed.attempts.flat()).toEqual(fresh);
        },
        timeout,
      );

      it(
        'should resolve stop only after the batch in flight was handled and checkpointed',
        async () => {
          const pkg = pkgName();
          const group = uniqueName('g');
          const held = gate();
          const stored = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 2));
          const first = await follow(log(), { group }, () => held.promise);
          await eventually(() => expect(first.attempts).toHaveLength(1), within);

          let stopResolved = false;
          const stopping = first.stop().then(() => void (stopResolved = true));
          await turnEventLoop();
          expect(stopResolved).toBe(false);
          held.open();
          await stopping;

          const [inFlight] = first.attempts;
          expect(first.handled()).toEqual(inFlight);
          const witness = await log().append(pkg, 2, publishedEnvelopes(pkg, 2, 1));
          const again = await follow(log(), { group });
          await handledAll(again, witness);
          expect(again.attempts.flat()).toEqual([...stored.slice(inFlight.length), ...witness]);
        },
        timeout,
      );

      it(
        'should hand a batch whose handler threw to the handler again, moving no checkpoint meanwhile',
        async () => {
          const pkg = pkgName();
          const stored = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 3));
          let failing = true;
          // Far from the bound on attempts (tested below), so this failure is only ever retried.
          const follower = await follow(
            log(),
            { group: uniqueName('g'), batchSize: 10, maxAttempts: 1_000_000 },
            async () => {
              if (failing) throw new Error('handler failed');
            },
          );

          await eventually(() => expect(follower.attempts.length).toBeGreaterThanOrEqual(2), within);
          await eventually(async () => expect(await follower.subscription.lag()).toBe(stored.length), within);
          expect(follower.handled()).toEqual([]);
          failing = false;
          await handledAll(follower, stored);
          await eventually(async () => expect(await follower.subscription.lag()).toBe(0), within);

          const [failed, retried] = follower.attempts;
          expect(ids(retried.slice(0, failed.length))).toEqual(ids(failed));
          expect(follower.handled()).toEqual(stored);
        },
        timeout,
      );

      it(
        'should set aside an event its handler keeps failing on after maxAttempts, alone, and apply its neighbours',
        async () => {
          const pkgs = [pkgName(), pkgName()];
          const stored = [
            ...(await log().append(pkgs[0], 0, publishedEnvelopes(pkgs[0], 0, 3))),
            ...(await log().append(pkgs[1], 0, publishedEnvelopes(pkgs[1], 0, 2))),
          ];
          const poison = stored[1];
          const group = uniqueName('g');
          const follower = await follow(log(), { group, batchSize: 10, maxAttempts: 2 }, async (batch) => {
            if (batch.some((e) => e.id === poison.id)) throw new Error('cannot apply this one');
          });

          await eventually(async () => expect(await follower.subscription.lag()).toBe(0), within);
          expect(ids(follower.handled()).sort()).toEqual(ids(stored.filter((e) => e.id !== poison.id)).sort());
          // Tried twice in its batch, then twice on its own; never handed over again.
          expect(
            follower.attempts
              .filter((batch) => batch.some((e) => e.id === poison.id))
              .map((batch) => batch.length === 1),
          ).toEqual([false, false, true, true]);
          if (ctx.fixture.setAside) {
            const setAside = await ctx.fixture.setAside(group);
            expect(setAside).toEqual([
              { position: poison.position, reason: expect.stringContaining('cannot apply this one') },
            ]);
          }
        },
        timeout,
      );

      it(
        'should set aside at once the events a handler rejects with UnappliableEventsError, keeping the rest of the batch',
        async () => {
          const pkg = pkgName();
          const stored = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 3));
          const group = uniqueName('g');
          const follower = await follow(log(), { group, batchSize: 10, maxAttempts: 1_000_000 }, async (batch) => {
            const rejected = batch.filter((e) => e.sequence >= 2);
            if (rejected.length > 0)
              throw new UnappliableEventsError(
                rejected.map((event) => ({ event, reason: `no room for ${event.sequence}` })),
              );
          });

          await eventually(async () => expect(await follower.subscription.lag()).toBe(0), within);
          expect(follower.attempts.flat()).toEqual(stored);
          if (ctx.fixture.setAside) {
            const setAside = await ctx.fixture.setAside(group);
            expect(setAside).toEqual(
              stored.slice(1).map((e) => ({ position: e.position, reason: `no room for ${e.sequence}` })),
            );
          }
        },
        timeout,
      );

      it(
        'should retry an outage of the handler without bound and set nothing aside',
        async () => {
          const pkg = pkgName();
          const stored = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 2));
          const group = uniqueName('g');
          let outages = 0;
          const follower = await follow(log(), { group, batchSize: 10, maxAttempts: 1 }, async () => {
            if (outages++ < 4) throw new ServiceUnavailableError('the store');
          });

          await handledAll(follower, stored);
          await eventually(async () => expect(await follower.subscription.lag()).toBe(0), within);
          expect(follower.attempts.map((batch) => ids(batch))).toEqual(Array.from({ length: 5 }, () => ids(stored)));
          if (ctx.fixture.setAside) expect(await ctx.fixture.setAside(group)).toEqual([]);
        },
        timeout,
      );

      it(
        'should set aside an event that fails validation, never hand it over, and move on',
        async () => {
          const appendRaw = requireHook(ctx.fixture, 'appendRaw', 'invalid events are set aside');
          const good = pkgName();
          const bad = [pkgName(), pkgName(), pkgName()];
          const stored: StoredEvent[] = [...(await log().append(good, 0, publishedEnvelopes(good, 0, 1)))];
          const [valid] = publishedEnvelopes(bad[1], 0, 1);
          await appendRaw(bad[0], 1, 'this is not an event');
          await appendRaw(bad[1], 1, JSON.stringify({ ...valid, type: 'PackageRenamed' }));
          await appendRaw(bad[2], 1, JSON.stringify({ ...valid, package: bad[2], data: { release: '1.0.0' } }));
          stored.push(...(await log().append(good, 1, publishedEnvelopes(good, 1, 1))));
          const group = uniqueName('g');

          const follower = await follow(log(), { group, batchSize: 2 });

          await handledAll(follower, stored);
          await eventually(async () => expect(await follower.subscription.lag()).toBe(0), within);
          expect(follower.attempts.flat()).toEqual(stored);
          if (ctx.fixture.setAside) {
            const setAside = await ctx.fixture.setAside(group);
            expect(setAside).toHaveLength(3);
            expect(setAside.every((entry) => entry.reason.length > 0)).toBe(true);
          }
        },
        timeout,
      );

      it(
        'should share the work and one checkpoint among the consumers of a group',
        async () => {
          const group = uniqueName('g');
          const pkgs = [pkgName(), pkgName(), pkgName()];
          const stored: StoredEvent[] = [];
          for (const pkg of pkgs) stored.push(...(await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 2))));
          const consumers = [
            await follow(log(), { group, batchSize: 2 }),
            await follow(log(), { group, batchSize: 2 }),
          ];

          await eventually(
            () => expect(ids(consumers.flatMap((c) => c.handled()))).toEqual(expect.arrayContaining(ids(stored))),
            within,
          );
          await eventually(async () => expect(await consumers[0].subscription.lag()).toBe(0), within);
          await Promise.all(consumers.map((c) => c.stop()));

          const witness = await log().append(pkgs[0], 2, publishedEnvelopes(pkgs[0], 2, 1));
          const third = await follow(log(), { group });
          await handledAll(third, witness);
          expect(third.attempts.flat()).toEqual(witness);
        },
        timeout,
      );
    });

    describe('lag', () => {
      it(
        'should count the events the group has not yet handled and checkpointed',
        async () => {
          const pkg = pkgName();
          const held = gate();
          const stored = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 4));
          const follower = await follow(log(), { group: uniqueName('g'), batchSize: 2 }, async (batch) => {
            if (batch.some((e) => e.sequence > 2)) await held.promise;
          });

          await eventually(() => expect(follower.handled()).toEqual(stored.slice(0, 2)), within);
          await eventually(async () => expect(await follower.subscription.lag()).toBe(2), within);
          held.open();
          await handledAll(follower, stored);
          await eventually(async () => expect(await follower.subscription.lag()).toBe(0), within);

          const more = await log().append(pkg, 4, publishedEnvelopes(pkg, 4, 1));
          await handledAll(follower, more);
          await eventually(async () => expect(await follower.subscription.lag()).toBe(0), within);
        },
        timeout,
      );
    });

    describe('count', () => {
      it(
        'should count every appended event and none of a refused append',
        async () => {
          const [a, b] = [pkgName(), pkgName()];
          const before = await log().count();

          await log().append(a, 0, publishedEnvelopes(a, 0, 2));
          await log().append(b, 0, publishedEnvelopes(b, 0, 1));
          await expectConflict(log().append(a, 0, publishedEnvelopes(a, 0, 1)));

          expect(await log().count()).toBe(before + 3);
        },
        timeout,
      );
    });

    describe('close', () => {
      it(
        'should fail further calls',
        async () => {
          const pkg = pkgName();
          await log().close();
          ctx.markClosed();

          await expect(log().count()).rejects.toThrow();
          await expect(log().append(pkg, 0, publishedEnvelopes(pkg, 0, 1))).rejects.toThrow();
          await expect(log().subscribe({ group: uniqueName('g') }, async () => {})).rejects.toThrow();
        },
        timeout,
      );
    });
  });
}

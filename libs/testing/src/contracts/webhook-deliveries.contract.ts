/**
 * The WebhookDeliveryStore contract (libs/ports/src/webhook-deliveries.port.ts), run unchanged
 * against every adapter:
 *
 *   describeWebhookDeliveryStoreContract('webhook-deliveries-sqlite', async () => ({ subject, cleanup }));
 *
 * Each test gets a fresh store and uses its own subscription ids.
 */
import { laneShard } from '@wharf/domain';
import type { DeliveryAttempt, NewDelivery, WebhookDeliveryStore } from '@wharf/ports';
import { ContractFixture, ContractOptions, uniqueName, useContractFixture } from './contract-fixture';

export type WebhookDeliveryStoreFixture = ContractFixture<WebhookDeliveryStore>;

const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

let sequence = 0;

/** A delivery of the next sequence (so deliveries made one after the other are in lane order). */
export function newDelivery(over: Partial<NewDelivery> = {}): NewDelivery {
  const eventId = over.eventId ?? uniqueName('ev');
  return {
    subscription: 'w',
    namespace: 'acme',
    package: 'acme/web',
    sequence: ++sequence,
    eventId,
    eventType: 'io.wharf.release.published',
    body: JSON.stringify({ id: eventId }),
    createdAt: T(0),
    ...over,
  };
}

const attempt = (status: number | null, at = T(1)): DeliveryAttempt => ({
  at,
  status,
  latencyMs: 12,
  error: status === null ? 'connection refused' : null,
  response: status === null ? '' : `status ${status}`,
});

export function describeWebhookDeliveryStoreContract(
  name: string,
  factory: () => Promise<WebhookDeliveryStoreFixture>,
  options: ContractOptions = {},
): void {
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`WebhookDeliveryStore contract: ${name}`, () => {
    const ctx = useContractFixture(factory, timeout);
    const store = () => ctx.fixture.subject;
    const dueIds = async (now = T(100), busy: ReadonlySet<string> = new Set()) =>
      (await store().due(now, 100, busy)).map((d) => d.eventId);

    it(
      'should hand out only the head of each lane, in enqueue order, and the next once the head is delivered',
      async () => {
        const sub = uniqueName('w');
        const [a1, a2, b1] = [
          newDelivery({ subscription: sub, eventId: 'a1' }),
          newDelivery({ subscription: sub, eventId: 'a2' }),
          newDelivery({ subscription: sub, eventId: 'b1', package: 'acme/api' }),
        ];
        await store().enqueue([a1, a2, b1], []);
        expect((await dueIds()).sort()).toEqual(['a1', 'b1']);
        const head = (await store().due(T(100), 100, new Set())).find((d) => d.eventId === 'a1')!;
        expect(head).toMatchObject({ ...a1, state: 'pending', tries: 0, deliveredAt: null });
        await store().recordAttempt(head.id, attempt(200), { state: 'delivered' });
        expect((await dueIds()).sort()).toEqual(['a2', 'b1']);
      },
      timeout,
    );

    it(
      'should ignore a delivery enqueued again for the same subscription and event id',
      async () => {
        const sub = uniqueName('w');
        const d = newDelivery({ subscription: sub, eventId: 'e1' });
        await store().enqueue([d], []);
        await store().enqueue([d, newDelivery({ subscription: sub, eventId: 'e2' })], []);
        expect(await store().list(sub, { limit: 10 })).toHaveLength(2);
      },
      timeout,
    );

    it(
      "should keep a retrying head blocking its own lane only, until its time, and leave other subscriptions' lanes due",
      async () => {
        const [one, two] = [uniqueName('w'), uniqueName('w')];
        await store().enqueue(
          [
            newDelivery({ subscription: one, eventId: 'x1' }),
            newDelivery({ subscription: one, eventId: 'x2' }),
            newDelivery({ subscription: two, eventId: 'y1' }),
          ],
          [],
        );
        const head = (await store().due(T(100), 100, new Set())).find((d) => d.eventId === 'x1')!;
        await store().recordAttempt(head.id, attempt(500), { state: 'retry', nextAttemptAt: T(200) });
        expect(await dueIds(T(100))).toEqual(['y1']);
        const later = await store().due(T(200), 100, new Set());
        expect(later.map((d) => d.eventId).sort()).toEqual(['x1', 'y1']);
        expect(later.find((d) => d.eventId === 'x1')!.tries).toBe(1);
        expect(await dueIds(T(200), new Set([head.id]))).toEqual(['y1']);
      },
      timeout,
    );

    it(
      'should mark the subscription failing when retries are used up, hand out none of its lanes, and resume them with fresh retries',
      async () => {
        const sub = uniqueName('w');
        await store().enqueue(
          [
            newDelivery({ subscription: sub, eventId: 'f1' }),
            newDelivery({ subscription: sub, eventId: 'g1', package: 'acme/api' }),
          ],
          [],
        );
        const head = (await store().due(T(100), 100, new Set())).find((d) => d.eventId === 'f1')!;
        await store().recordAttempt(head.id, attempt(null, T(5)), { state: 'exhausted', drop: false });
        expect(await dueIds()).toEqual([]);
        expect((await store().health([sub])).get(sub)).toEqual({ failingSince: T(5), pending: 2 });
        await store().resume(sub, T(300));
        expect((await store().due(T(300), 100, new Set())).map((d) => [d.eventId, d.tries]).sort()).toEqual([
          ['f1', 0],
          ['g1', 0],
        ]);
        expect((await store().health([sub])).get(sub)!.failingSince).toBeNull();
      },
      timeout,
    );

    it(
      'should drop every pending delivery of the subscription when its retries are used up under the drop policy, and redeliver one on request',
      async () => {
        const sub = uniqueName('w');
        await store().enqueue(
          [
            newDelivery({ subscription: sub, eventId: 'd1' }),
            newDelivery({ subscription: sub, eventId: 'd2' }),
            newDelivery({ subscription: sub, eventId: 'd3', package: 'acme/api' }),
          ],
          [],
        );
        const head = (await store().due(T(100), 100, new Set())).find((d) => d.eventId === 'd1')!;
        await store().recordAttempt(head.id, attempt(500, T(5)), { state: 'exhausted', drop: true });
        expect((await store().list(sub, { limit: 10 })).map((d) => d.state)).toEqual(['dropped', 'dropped', 'dropped']);
        expect((await store().health([sub])).get(sub)).toEqual({ failingSince: T(5), pending: 0 });
        expect(await store().redeliver(sub, head.id, T(50))).toMatchObject({ eventId: 'd1', state: 'pending' });
        expect(await dueIds(T(50))).toEqual(['d1']);
      },
      timeout,
    );

    it(
      'should record every attempt for the delivery log, newest first, and list deliveries newest first',
      async () => {
        const sub = uniqueName('w');
        await store().enqueue(
          [newDelivery({ subscription: sub, eventId: 'l1' }), newDelivery({ subscription: sub, eventId: 'l2' })],
          [],
        );
        const head = (await store().due(T(100), 100, new Set()))[0]!;
        await store().recordAttempt(head.id, attempt(500, T(1)), { state: 'retry', nextAttemptAt: T(2) });
        await store().recordAttempt(head.id, attempt(204, T(2)), { state: 'delivered' });
        const listed = await store().list(sub, { limit: 10 });
        expect(listed.map((d) => [d.eventId, d.state])).toEqual([
          ['l2', 'pending'],
          ['l1', 'delivered'],
        ]);
        const got = await store().get(sub, head.id);
        expect(got).toMatchObject({ eventId: 'l1', state: 'delivered', tries: 2, deliveredAt: T(2) });
        expect(got!.attempts).toEqual([attempt(204, T(2)), attempt(500, T(1))]);
        expect((await store().list(sub, { limit: 10, before: listed[0]!.id })).map((d) => d.eventId)).toEqual(['l1']);
        expect(await store().get(uniqueName('w'), head.id)).toBeNull();
        expect(await store().get(sub, 'no-such-id')).toBeNull();
      },
      timeout,
    );

    it(
      'should redeliver a delivered delivery as the head of its lane, and answer null for one of another subscription',
      async () => {
        const sub = uniqueName('w');
        await store().enqueue([newDelivery({ subscription: sub, eventId: 'r1' })], []);
        const head = (await store().due(T(100), 100, new Set()))[0]!;
        await store().recordAttempt(head.id, attempt(200), { state: 'delivered' });
        await store().enqueue([newDelivery({ subscription: sub, eventId: 'r2' })], []);
        expect(await store().redeliver(uniqueName('w'), head.id, T(50))).toBeNull();
        expect(await store().redeliver(sub, head.id, T(50))).toMatchObject({
          eventId: 'r1',
          state: 'pending',
          tries: 0,
        });
        expect(await dueIds(T(50))).toEqual(['r1']);
      },
      timeout,
    );

    it(
      'should count every attempt when several are recorded at once (no lost update between replicas)',
      async () => {
        const sub = uniqueName('w');
        await store().enqueue([newDelivery({ subscription: sub, eventId: 'n1' })], []);
        const head = (await store().due(T(100), 100, new Set()))[0]!;
        const racing = 8;
        await Promise.all(
          Array.from({ length: racing }, () =>
            store().recordAttempt(head.id, attempt(500, T(1)), { state: 'retry', nextAttemptAt: T(150) }),
          ),
        );
        expect((await store().due(T(150), 100, new Set()))[0]).toMatchObject({ eventId: 'n1', tries: racing });
        expect((await store().get(sub, head.id))!.attempts).toHaveLength(racing);
        await store().recordAttempt(head.id, attempt(500, T(2)), { state: 'retry', nextAttemptAt: T(150) });
        expect((await store().due(T(150), 100, new Set()))[0]!.tries).toBe(racing + 1);
        await store().redeliver(sub, head.id, T(160));
        expect((await store().due(T(160), 100, new Set()))[0]!.tries).toBe(0);
      },
      timeout,
    );

    it(
      "should hand a shard only its own lanes, up to the limit, however long the other shards' backlog",
      async () => {
        const sub = uniqueName('w');
        const lanes = Array.from({ length: 24 }, (_, i) => `acme/p${i}`);
        const shardOf = (pkg: string) => laneShard({ subscription: sub, package: pkg }, 2);
        // Shard 0's lanes are due first: a store that limits before it looks at shards gives shard 1 nothing.
        await store().enqueue(
          lanes.map((pkg) =>
            newDelivery({ subscription: sub, package: pkg, eventId: pkg, createdAt: T(shardOf(pkg) === 0 ? 1 : 50) }),
          ),
          [],
        );
        for (const index of [0, 1]) {
          const mine = lanes.filter((pkg) => shardOf(pkg) === index);
          const due = await store().due(T(100), 3, new Set(), { index, count: 2 });
          expect([index, due.map((d) => shardOf(d.package))]).toEqual([
            index,
            Array(Math.min(3, mine.length)).fill(index),
          ]);
        }
        const all = await store().due(T(100), 100, new Set(), { index: 0, count: 1 });
        expect(all).toHaveLength(lanes.length);
      },
      timeout,
    );

    it(
      'should count the pending deliveries of every subscription, failing ones included',
      async () => {
        const before = await store().pending();
        const [one, two] = [uniqueName('w'), uniqueName('w')];
        await store().enqueue(
          [
            newDelivery({ subscription: one, eventId: 'p1' }),
            newDelivery({ subscription: one, eventId: 'p2' }),
            newDelivery({ subscription: two, eventId: 'p3' }),
          ],
          [],
        );
        expect(await store().pending()).toBe(before + 3);
        const heads = await store().due(T(100), 100, new Set());
        const p1 = heads.find((d) => d.eventId === 'p1')!;
        const p3 = heads.find((d) => d.eventId === 'p3')!;
        await store().recordAttempt(p1.id, attempt(200), { state: 'delivered' });
        await store().recordAttempt(p3.id, attempt(500), { state: 'exhausted', drop: false });
        expect(await store().pending()).toBe(before + 2);
        await store().cancel(two);
        expect(await store().pending()).toBe(before + 1);
      },
      timeout,
    );

    it(
      "should cancel a deleted subscription's pending deliveries",
      async () => {
        const sub = uniqueName('w');
        await store().enqueue([newDelivery({ subscription: sub, eventId: 'c1' })], []);
        await store().cancel(sub);
        expect(await dueIds()).toEqual([]);
        expect((await store().list(sub, { limit: 10 }))[0]!.state).toBe('cancelled');
      },
      timeout,
    );

    it(
      'should prune delivered and cancelled deliveries of events before the given time, with their attempts, and keep pending ones',
      async () => {
        const [sub, gone] = [uniqueName('w'), uniqueName('w')];
        await store().enqueue(
          [
            newDelivery({ subscription: sub, eventId: 'old-delivered', package: 'acme/a', createdAt: T(1) }),
            newDelivery({ subscription: sub, eventId: 'old-pending', package: 'acme/b', createdAt: T(1) }),
            newDelivery({ subscription: sub, eventId: 'new-delivered', package: 'acme/c', createdAt: T(20) }),
            newDelivery({ subscription: gone, eventId: 'old-cancelled', createdAt: T(1) }),
          ],
          [],
        );
        for (const d of await store().due(T(100), 100, new Set()))
          if (d.eventId.endsWith('delivered')) await store().recordAttempt(d.id, attempt(200), { state: 'delivered' });
        const oldDelivered = (await store().list(sub, { limit: 10 })).find((d) => d.eventId === 'old-delivered')!;
        await store().cancel(gone);
        expect(await store().prune(T(10))).toBe(2);
        expect((await store().list(sub, { limit: 10 })).map((d) => d.eventId).sort()).toEqual([
          'new-delivered',
          'old-pending',
        ]);
        expect(await store().get(sub, oldDelivered.id)).toBeNull();
        expect(await store().list(gone, { limit: 10 })).toEqual([]);
        expect(await store().prune(T(10))).toBe(0);
      },
      timeout,
    );

    it(
      "should keep packages' marks, written with the deliveries",
      async () => {
        const pkg = `${uniqueName('ns')}/web`;
        expect((await store().marks([pkg])).size).toBe(0);
        await store().enqueue([], [{ package: pkg, sequence: 3, manifests: 2 }]);
        await store().enqueue([], [{ package: pkg, sequence: 4, manifests: 1 }]);
        expect(await store().marks([pkg, 'other/pkg'])).toEqual(
          new Map([[pkg, { package: pkg, sequence: 4, manifests: 1 }]]),
        );
      },
      timeout,
    );
  });
}

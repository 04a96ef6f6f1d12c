import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteWebhookDeliveryStore } from '@wharf/adapters/webhook-deliveries-sqlite';
import type { JsonLogger } from '@wharf/config';
import type { AccountEvent, AccountView, RecordedAccountEvent, WebhookRecord } from '@wharf/domain';
import type { AccountStore } from '@wharf/ports';
import { AccountWebhookEnqueuer } from './account-webhook-enqueuer';
import type { WebhookServiceSettings } from './webhook-settings';

const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

const hook = (over: Partial<WebhookRecord> = {}): WebhookRecord => ({
  id: 'all',
  url: 'https://ci.example/hook',
  events: ['member.changed', 'token.changed'],
  package: null,
  active: true,
  secrets: [{ sealed: 'sealed', until: null }],
  createdAt: T(1),
  updatedAt: T(1),
  ...over,
});

/** An account store of one namespace whose stream the test appends to. */
function accountStream(webhooks: () => WebhookRecord[]) {
  const stream: RecordedAccountEvent[] = [];
  const store = {
    get: async (namespace: string) =>
      ({ namespace, version: stream.length, webhooks: webhooks() }) as unknown as AccountView,
    history: async (_ns: string, { limit, before }: { limit: number; before?: number }) =>
      [...stream]
        .reverse()
        .filter((e) => before === undefined || e.version < before)
        .slice(0, limit),
  };
  const append = (event: AccountEvent, at: string) =>
    stream.push({ namespace: 'acme', version: stream.length + 1, actor: 'alice', occurredAt: at, ...event } as never);
  return { store: store as unknown as AccountStore, append };
}

describe('AccountWebhookEnqueuer', () => {
  let dir: string;
  let deliveries: SqliteWebhookDeliveryStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-account-enqueuer-'));
    deliveries = new SqliteWebhookDeliveryStore({ path: join(dir, 'webhooks.db') });
  });

  afterEach(async () => {
    await deliveries.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const make = (accounts: AccountStore, whenFailing: 'wait' | 'drop' = 'wait') =>
    new AccountWebhookEnqueuer(
      accounts,
      deliveries,
      { baseUrl: 'https://registry.example', apiPrefix: '/cnr', whenFailing } as WebhookServiceSettings,
      { event: () => {} } as unknown as JsonLogger,
    );
  const queued = async (subscription: string) =>
    (await deliveries.list(subscription, { limit: 100 }))
      .reverse()
      .map((d) => [d.eventType, JSON.parse(d.body).data.version, d.package]);

  it('should enqueue membership and token changes after the subscription, in stream order, once, for the subscriptions that ask', async () => {
    let webhooks = [
      hook(),
      hook({ id: 'members', events: ['member.changed'] }),
      hook({ id: 'one-package', package: 'web' }),
      hook({ id: 'releases', events: ['release.published'] }),
      hook({ id: 'late', createdAt: T(30) }),
    ];
    const { store, append } = accountStream(() => webhooks);
    append({ type: 'MemberRoleSet', data: { user: 'before', role: 'read' } }, T(0));
    append({ type: 'MemberRoleSet', data: { user: 'bob', role: 'write' } }, T(10));
    append(
      { type: 'TokenIssued', data: { robot: 'ci', tokenId: 't1', secretHash: 'h', label: 'x', expiresAt: null } },
      T(20),
    );
    append({ type: 'PasswordChanged', data: { passwordHash: 'h' } }, T(25));
    append({ type: 'MemberRemoved', data: { user: 'bob' } }, T(40));
    const enqueuer = make(store);
    await enqueuer.follow('acme');
    await enqueuer.follow('acme');
    expect(await queued('all')).toEqual([
      ['io.wharf.member.changed', 2, 'acme'],
      ['io.wharf.token.changed', 3, 'acme'],
      ['io.wharf.member.changed', 5, 'acme'],
    ]);
    expect(await queued('members')).toEqual([
      ['io.wharf.member.changed', 2, 'acme'],
      ['io.wharf.member.changed', 5, 'acme'],
    ]);
    expect(await queued('late')).toEqual([['io.wharf.member.changed', 5, 'acme']]);
    for (const id of ['one-package', 'releases']) expect([id, await queued(id)]).toEqual([id, []]);

    append({ type: 'TokenRevoked', data: { robot: 'ci', tokenId: 't1' } }, T(50));
    webhooks = webhooks.filter((w) => w.id === 'all');
    await enqueuer.follow('acme');
    expect((await queued('all')).map(([, version]) => version)).toEqual([2, 3, 5, 6]);
    expect((await queued('members')).map(([, version]) => version)).toEqual([2, 5]);
  });

  it('should enqueue nothing for a namespace without account subscriptions, and catch up once one exists', async () => {
    let webhooks: WebhookRecord[] = [];
    const { store, append } = accountStream(() => webhooks);
    append({ type: 'MemberRoleSet', data: { user: 'bob', role: 'write' } }, T(10));
    const enqueuer = make(store);
    await enqueuer.follow('acme');
    expect((await deliveries.marks(['acme'])).size).toBe(0);
    webhooks = [hook({ createdAt: T(5) })];
    append({ type: 'MemberRemoved', data: { user: 'bob' } }, T(20));
    await enqueuer.follow('acme');
    expect((await queued('all')).map(([, version]) => version)).toEqual([1, 2]);
  });

  it('should catch up across history pages', async () => {
    const { store, append } = accountStream(() => [hook({ createdAt: T(0) })]);
    for (let i = 0; i < 250; i++) append({ type: 'RobotRoleSet', data: { robot: `r${i}`, role: 'read' } }, T(1));
    await make(store).follow('acme');
    const versions = (await deliveries.list('all', { limit: 1000 })).map((d) => d.sequence).reverse();
    expect(versions).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  });
});

import type { RecordedAccountEvent } from './account.events';
import { accountCloudEventsOf } from './account-cloud-events';
import { webhookWants } from '../webhooks/webhook';
import type { WebhookRecord } from '../webhooks/webhook';

const REGISTRY = { origin: 'https://registry.example', apiPrefix: '/cnr' };
const recorded = (event: Pick<RecordedAccountEvent, 'type' | 'data'>, version = 7): RecordedAccountEvent =>
  ({
    namespace: 'acme',
    version,
    actor: 'alice',
    occurredAt: '2026-01-01T00:00:00.000Z',
    ...event,
  }) as RecordedAccountEvent;

describe('accountCloudEventsOf', () => {
  it('should map membership changes of users and robots to io.wharf.member.changed, with who acted', () => {
    expect(
      accountCloudEventsOf(recorded({ type: 'MemberRoleSet', data: { user: 'bob', role: 'admin' } }), REGISTRY),
    ).toEqual([
      {
        name: 'member.changed',
        event: {
          specversion: '1.0',
          id: 'acme:account:7',
          source: 'https://registry.example/acme',
          type: 'io.wharf.member.changed',
          subject: 'acme',
          time: '2026-01-01T00:00:00.000Z',
          datacontenttype: 'application/json',
          data: {
            namespace: 'acme',
            version: 7,
            actor: 'alice',
            member: 'bob',
            kind: 'user',
            change: 'role-set',
            role: 'admin',
          },
        },
      },
    ]);
    const data = (type: string, d: object) =>
      accountCloudEventsOf(recorded({ type, data: d } as never), REGISTRY).map((c) => [c.name, c.event.data]);
    expect(data('MemberRemoved', { user: 'bob' })).toEqual([
      ['member.changed', expect.objectContaining({ member: 'bob', kind: 'user', change: 'removed', role: null })],
    ]);
    expect(data('RobotRoleSet', { robot: 'ci', role: 'write' })).toEqual([
      ['member.changed', expect.objectContaining({ member: 'ci', kind: 'robot', change: 'role-set', role: 'write' })],
    ]);
    expect(data('RobotDeleted', { robot: 'ci' })).toEqual([
      ['member.changed', expect.objectContaining({ member: 'ci', kind: 'robot', change: 'removed', role: null })],
    ]);
  });

  it('should map tokens issued and revoked to io.wharf.token.changed, never with the secret hash', () => {
    const [issued] = accountCloudEventsOf(
      recorded({
        type: 'TokenIssued',
        data: { robot: 'ci', tokenId: 't1', secretHash: 'HASH', label: 'deploy', expiresAt: null },
      }),
      REGISTRY,
    );
    expect(issued!.name).toBe('token.changed');
    expect(issued!.event.data).toEqual({
      namespace: 'acme',
      version: 7,
      actor: 'alice',
      change: 'issued',
      robot: 'ci',
      tokenId: 't1',
      label: 'deploy',
      expiresAt: null,
    });
    expect(JSON.stringify(issued)).not.toContain('HASH');
    const [revoked] = accountCloudEventsOf(
      recorded({ type: 'TokenRevoked', data: { robot: null, tokenId: 't2' } }),
      REGISTRY,
    );
    expect(revoked!.event.data).toMatchObject({ change: 'revoked', robot: null, tokenId: 't2' });
  });

  it('should make no webhook event of the other account events', () => {
    for (const event of [
      { type: 'PasswordChanged', data: { passwordHash: 'x' } },
      { type: 'WebhookDeleted', data: { id: 'w' } },
      { type: 'NamespaceLimitsSet', data: { limits: {} } },
    ])
      expect(accountCloudEventsOf(recorded(event as never), REGISTRY)).toEqual([]);
  });
});

describe('webhookWants for account events (no package)', () => {
  const hook = (over: Partial<WebhookRecord> = {}): WebhookRecord => ({
    id: 'w',
    url: 'https://ci.example/',
    events: ['member.changed'],
    package: null,
    active: true,
    secrets: [],
    createdAt: '2000-01-01T00:00:00.000Z',
    updatedAt: '2000-01-01T00:00:00.000Z',
    ...over,
  });
  const at = '2026-01-01T00:00:00.000Z';

  it('should send them to namespace-wide subscriptions that ask, never to a package subscription', () => {
    expect(webhookWants(hook(), 'member.changed', null, at)).toBe(true);
    expect(webhookWants(hook({ package: 'web' }), 'member.changed', null, at)).toBe(false);
    expect(webhookWants(hook(), 'token.changed', null, at)).toBe(false);
    expect(webhookWants(hook({ active: false }), 'member.changed', null, at)).toBe(false);
  });
});

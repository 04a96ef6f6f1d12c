/**
 * The AccountStore contract (libs/ports/src/account-store.port.ts), run unchanged against every
 * adapter:
 *
 *   describeAccountStoreContract('account-store-mongo', async () => ({ subject, cleanup }));
 */
import { AccountCommand, AccountView, RecordedAccountEvent, decideAccount, evolveAccount } from '@wharf/domain';
import type { AccountStore } from '@wharf/ports';
import { ContractFixture, ContractOptions, uniqueName, useContractFixture } from './contract-fixture';

export type AccountStoreFixture = ContractFixture<AccountStore>;

/** Decides `command` against what the store holds and appends the result. */
export async function applyAccountCommand(
  store: AccountStore,
  namespace: string,
  command: AccountCommand,
  actor = 'tester',
): Promise<AccountView> {
  const view = await store.get(namespace);
  const events = decideAccount(view, namespace, command);
  let next = view;
  const recorded: RecordedAccountEvent[] = [];
  for (const [i, event] of events.entries()) {
    const r = {
      namespace,
      version: (view?.version ?? 0) + i + 1,
      type: event.type,
      data: event.data,
      actor,
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, (view?.version ?? 0) + i)).toISOString(),
    } as RecordedAccountEvent;
    recorded.push(r);
    next = evolveAccount(next, r);
  }
  if (!next) throw new Error('nothing to append');
  if (recorded.length > 0 && !(await store.append(recorded, next, view?.version ?? 0)))
    throw new Error('unexpected conflict');
  return next;
}

export function describeAccountStoreContract(
  name: string,
  factory: () => Promise<AccountStoreFixture>,
  options: ContractOptions = {},
): void {
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`AccountStore contract: ${name}`, () => {
    const ctx = useContractFixture(factory, timeout);
    const store = () => ctx.fixture.subject;

    it(
      'should return null for an account that does not exist',
      async () => {
        expect(await store().get(uniqueName('nobody'))).toBeNull();
        expect(await store().history(uniqueName('nobody'), { limit: 10 })).toEqual([]);
      },
      timeout,
    );

    it(
      'should return the view as folded through the appended events',
      async () => {
        const user = uniqueName('u');
        await applyAccountCommand(store(), user, {
          type: 'RegisterUser',
          passwordHash: 'scrypt$hash',
          siteAdmin: false,
        });
        const after = await applyAccountCommand(store(), user, {
          type: 'IssueToken',
          robot: null,
          tokenId: 'a'.repeat(16),
          secretHash: 'f'.repeat(64),
          label: 'ci',
          expiresAt: null,
        });
        expect(await store().get(user)).toEqual(after);
        expect(after.version).toBe(2);
        expect(after.tokens.map((t) => t.id)).toEqual(['a'.repeat(16)]);
      },
      timeout,
    );

    it(
      'should refuse an append whose expected version is stale, appending nothing',
      async () => {
        const user = uniqueName('u');
        const created = await applyAccountCommand(store(), user, {
          type: 'RegisterUser',
          passwordHash: 'h1',
          siteAdmin: false,
        });
        await applyAccountCommand(store(), user, { type: 'ChangePassword', passwordHash: 'h2' });
        const stale: RecordedAccountEvent = {
          namespace: user,
          version: 2,
          type: 'PasswordChanged',
          data: { passwordHash: 'h3' },
          actor: 'x',
          occurredAt: '2026-02-01T00:00:00.000Z',
        };
        expect(await store().append([stale], evolveAccount(created, stale), 1)).toBe(false);
        expect((await store().get(user))?.passwordHash).toBe('h2');
        expect((await store().history(user, { limit: 10 })).map((e) => e.version)).toEqual([2, 1]);
      },
      timeout,
    );

    it(
      'should refuse to create an account twice when two writers race',
      async () => {
        const org = uniqueName('o');
        const event = (owner: string): RecordedAccountEvent => ({
          namespace: org,
          version: 1,
          type: 'OrganizationCreated',
          data: { owner },
          actor: owner,
          occurredAt: '2026-01-01T00:00:00.000Z',
        });
        const results = await Promise.all(
          ['alice', 'bob'].map((owner) => store().append([event(owner)], evolveAccount(null, event(owner)), 0)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const members = (await store().get(org))!.members;
        expect(members).toHaveLength(1);
        expect(members[0].user).toBe(results[0] ? 'alice' : 'bob');
      },
      timeout,
    );

    it(
      'should list the organisations a user belongs to, with roles, and drop removed memberships',
      async () => {
        const [user, a, b] = [uniqueName('u'), uniqueName('a'), uniqueName('b')];
        await applyAccountCommand(store(), a, { type: 'CreateOrganization', owner: user });
        await applyAccountCommand(store(), b, { type: 'CreateOrganization', owner: 'someone' });
        await applyAccountCommand(store(), b, { type: 'SetMemberRole', user, role: 'read' });
        expect(await store().memberships(user)).toEqual(
          [
            ...[
              { namespace: a, role: 'admin' },
              { namespace: b, role: 'read' },
            ],
          ].sort((x, y) => x.namespace.localeCompare(y.namespace)),
        );
        await applyAccountCommand(store(), b, { type: 'RemoveMember', user });
        expect(await store().memberships(user)).toEqual([{ namespace: a, role: 'admin' }]);
      },
      timeout,
    );

    it(
      'should list every account with its kind in name order, after a name, at most a limit',
      async () => {
        const p = uniqueName('l');
        await applyAccountCommand(store(), `${p}c`, { type: 'RegisterUser', passwordHash: 'h', siteAdmin: false });
        await applyAccountCommand(store(), `${p}a`, { type: 'CreateOrganization', owner: `${p}c` });
        await applyAccountCommand(store(), `${p}b`, { type: 'RegisterUser', passwordHash: 'h', siteAdmin: false });
        await applyAccountCommand(store(), `${p}b`, { type: 'SetSiteAdmin', siteAdmin: true });
        expect(await store().list({ after: p, limit: 2 })).toEqual([
          { namespace: `${p}a`, kind: 'organization' },
          { namespace: `${p}b`, kind: 'user' },
        ]);
        const rest = await store().list({ after: `${p}b`, limit: 100 });
        expect(rest.filter((e) => e.namespace.startsWith(p))).toEqual([{ namespace: `${p}c`, kind: 'user' }]);
      },
      timeout,
    );

    it(
      'should page the history newest first',
      async () => {
        const org = uniqueName('o');
        await applyAccountCommand(store(), org, { type: 'CreateOrganization', owner: 'owner' });
        for (const role of ['read', 'write', 'admin'] as const)
          await applyAccountCommand(store(), org, { type: 'SetMemberRole', user: 'm', role });
        const first = await store().history(org, { limit: 2 });
        expect(first.map((e) => e.version)).toEqual([4, 3]);
        expect(first[0]).toMatchObject({
          namespace: org,
          type: 'MemberRoleSet',
          data: { user: 'm', role: 'admin' },
          actor: 'tester',
        });
        expect((await store().history(org, { limit: 10, before: 3 })).map((e) => e.version)).toEqual([2, 1]);
      },
      timeout,
    );
  });
}

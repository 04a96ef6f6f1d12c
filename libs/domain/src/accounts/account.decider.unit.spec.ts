import { AccountExistsError, AccountNotFoundError, InvalidUsageError, RetentionPolicyNotFoundError } from '../errors';
import { MAX_RETENTION_POLICIES } from '../retention/retention-policy';
import {
  AccountCommand,
  LOGIN_LABEL,
  MAX_API_TOKENS,
  MAX_LOGIN_TOKENS,
  decideAccount,
  evolveAccount,
  foldAccount,
} from './account.decider';
import type { RecordedAccountEvent } from './account.events';
import { AccountView, SITE_ACCOUNT } from './account.view';

/** Decides each command against the fold so far, one second apart; returns the final view. */
function run(namespace: string, commands: AccountCommand[], start: AccountView | null = null): AccountView {
  return commands.reduce<AccountView | null>((view, command) => {
    return decideAccount(view, namespace, command).reduce<AccountView | null>((v, e) => {
      const version = (v?.version ?? 0) + 1;
      const recorded = {
        namespace,
        version,
        ...e,
        actor: 'tester',
        occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, version)).toISOString(),
      } as RecordedAccountEvent;
      return evolveAccount(v, recorded);
    }, view);
  }, start)!;
}

const token = (
  tokenId: string,
  expiresAt: string | null = null,
  robot: string | null = null,
  label = 'api',
): AccountCommand => ({
  type: 'IssueToken',
  robot,
  tokenId,
  secretHash: 'f'.repeat(64),
  label,
  expiresAt,
});
const id = (i: number) => i.toString(16).padStart(16, '0');

describe('account decider', () => {
  it('should refuse to create an account whose name is taken, by a user or an organisation', () => {
    const alice = run('alice', [{ type: 'RegisterUser', passwordHash: 'h', siteAdmin: false }]);
    expect(() => decideAccount(alice, 'alice', { type: 'CreateOrganization', owner: 'bob' })).toThrow(
      AccountExistsError,
    );
    expect(() => decideAccount(alice, 'alice', { type: 'RegisterUser', passwordHash: 'h', siteAdmin: false })).toThrow(
      AccountExistsError,
    );
  });

  it('should make a user a site admin and take it back, only once each, and only for a user', () => {
    const alice = run('alice', [{ type: 'RegisterUser', passwordHash: 'h', siteAdmin: false }]);
    const admin = run('alice', [{ type: 'SetSiteAdmin', siteAdmin: true }], alice);
    expect(admin.siteAdmin).toBe(true);
    expect(decideAccount(admin, 'alice', { type: 'SetSiteAdmin', siteAdmin: true })).toEqual([]);
    expect(run('alice', [{ type: 'SetSiteAdmin', siteAdmin: false }], admin).siteAdmin).toBe(false);
    const acme = run('acme', [{ type: 'CreateOrganization', owner: 'olga' }]);
    expect(() => decideAccount(acme, 'acme', { type: 'SetSiteAdmin', siteAdmin: true })).toThrow(AccountNotFoundError);
  });

  it('should revoke every token of a user it disables, and issue none when it enables the user again', () => {
    const alice = run('alice', [
      { type: 'RegisterUser', passwordHash: 'h', siteAdmin: false },
      token(id(1)),
      token(id(2)),
    ]);
    const events = decideAccount(alice, 'alice', { type: 'SetUserDisabled', disabled: true });
    expect(events.map((e) => e.type)).toEqual(['UserDisabled', 'TokenRevoked', 'TokenRevoked']);
    const disabled = run('alice', [{ type: 'SetUserDisabled', disabled: true }], alice);
    expect(disabled).toMatchObject({ disabled: true, tokens: [] });
    expect(decideAccount(disabled, 'alice', { type: 'SetUserDisabled', disabled: true })).toEqual([]);
    const enabled = run('alice', [{ type: 'SetUserDisabled', disabled: false }], disabled);
    expect(enabled).toMatchObject({ disabled: false, tokens: [] });
    expect(decideAccount(alice, 'alice', { type: 'SetUserDisabled', disabled: false })).toEqual([]);
  });

  it('should keep at least one admin in an organisation', () => {
    const acme = run('acme', [{ type: 'CreateOrganization', owner: 'olga' }]);
    expect(() => decideAccount(acme, 'acme', { type: 'RemoveMember', user: 'olga' })).toThrow(InvalidUsageError);
    expect(() => decideAccount(acme, 'acme', { type: 'SetMemberRole', user: 'olga', role: 'write' })).toThrow(
      InvalidUsageError,
    );
    const two = run('acme', [{ type: 'SetMemberRole', user: 'otto', role: 'admin' }], acme);
    expect(run('acme', [{ type: 'RemoveMember', user: 'olga' }], two).members).toEqual([
      { user: 'otto', role: 'admin' },
    ]);
  });

  it('should decide nothing when a role is already what is asked', () => {
    const acme = run('acme', [
      { type: 'CreateOrganization', owner: 'olga' },
      { type: 'SetMemberRole', user: 'rita', role: 'read' },
    ]);
    expect(decideAccount(acme, 'acme', { type: 'SetMemberRole', user: 'rita', role: 'read' })).toEqual([]);
  });

  it('should issue and revoke tokens of users and of robots, and refuse unknown ones', () => {
    const acme = run('acme', [
      { type: 'CreateOrganization', owner: 'olga' },
      { type: 'SetRobotRole', robot: 'ci', role: 'write' },
      token('a'.repeat(16), null, 'ci'),
    ]);
    expect(acme.robots[0].tokens.map((t) => t.id)).toEqual(['a'.repeat(16)]);
    expect(() => decideAccount(acme, 'acme', token('b'.repeat(16), null, 'ghost'))).toThrow(AccountNotFoundError);
    expect(() => decideAccount(acme, 'acme', token('b'.repeat(16)))).toThrow(AccountNotFoundError);
    const revoked = run('acme', [{ type: 'RevokeToken', robot: 'ci', tokenId: 'a'.repeat(16) }], acme);
    expect(revoked.robots[0].tokens).toEqual([]);
    expect(() => decideAccount(revoked, 'acme', { type: 'RevokeToken', robot: 'ci', tokenId: 'a'.repeat(16) })).toThrow(
      AccountNotFoundError,
    );
    expect(run('acme', [{ type: 'DeleteRobot', robot: 'ci' }], acme).robots).toEqual([]);
  });

  it('should drop expired tokens and the oldest login tokens, never a token made on purpose', () => {
    let alice = run('alice', [
      { type: 'RegisterUser', passwordHash: 'h', siteAdmin: false },
      token('e'.repeat(16), '2026-01-01T00:00:02.500Z'),
      token('c'.repeat(16)),
    ]);
    alice = run(
      'alice',
      Array.from({ length: MAX_LOGIN_TOKENS + 5 }, (_, i) => token(id(i), null, null, LOGIN_LABEL)),
      alice,
    );
    const ids = alice.tokens.map((t) => t.id);
    expect(ids).toHaveLength(MAX_LOGIN_TOKENS + 1);
    expect(ids).toContain('c'.repeat(16));
    expect(ids).not.toContain('e'.repeat(16));
    expect(ids).not.toContain(id(4));
    expect(ids).toContain(id(5));
  });

  it('should refuse a token made on purpose past the limit, but still let the user log in', () => {
    const alice = run('alice', [
      { type: 'RegisterUser', passwordHash: 'h', siteAdmin: false },
      ...Array.from({ length: MAX_API_TOKENS }, (_, i) => token(id(i))),
    ]);
    expect(() => decideAccount(alice, 'alice', token(id(1000)))).toThrow(InvalidUsageError);
    expect(decideAccount(alice, 'alice', token(id(1000), null, null, LOGIN_LABEL))).toHaveLength(1);
  });

  it('should revoke every token of the user on a password change, each as an event, and issue the replacement', () => {
    const alice = run('alice', [
      { type: 'RegisterUser', passwordHash: 'h', siteAdmin: false },
      token('a'.repeat(16)),
      token('b'.repeat(16), null, null, LOGIN_LABEL),
    ]);
    const replacementToken = {
      tokenId: 'c'.repeat(16),
      secretHash: 'e'.repeat(64),
      label: LOGIN_LABEL,
      expiresAt: null,
    };
    const events = decideAccount(alice, 'alice', { type: 'ChangePassword', passwordHash: 'h2', replacementToken });
    expect(events).toEqual([
      { type: 'PasswordChanged', data: { passwordHash: 'h2' } },
      { type: 'TokenRevoked', data: { robot: null, tokenId: 'a'.repeat(16) } },
      { type: 'TokenRevoked', data: { robot: null, tokenId: 'b'.repeat(16) } },
      { type: 'TokenIssued', data: { robot: null, ...replacementToken } },
    ]);
    const after = run('alice', [{ type: 'ChangePassword', passwordHash: 'h2', replacementToken }], alice);
    expect(after.tokens.map((t) => t.id)).toEqual(['c'.repeat(16)]);
    expect(after.passwordHash).toBe('h2');
  });

  it('should fold the same view from the recorded events as the decisions gave', () => {
    const events: RecordedAccountEvent[] = [];
    let view: AccountView | null = null;
    for (const command of [
      { type: 'CreateOrganization', owner: 'olga' },
      {
        type: 'SetLimits',
        limits: { maxBlobBytes: 10, maxStorageBytes: null, requestsPerMinute: 5, allowOverwrites: false },
      },
      { type: 'RecordVisibility', package: 'acme/app', visibility: 'private' },
    ] as AccountCommand[]) {
      for (const e of decideAccount(view, 'acme', command)) {
        const recorded = {
          namespace: 'acme',
          version: events.length + 1,
          ...e,
          actor: 'olga',
          occurredAt: '2026-01-01T00:00:00.000Z',
        } as RecordedAccountEvent;
        events.push(recorded);
        view = evolveAccount(view, recorded);
      }
    }
    expect(foldAccount(events)).toEqual(view);
    expect(view!.limits).toEqual({
      maxBlobBytes: 10,
      maxStorageBytes: null,
      requestsPerMinute: 5,
      allowOverwrites: false,
    });
    expect(view!.version).toBe(3);
  });

  it('should set, replace, list in id order and delete retention policies, refusing an unknown id', () => {
    const org = run('acme', [{ type: 'CreateOrganization', owner: 'alice' }]);
    const settings = {
      packagePattern: null,
      keepLast: 3,
      keepPushedWithinDays: null,
      keepChannelReleases: 'current' as const,
      prereleases: 'count' as const,
    };
    const set = run(
      'acme',
      [
        { type: 'SetRetentionPolicy', id: 'z', settings },
        { type: 'SetRetentionPolicy', id: 'a', settings },
        { type: 'SetRetentionPolicy', id: 'z', settings: { ...settings, keepLast: 5 } },
      ],
      org,
    );
    expect(set.retention!.map((p) => [p.id, p.keepLast])).toEqual([
      ['a', 3],
      ['z', 5],
    ]);
    expect(set.retention![1]!.createdAt).not.toBe(set.retention![1]!.updatedAt);
    expect(decideAccount(set, 'acme', { type: 'SetRetentionPolicy', id: 'a', settings })).toEqual([]);
    const left = run('acme', [{ type: 'DeleteRetentionPolicy', id: 'a' }], set);
    expect(left.retention!.map((p) => p.id)).toEqual(['z']);
    expect(() => decideAccount(left, 'acme', { type: 'DeleteRetentionPolicy', id: 'a' })).toThrow(
      RetentionPolicyNotFoundError,
    );
    expect(decideAccount(left, 'acme', { type: 'RecordRetention', deleted: [] })).toEqual([]);
  });

  it('should refuse a retention policy beyond the most a namespace may hold', () => {
    const settings = {
      packagePattern: null,
      keepLast: 1,
      keepPushedWithinDays: null,
      keepChannelReleases: 'current' as const,
      prereleases: 'count' as const,
    };
    const full = run('acme', [
      { type: 'CreateOrganization', owner: 'alice' },
      ...Array.from({ length: MAX_RETENTION_POLICIES }, (_, i): AccountCommand => ({
        type: 'SetRetentionPolicy',
        id: `p${i}`,
        settings,
      })),
    ]);
    expect(() => decideAccount(full, 'acme', { type: 'SetRetentionPolicy', id: 'one-more', settings })).toThrow(
      InvalidUsageError,
    );
    expect(
      decideAccount(full, 'acme', { type: 'SetRetentionPolicy', id: 'p0', settings: { ...settings, keepLast: 2 } }),
    ).toHaveLength(1);
  });
  it("should keep the site's default on the site's stream only: set, replace, delete, and nothing else there", () => {
    const settings = {
      packagePattern: null,
      keepLast: 3,
      keepPushedWithinDays: null,
      keepChannelReleases: 'current' as const,
      prereleases: 'count' as const,
    };
    // The first event creates the site's view: no creating command, no account to register.
    const set = run(SITE_ACCOUNT, [{ type: 'SetSiteRetentionDefault', settings }]);
    expect(set).toMatchObject({ kind: 'site', version: 1, retention: [{ id: 'site-default', keepLast: 3 }] });
    expect(decideAccount(set, SITE_ACCOUNT, { type: 'SetSiteRetentionDefault', settings })).toEqual([]);
    const replaced = run(
      SITE_ACCOUNT,
      [{ type: 'SetSiteRetentionDefault', settings: { ...settings, keepLast: 5 } }],
      set,
    );
    expect(replaced.retention).toEqual([
      expect.objectContaining({ keepLast: 5, createdAt: set.retention![0]!.createdAt, updatedAt: expect.any(String) }),
    ]);
    expect(replaced.retention![0]!.updatedAt).not.toBe(replaced.retention![0]!.createdAt);
    const deleted = run(SITE_ACCOUNT, [{ type: 'DeleteSiteRetentionDefault', configured: false }], replaced);
    expect(deleted).toMatchObject({ kind: 'site', version: 3, retention: [] });
    for (const configured of [false, true])
      expect(() => decideAccount(deleted, SITE_ACCOUNT, { type: 'DeleteSiteRetentionDefault', configured })).toThrow(
        RetentionPolicyNotFoundError,
      );
    expect(() => decideAccount(null, SITE_ACCOUNT, { type: 'DeleteSiteRetentionDefault', configured: false })).toThrow(
      RetentionPolicyNotFoundError,
    );
    // Only configured: deleting turns the configuration's default off.
    expect(run(SITE_ACCOUNT, [{ type: 'DeleteSiteRetentionDefault', configured: true }])).toMatchObject({
      kind: 'site',
      version: 1,
      retention: [],
    });
    // No namespace command lands on the site's stream, and no site command on a namespace's.
    for (const command of [
      { type: 'SetRetentionPolicy', id: 'p', settings },
      { type: 'RegisterUser', passwordHash: 'h', siteAdmin: true },
      { type: 'CreateOrganization', owner: 'alice' },
    ] as AccountCommand[])
      expect(() => decideAccount(set, SITE_ACCOUNT, command)).toThrow(AccountNotFoundError);
    const org = run('acme', [{ type: 'CreateOrganization', owner: 'alice' }]);
    expect(() => decideAccount(org, 'acme', { type: 'SetSiteRetentionDefault', settings })).toThrow(
      AccountNotFoundError,
    );
  });
});

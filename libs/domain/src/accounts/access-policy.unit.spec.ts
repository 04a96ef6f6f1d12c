import { ForbiddenError, UnauthorizedError } from '../errors';
import { ANONYMOUS, Caller, OPEN_CALLER, canRead, readableNamespaces, requireRole, roleIn } from './access-policy';
import { evolveAccount } from './account.decider';
import type { AccountView } from './account.view';

const at = '2026-01-01T00:00:00.000Z';
const org: AccountView = [
  { type: 'OrganizationCreated', data: { owner: 'olga' } },
  { type: 'MemberRoleSet', data: { user: 'rita', role: 'read' } },
  { type: 'RobotRoleSet', data: { robot: 'ci', role: 'write' } },
].reduce<AccountView | null>(
  (view, e, i) =>
    evolveAccount(view, { namespace: 'acme', version: i + 1, actor: 'olga', occurredAt: at, ...e } as never),
  null,
)!;
const alice = evolveAccount(null, {
  namespace: 'alice',
  version: 1,
  type: 'UserRegistered',
  data: { passwordHash: 'h', siteAdmin: false },
  actor: 'alice',
  occurredAt: at,
});

const user = (name: string, siteAdmin = false): Caller => ({ kind: 'user', name, siteAdmin });
const robot = (orgName: string, role: 'read' | 'write' | 'admin'): Caller => ({
  kind: 'robot',
  org: orgName,
  name: 'ci',
  role,
});

describe('access policy', () => {
  it.each([
    ['open mode', OPEN_CALLER, 'acme', org, 'admin'],
    ['a site admin', user('root', true), 'acme', org, 'admin'],
    ['the organisation admin', user('olga'), 'acme', org, 'admin'],
    ['a reader member', user('rita'), 'acme', org, 'read'],
    ['a non-member', user('mallory'), 'acme', org, null],
    ['anonymous', ANONYMOUS, 'acme', org, null],
    ['the robot in its organisation', robot('acme', 'write'), 'acme', org, 'write'],
    ['the robot elsewhere', robot('acme', 'write'), 'alice', alice, null],
    ['a user in their own namespace', user('alice'), 'alice', alice, 'admin'],
    ["a user in someone else's namespace", user('olga'), 'alice', alice, null],
    ['a user in a namespace without an account', user('alice'), 'library', null, null],
    ['a site admin in a namespace without an account', user('root', true), 'library', null, 'admin'],
  ] as const)('should give %s the role it holds', (_name, caller, namespace, account, role) => {
    expect(roleIn(caller, namespace, account)).toBe(role);
  });

  it('should let anyone read public packages and only holders of a role read private ones', () => {
    expect(canRead(null, 'public')).toBe(true);
    expect(canRead(null, 'private')).toBe(false);
    expect(canRead('read', 'private')).toBe(true);
  });

  it('should refuse anonymous callers with 401 and known callers without the role with 403', () => {
    expect(() => requireRole(ANONYMOUS, 'acme', null, 'read')).toThrow(UnauthorizedError);
    expect(() => requireRole(user('rita'), 'acme', 'read', 'write')).toThrow(ForbiddenError);
    expect(() => requireRole(user('olga'), 'acme', 'admin', 'write')).not.toThrow();
  });

  it('should list the namespaces whose private packages a caller may see', () => {
    expect(readableNamespaces(ANONYMOUS, [])).toEqual([]);
    expect(readableNamespaces(user('rita'), ['acme'])).toEqual(['rita', 'acme']);
    expect(readableNamespaces(robot('acme', 'read'), [])).toEqual(['acme']);
    expect(readableNamespaces(user('root', true), [])).toBe('all');
    expect(readableNamespaces(OPEN_CALLER, [])).toBe('all');
  });
});

import { loadConfig } from '@wharf/config';
import { SqliteAccountStore } from '@wharf/adapters/account-store-sqlite';
import { SqlitePullRecordStore } from '@wharf/adapters/pull-records-sqlite';
import {
  ANONYMOUS,
  AccountExistsError,
  Caller,
  ForbiddenError,
  NO_LIMITS,
  UnauthorizedError,
  formatToken,
  parseToken,
} from '@wharf/domain';
import type { PackageReader } from '@wharf/ports';
import { AccessControl } from '../../auth/access-control';
import { AccountDirectory } from '../../auth/account-directory';
import { Authenticator } from '../../auth/authenticator';
import { PushAdmission } from '../../auth/push-admission';
import { TokenUseRecorder } from '../../auth/token-use-recorder';
import { accountUseCases } from './account-use-cases.fixture';

// scrypt is deliberately slow: a few hundred milliseconds a hash on a busy machine.
jest.setTimeout(30_000);

function world(env: Record<string, string> = {}) {
  const config = loadConfig({ WHARF_ADMIN_USERNAME: 'root', WHARF_ADMIN_PASSWORD: 'root-password', ...env });
  const store = new SqliteAccountStore({ path: ':memory:' });
  const directory = new AccountDirectory(store);
  const access = new AccessControl(directory);
  const tokenUses = new TokenUseRecorder(new SqlitePullRecordStore({ path: ':memory:' }), config);
  const authenticator = new Authenticator(directory, config, undefined, undefined, tokenUses);
  const claimed: PackageReader = {
    get: async () => null,
    getHead: async () => null,
    getRelease: async () => null,
    list: async (f) => (f.namespace === 'library' ? [{} as never] : []),
    count: async () => 1,
  };
  const accounts = accountUseCases(store, directory, authenticator, config, claimed, tokenUses);
  return { config, store, directory, access, authenticator, accounts };
}

const signUp = (username: string, caller: Caller = ANONYMOUS) => ({
  username,
  password: 'long-enough',
  caller,
  client: '',
});

describe('the account use cases', () => {
  it('should create the configured site admin once, who then holds every role', async () => {
    const { accounts, authenticator, access } = world();
    expect(await accounts.admin.bootstrap()).toBe('created');
    expect(await accounts.admin.bootstrap()).toBe('exists');
    const root = await authenticator.callerFor(`Basic ${Buffer.from('root:root-password').toString('base64')}`);
    expect(root).toEqual({ kind: 'user', name: 'root', siteAdmin: true, proof: { by: 'password' } });
    expect(await access.roleOn(root, 'anyone')).toBe('admin');
  });

  it('should refuse sign-up when it is turned off, except to the site admin', async () => {
    const { accounts } = world({ WHARF_SIGNUP: 'false' });
    await expect(accounts.signUp.execute(signUp('eve'))).rejects.toBeInstanceOf(ForbiddenError);
    await accounts.admin.bootstrap();
    await expect(
      accounts.signUp.execute(signUp('eve', { kind: 'user', name: 'root', siteAdmin: true })),
    ).resolves.toMatchObject({ username: 'eve' });
    await expect(
      accounts.signUp.execute(signUp('eve', { kind: 'user', name: 'root', siteAdmin: true })),
    ).rejects.toBeInstanceOf(AccountExistsError);
  });

  it('should not hand a namespace that already holds packages to whoever signs up first', async () => {
    const { accounts } = world();
    await expect(accounts.signUp.execute(signUp('library'))).rejects.toBeInstanceOf(AccountExistsError);
    const { token } = await accounts.signUp.execute(signUp('alice'));
    await expect(
      accounts.organizations.create({ kind: 'user', name: 'alice', siteAdmin: false }, () => 'library'),
    ).rejects.toBeInstanceOf(AccountExistsError);
    await expect(
      accounts.organizations.create({ kind: 'user', name: 'root', siteAdmin: true }, () => 'library'),
    ).resolves.toMatchObject({ name: 'library' });
    expect(token).toMatch(/^wharf\./);
  });

  it('should answer 429 after too many wrong passwords for one account', async () => {
    const { accounts, authenticator } = world();
    await accounts.signUp.execute(signUp('alice'));
    const wrong = `Basic ${Buffer.from('alice:wrong-password').toString('base64')}`;
    for (let i = 0; i < 10; i++) await expect(authenticator.callerFor(wrong)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(authenticator.callerFor(wrong)).rejects.toMatchObject({ code: 'rate-limited' });
  });

  it('should refuse an expired token, a token for another account, and a token whose secret is wrong', async () => {
    const { accounts, authenticator } = world({ WHARF_TOKEN_TTL_SECONDS: '1' });
    const { token } = await accounts.signUp.execute(signUp('alice'));
    await accounts.signUp.execute(signUp('bob'));
    expect(await authenticator.callerFor(token)).toMatchObject({ kind: 'user', name: 'alice' });
    await expect(
      authenticator.callerFor(`Basic ${Buffer.from(`bob:${token}`).toString('base64')}`),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    const parsed = parseToken(token)!;
    await expect(
      authenticator.callerFor(
        formatToken({ ...parsed, secret: parsed.secret.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }),
      ),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(authenticator.callerFor(token)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('should give a robot its role in its organisation only, and follow role changes', async () => {
    const { accounts, authenticator, access, directory } = world();
    const { token } = await accounts.signUp.execute(signUp('olga'));
    const olga = await authenticator.callerFor(token);
    await accounts.organizations.create(olga, () => 'acme');
    const robot = await accounts.robots.set(olga, 'acme', 'ci', () => ({ role: 'read', expiresIn: undefined }));
    const ci = await authenticator.callerFor(`Basic ${Buffer.from(`acme+ci:${robot.token}`).toString('base64')}`);
    expect(ci).toMatchObject({ kind: 'robot', org: 'acme', name: 'ci', role: 'read', proof: { by: 'token' } });
    expect(await access.roleOn(ci, 'olga')).toBeNull();
    await accounts.robots.set(olga, 'acme', 'ci', () => ({ role: 'write', expiresIn: undefined }));
    directory.forget('acme');
    expect(await authenticator.callerFor(`Bearer ${robot.token}`)).toMatchObject({ role: 'write' });
  });

  it("should show each token's last use (null before any), a user's and a robot's, and not count a refused token", async () => {
    const { accounts, authenticator } = world();
    const { token } = await accounts.signUp.execute(signUp('olga'));
    const olga: Caller = { kind: 'user', name: 'olga', siteAdmin: false };
    const spare = await accounts.userTokens.create(olga, () => ({ label: 'spare', lifetimeSeconds: undefined }));
    await accounts.organizations.create(olga, () => 'acme');
    const robot = await accounts.robots.set(olga, 'acme', 'ci', () => ({ role: 'read', expiresIn: undefined }));
    const before = new Date().toISOString();
    expect(await accounts.userTokens.list(olga)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: parseToken(token)!.id, last_used_at: null })]),
    );

    await authenticator.callerFor(token);
    await authenticator.callerFor(`Bearer ${robot.token}`);
    const parsed = parseToken(spare.token)!;
    await expect(
      authenticator.callerFor(formatToken({ ...parsed, secret: `x${parsed.secret.slice(1)}` })),
    ).rejects.toBeInstanceOf(UnauthorizedError);

    const mine = await accounts.userTokens.list(olga);
    const used = mine.find((t) => t.id === parseToken(token)!.id)!;
    expect(used.last_used_at! >= before).toBe(true);
    expect(mine.find((t) => t.id === spare.id)!.last_used_at).toBeNull();
    const robotTokens = await accounts.robots.listTokens(olga, 'acme', 'ci');
    expect(robotTokens[0]!.last_used_at! >= before).toBe(true);
    const org = await accounts.organizations.show(olga, 'acme');
    expect(org.robots[0]!.tokens[0]!.last_used_at).toBe(robotTokens[0]!.last_used_at);
  });

  it('should refuse a caller who may not act before it reads the request (401 whatever the input)', async () => {
    const { accounts } = world();
    const unread = (): never => {
      throw new Error('the input was read before the guard');
    };
    await expect(
      accounts.changePassword.execute({ caller: ANONYMOUS, request: unread, client: '' }),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(accounts.userTokens.create(ANONYMOUS, unread)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(accounts.organizations.create(ANONYMOUS, unread)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(accounts.organizations.setMemberRole(ANONYMOUS, 'acme', 'bob', unread)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    await expect(accounts.robots.set(ANONYMOUS, 'acme', 'ci', unread)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(accounts.robots.createToken(ANONYMOUS, 'acme', 'ci', unread)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    await expect(accounts.limits.set(ANONYMOUS, 'alice', unread)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(accounts.audit.list(ANONYMOUS, 'alice', unread)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('should let only a site admin set limits, and apply the lower blob limit at push', async () => {
    const { accounts, authenticator, access, directory, config } = world();
    await accounts.admin.bootstrap();
    const { token } = await accounts.signUp.execute(signUp('alice'));
    const alice = await authenticator.callerFor(token);
    await expect(
      accounts.limits.set(alice, 'alice', () => ({ ...NO_LIMITS, maxBlobBytes: 10 })),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const root: Caller = { kind: 'user', name: 'root', siteAdmin: true };
    await accounts.limits.set(root, 'alice', () => ({ ...NO_LIMITS, maxBlobBytes: 2048, maxStorageBytes: 100 }));
    const reader: PackageReader = {
      get: async () => null,
      getHead: async () => null,
      getRelease: async () => null,
      list: async () => [{ storedBytes: 60 } as never],
      count: async () => 1,
    };
    const admission = new PushAdmission(access, directory, reader, config);
    const admitted = await admission.admit(alice, 'alice');
    expect(admitted).toEqual({ namespace: 'alice', maxBlobBytes: 2048, maxStorageBytes: 100, allowOverwrites: true });
    await expect(admission.assertStorage(admitted, 40)).resolves.toBeUndefined();
    await expect(admission.assertStorage(admitted, 41)).rejects.toMatchObject({ code: 'quota-exceeded' });
    await expect(admission.admit(ANONYMOUS, 'alice')).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

import { loadConfig } from '@wharf/config';
import { SqliteAccountStore } from '@wharf/adapters/account-store-sqlite';
import { ANONYMOUS, AccountExistsError, Caller, ForbiddenError, UnauthorizedError, formatToken, parseToken } from '@wharf/domain';
import type { PackageReader } from '@wharf/ports';
import { AccessControl } from './access-control';
import { AccountDirectory } from './account-directory';
import { AccountWriter } from './account-writer';
import { AccountsUseCases } from './accounts.use-cases';
import { Authenticator } from './authenticator';
import { PushAdmission } from './push-admission';

// scrypt is deliberately slow: a few hundred milliseconds a hash on a busy machine.
jest.setTimeout(30_000);

function world(env: Record<string, string> = {}) {
  const config = loadConfig({ WHARF_ADMIN_USERNAME: 'root', WHARF_ADMIN_PASSWORD: 'root-password', ...env });
  const store = new SqliteAccountStore({ path: ':memory:' });
  const directory = new AccountDirectory(store);
  const access = new AccessControl(directory);
  const authenticator = new Authenticator(directory, config);
  const claimed: PackageReader = { get: async () => null, list: async (f) => (f.namespace === 'library' ? [{} as never] : []), count: async () => 1 };
  const accounts = new AccountsUseCases(new AccountWriter(store, directory), directory, authenticator, access, config, claimed);
  return { config, store, directory, access, authenticator, accounts };
}

const signUp = (username: string) => ({ user: { username, password: 'long-enough' } });

describe(AccountsUseCases.name, () => {
  it('should create the configured site admin once, who then holds every role', async () => {
    const { accounts, authenticator, access } = world();
    expect(await accounts.bootstrapAdmin()).toBe('created');
    expect(await accounts.bootstrapAdmin()).toBe('exists');
    const root = await authenticator.callerFor(`Basic ${Buffer.from('root:root-password').toString('base64')}`);
    expect(root).toEqual({ kind: 'user', name: 'root', siteAdmin: true, proof: { by: 'password' } });
    expect(await access.roleOn(root, 'anyone')).toBe('admin');
  });

  it('should refuse sign-up when it is turned off, except to the site admin', async () => {
    const { accounts } = world({ WHARF_SIGNUP: 'false' });
    await expect(accounts.signUp(signUp('eve'), ANONYMOUS)).rejects.toBeInstanceOf(ForbiddenError);
    await accounts.bootstrapAdmin();
    await expect(accounts.signUp(signUp('eve'), { kind: 'user', name: 'root', siteAdmin: true })).resolves.toMatchObject({ username: 'eve' });
    await expect(accounts.signUp(signUp('eve'), { kind: 'user', name: 'root', siteAdmin: true })).rejects.toBeInstanceOf(AccountExistsError);
  });

  it('should not hand a namespace that already holds packages to whoever signs up first', async () => {
    const { accounts } = world();
    await expect(accounts.signUp(signUp('library'), ANONYMOUS)).rejects.toBeInstanceOf(AccountExistsError);
    const { token } = await accounts.signUp(signUp('alice'), ANONYMOUS);
    await expect(accounts.createOrganization({ kind: 'user', name: 'alice', siteAdmin: false }, { name: 'library' })).rejects.toBeInstanceOf(AccountExistsError);
    await expect(accounts.createOrganization({ kind: 'user', name: 'root', siteAdmin: true }, { name: 'library' })).resolves.toMatchObject({ name: 'library' });
    expect(token).toMatch(/^wharf\./);
  });

  it('should answer 429 after too many wrong passwords for one account', async () => {
    const { accounts, authenticator } = world();
    await accounts.signUp(signUp('alice'), ANONYMOUS);
    const wrong = `Basic ${Buffer.from('alice:wrong-password').toString('base64')}`;
    for (let i = 0; i < 10; i++) await expect(authenticator.callerFor(wrong)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(authenticator.callerFor(wrong)).rejects.toMatchObject({ code: 'rate-limited' });
  });

  it('should refuse an expired token, a token for another account, and a token whose secret is wrong', async () => {
    const { accounts, authenticator } = world({ WHARF_TOKEN_TTL_SECONDS: '1' });
    const { token } = await accounts.signUp(signUp('alice'), ANONYMOUS);
    await accounts.signUp(signUp('bob'), ANONYMOUS);
    expect(await authenticator.callerFor(token)).toMatchObject({ kind: 'user', name: 'alice' });
    await expect(authenticator.callerFor(`Basic ${Buffer.from(`bob:${token}`).toString('base64')}`)).rejects.toBeInstanceOf(UnauthorizedError);
    const parsed = parseToken(token)!;
    await expect(authenticator.callerFor(formatToken({ ...parsed, secret: parsed.secret.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }))).rejects.toBeInstanceOf(UnauthorizedError);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(authenticator.callerFor(token)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('should give a robot its role in its organisation only, and follow role changes', async () => {
    const { accounts, authenticator, access, directory } = world();
    const { token } = await accounts.signUp(signUp('olga'), ANONYMOUS);
    const olga = await authenticator.callerFor(token);
    await accounts.createOrganization(olga, { name: 'acme' });
    const robot = await accounts.setRobot(olga, 'acme', 'ci', { role: 'read' });
    const ci = await authenticator.callerFor(`Basic ${Buffer.from(`acme+ci:${robot.token}`).toString('base64')}`);
    expect(ci).toMatchObject({ kind: 'robot', org: 'acme', name: 'ci', role: 'read', proof: { by: 'token' } });
    expect(await access.roleOn(ci, 'olga')).toBeNull();
    await accounts.setRobot(olga, 'acme', 'ci', { role: 'write' });
    directory.forget('acme');
    expect(await authenticator.callerFor(`Bearer ${robot.token}`)).toMatchObject({ role: 'write' });
  });

  it('should let only a site admin set limits, and apply the lower blob limit at push', async () => {
    const { accounts, authenticator, access, directory, config } = world();
    await accounts.bootstrapAdmin();
    const { token } = await accounts.signUp(signUp('alice'), ANONYMOUS);
    const alice = await authenticator.callerFor(token);
    await expect(accounts.setLimits(alice, 'alice', { max_blob_bytes: 10 })).rejects.toBeInstanceOf(ForbiddenError);
    const root: Caller = { kind: 'user', name: 'root', siteAdmin: true };
    await accounts.setLimits(root, 'alice', { max_blob_bytes: 2048, max_storage_bytes: 100 });
    const reader: PackageReader = { get: async () => null, list: async () => [{ storedBytes: 60 } as never], count: async () => 1 };
    const admission = new PushAdmission(access, directory, reader, config);
    const admitted = await admission.admit(alice, 'alice');
    expect(admitted).toEqual({ namespace: 'alice', maxBlobBytes: 2048, maxStorageBytes: 100, allowOverwrites: true });
    await expect(admission.assertStorage(admitted, 40)).resolves.toBeUndefined();
    await expect(admission.assertStorage(admitted, 41)).rejects.toMatchObject({ code: 'quota-exceeded' });
    await expect(admission.admit(ANONYMOUS, 'alice')).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

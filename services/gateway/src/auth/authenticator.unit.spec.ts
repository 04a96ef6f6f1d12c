import { randomBytes } from 'node:crypto';
import { loadConfig } from '@wharf/config';
import { SqliteAccountStore } from '@wharf/adapters/account-store-sqlite';
import { ANONYMOUS, UnauthorizedError } from '@wharf/domain';
import { RecordingMetrics, packageReaderOf } from '@wharf/testing';
import { AccountDirectory } from './account-directory';
import { AccountWriter } from './account-writer';
import { Authenticator } from './authenticator';
import { REGISTRY_AUDIENCE } from './registry-tokens';
import { accountUseCases } from '../use-cases/accounts/account-use-cases.fixture';
import { preparePlaceholder } from './password-hasher';

// scrypt is deliberately slow: a few hundred milliseconds a hash on a busy machine.
jest.setTimeout(60_000);

const PASSWORD = 'the-right-password';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function world(env: Record<string, string> = {}, metrics = new RecordingMetrics()) {
  const config = loadConfig({ WHARF_FAILED_LOGINS_PER_MINUTE: '3', ...env });
  const store = new SqliteAccountStore({ path: ':memory:' });
  const directory = new AccountDirectory(store);
  const authenticator = new Authenticator(directory, config, metrics);
  const accounts = accountUseCases(store, directory, authenticator, config, packageReaderOf());
  const { token } = await accounts.signUp.execute({
    username: 'alice',
    password: PASSWORD,
    caller: ANONYMOUS,
    client: '',
  });
  await preparePlaceholder();
  return { authenticator, accounts, token, directory, store };
}

/** Counts the scrypt hashes computed while `action` runs. */
async function hashesDuring(action: () => Promise<unknown>): Promise<number> {
  // The module object itself (an `import *` would be a copy the hasher never calls through).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const spy = jest.spyOn(require('node:crypto') as typeof import('node:crypto'), 'scrypt');
  try {
    await action();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? String(e),
  );

describe(Authenticator.name, () => {
  it('should count every refusal of credentials by kind, and each refusal of the spent failure budget', async () => {
    const metrics = new RecordingMetrics();
    const { authenticator, token } = await world({}, metrics);

    expect(await outcome(authenticator.callerFor('Basic not base64!'))).toBe('unauthorized-access');
    expect(await outcome(authenticator.callerFor(`${token}x`))).toBe('unauthorized-access');
    expect(await outcome(authenticator.callerFor(token))).toBe('ok');
    expect(await outcome(authenticator.callerFor(basic('alice', PASSWORD)))).toBe('ok');
    for (let i = 0; i < 3; i++)
      expect(await outcome(authenticator.callerFor(basic('alice', 'wrong')))).toBe('unauthorized-access');
    expect(await outcome(authenticator.callerFor(basic('alice', PASSWORD)))).toBe('rate-limited');

    expect(metrics.counted).toEqual([
      'authentication failed: malformed',
      'authentication failed: token',
      'authentication failed: password',
      'authentication failed: password',
      'authentication failed: password',
      'rate limited: failed_logins',
    ]);
  });

  it('should refuse the password of a disabled user, even one it remembers, and take it again once enabled', async () => {
    const { authenticator, store, directory } = await world();
    const writer = new AccountWriter(store, directory);
    expect(await outcome(authenticator.callerFor(basic('alice', PASSWORD)))).toBe('ok');
    await writer.execute('alice', { type: 'SetUserDisabled', disabled: true }, '-');
    expect(await outcome(authenticator.callerFor(basic('alice', PASSWORD)))).toBe('unauthorized-access');
    await writer.execute('alice', { type: 'SetUserDisabled', disabled: false }, '-');
    expect(await outcome(authenticator.callerFor(basic('alice', PASSWORD)))).toBe('ok');
  });

  it('should refuse every password for an account whose failure budget is spent, the right one included, without hashing it', async () => {
    const { authenticator, token } = await world();
    const wrong = await Promise.all(
      [1, 2, 3].map(() => outcome(authenticator.callerFor(basic('alice', 'wrong-guess')))),
    );
    expect(wrong).toEqual(['unauthorized-access', 'unauthorized-access', 'unauthorized-access']);
    expect(
      await hashesDuring(async () => {
        await expect(authenticator.callerFor(basic('alice', 'wrong-guess'))).rejects.toMatchObject({
          code: 'rate-limited',
          retryAfterSeconds: expect.any(Number),
        });
        await expect(authenticator.callerFor(basic('alice', PASSWORD))).rejects.toMatchObject({ code: 'rate-limited' });
        await expect(authenticator.checkPassword('alice', PASSWORD)).rejects.toMatchObject({ code: 'rate-limited' });
      }),
    ).toBe(0);
    // The victim's token still works.
    expect(await authenticator.callerFor(token)).toMatchObject({ kind: 'user', name: 'alice', proof: { by: 'token' } });
  });

  it('should not let parallel guesses slip past the budget before the first one fails', async () => {
    const { authenticator } = await world();
    let results: string[] = [];
    const hashes = await hashesDuring(async () => {
      results = await Promise.all(
        Array.from({ length: 16 }, () => outcome(authenticator.callerFor(basic('alice', 'wrong-guess')))),
      );
    });
    expect(hashes).toBe(3);
    expect(results.filter((r) => r === 'unauthorized-access')).toHaveLength(3);
    expect(results.filter((r) => r === 'rate-limited')).toHaveLength(13);
  });

  it('should not count a right password against the budget', async () => {
    const { authenticator } = await world({ WHARF_FAILED_LOGINS_PER_MINUTE: '1' });
    for (let i = 0; i < 3; i++)
      expect(await authenticator.checkPassword('alice', PASSWORD)).toMatchObject({
        name: 'alice',
        proof: { by: 'password' },
      });
    expect(await authenticator.checkPassword('alice', 'wrong-guess')).toBeNull();
    await expect(authenticator.checkPassword('alice', PASSWORD)).rejects.toMatchObject({ code: 'rate-limited' });
  });

  it('should hash once for an unknown name, as for a known one, and limit unknown names alike', async () => {
    const { authenticator } = await world();
    expect(await hashesDuring(() => outcome(authenticator.checkPassword('alice', 'wrong-guess')))).toBe(1);
    expect(await hashesDuring(() => outcome(authenticator.checkPassword('nobody', 'wrong-guess')))).toBe(1);
    for (let i = 0; i < 2; i++) expect(await authenticator.checkPassword('nobody', 'wrong-guess')).toBeNull();
    await expect(authenticator.checkPassword('nobody', 'wrong-guess')).rejects.toMatchObject({ code: 'rate-limited' });
  });

  it('should remember a right password for a minute (no second hash)', async () => {
    const { authenticator } = await world();
    expect(await hashesDuring(() => authenticator.callerFor(basic('alice', PASSWORD)))).toBe(1);
    expect(await hashesDuring(() => authenticator.callerFor(basic('alice', PASSWORD)))).toBe(0);
  });

  it('should answer 503 when more password checks wait than the queue holds', async () => {
    const { authenticator } = await world({
      WHARF_PASSWORD_HASH_CONCURRENCY: '1',
      WHARF_PASSWORD_HASH_QUEUE: '1',
      WHARF_FAILED_LOGINS_PER_MINUTE: '100',
    });
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((n) => outcome(authenticator.checkPassword(`user-${n}`, 'wrong-guess'))),
    );
    expect(results.sort()).toEqual(['ok', 'ok', 'service-unavailable', 'service-unavailable']);
  });
});

describe('names that no account can have (issue 15 review, finding 5)', () => {
  const malformed = ['x'.repeat(15_000), 'Alice', 'аlice', 'a/b', 'acme+CI', `${'o'.repeat(200)}+${'r'.repeat(200)}`];

  it('should treat a malformed or overlong name as unknown: one placeholder hash, no directory lookup, no budget key', async () => {
    const { authenticator, directory } = await world({ WHARF_FAILED_LOGINS_PER_MINUTE: '100' });
    const lookups = jest.spyOn(directory, 'get');
    for (const name of malformed) {
      const keys = authenticator.failureBudgetKeys;
      expect(
        await hashesDuring(async () => expect(await authenticator.checkPassword(name, 'wrong-guess')).toBeNull()),
      ).toBe(1);
      expect(authenticator.failureBudgetKeys).toBeLessThanOrEqual(Math.max(keys, 1)); // the one shared key at most
      await expect(authenticator.callerFor(basic(name, 'wrong-guess'))).rejects.toMatchObject({
        code: 'unauthorized-access',
      });
    }
    expect(lookups).not.toHaveBeenCalled();
    expect(authenticator.failureBudgetKeys).toBe(1);
  });

  it('should give all malformed names one shared budget, and leave well-formed names their own', async () => {
    const { authenticator } = await world();
    for (const name of malformed.slice(0, 3)) expect(await authenticator.checkPassword(name, 'wrong-guess')).toBeNull();
    await expect(authenticator.checkPassword(malformed[3], 'wrong-guess')).rejects.toMatchObject({
      code: 'rate-limited',
    });
    await expect(authenticator.checkPassword(`${'y'.repeat(9_000)}`, 'wrong-guess')).rejects.toMatchObject({
      code: 'rate-limited',
    });
    // Names within the syntax are untouched by the shared budget: a user, an unknown name, a robot.
    expect(await authenticator.checkPassword('alice', PASSWORD)).toMatchObject({
      name: 'alice',
      proof: { by: 'password' },
    });
    expect(await authenticator.callerFor(basic('alice', PASSWORD))).toMatchObject({ name: 'alice' });
    expect(await authenticator.checkPassword('nobody-here', 'wrong-guess')).toBeNull();
    expect(await authenticator.checkPassword('acme+ci', 'wrong-guess')).toBeNull();
  });

  it('should refuse with 503 before touching the budget when the pool has no room: no key, nothing spent', async () => {
    const { authenticator } = await world({
      WHARF_PASSWORD_HASH_CONCURRENCY: '1',
      WHARF_PASSWORD_HASH_QUEUE: '0',
      WHARF_FAILED_LOGINS_PER_MINUTE: '1',
    });
    const first = authenticator.checkPassword('alice', 'wrong-guess', 'client-a');
    await new Promise((resolve) => setImmediate(resolve)); // the lookup resolves in microtasks (in-memory SQLite): the first check holds the only slot now
    const keys = authenticator.failureBudgetKeys;
    for (let i = 0; i < 5; i++)
      await expect(authenticator.checkPassword(`user-${i}`, 'wrong-guess', 'client-b')).rejects.toMatchObject({
        code: 'service-unavailable',
      });
    expect(authenticator.failureBudgetKeys).toBe(keys);
    expect(await first).toBeNull();
    // The refused names' budgets were never spent: with one failure a minute, each still gets its guess.
    expect(await authenticator.checkPassword('user-0', 'wrong-guess', 'client-b')).toBeNull();
  });
});

describe('tokens and passwords (item 3 of issue 15)', () => {
  it('should change a password only with the current one, revoking every token but the one it returns', async () => {
    const { authenticator, accounts, token } = await world();
    const alice = await authenticator.callerFor(token);
    const other = await accounts.userTokens.create(alice, () => ({ label: 'ci', lifetimeSeconds: undefined }));
    await expect(
      accounts.changePassword.execute({
        caller: alice,
        request: () => ({ currentPassword: 'wrong-guess', password: 'a-new-password' }),
        client: '',
      }),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    const changed = await accounts.changePassword.execute({
      caller: alice,
      request: () => ({ currentPassword: PASSWORD, password: 'a-new-password' }),
      client: '',
    });
    await expect(authenticator.callerFor(token)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(authenticator.callerFor(other.token)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(await authenticator.callerFor(changed.token)).toMatchObject({ name: 'alice' });
    expect(await authenticator.checkPassword('alice', 'a-new-password')).toMatchObject({ name: 'alice' });
  });

  it('should not let a token create a token that outlives it', async () => {
    const { authenticator, accounts } = await world();
    const alice = await authenticator.checkPassword('alice', PASSWORD);
    const short = await accounts.userTokens.create(alice!, () => ({ label: 'short', lifetimeSeconds: 60 }));
    const viaShort = await authenticator.callerFor(short.token);
    await expect(
      accounts.userTokens.create(viaShort, () => ({ label: 'forever', lifetimeSeconds: null })),
    ).rejects.toMatchObject({ code: 'forbidden' });
    const capped = await accounts.userTokens.create(viaShort, () => ({ label: 'long', lifetimeSeconds: 86_400 }));
    expect(capped.expires_at).toBe(short.expires_at);
    const shorter = await accounts.userTokens.create(viaShort, () => ({ label: 'shorter', lifetimeSeconds: 60 }));
    expect(shorter.expires_at! <= short.expires_at!).toBe(true);
    // A password-authenticated caller may still make a token that never expires.
    expect(
      (await accounts.userTokens.create(alice!, () => ({ label: 'forever', lifetimeSeconds: null }))).expires_at,
    ).toBeNull();
  });

  describe("registry tokens (the OCI token endpoint's answer to a password)", () => {
    it('should take one as Bearer until it expires, recording no API token', async () => {
      const { authenticator, directory } = await world();
      const before = (await directory.get('alice'))!.tokens.length;
      const issued = await authenticator.issueRegistryToken('alice');
      expect((await directory.get('alice'))!.tokens.length).toBe(before);
      expect(await authenticator.callerFor(`Bearer ${issued.token}`, '', REGISTRY_AUDIENCE)).toMatchObject({
        kind: 'user',
        name: 'alice',
        proof: { by: 'registry-token', expiresAt: issued.expiresAt },
      });
      const later = jest.spyOn(Date, 'now').mockReturnValue(Date.parse(issued.expiresAt) + 1000);
      try {
        expect(await outcome(authenticator.callerFor(`Bearer ${issued.token}`, '', REGISTRY_AUDIENCE))).toBe(
          'unauthorized-access',
        );
      } finally {
        later.mockRestore();
      }
    });

    it('should take one on the registry routes alone: the API audience (the default) refuses it, passwords and API tokens work on both', async () => {
      const { authenticator, token: apiToken } = await world();
      const { token } = await authenticator.issueRegistryToken('alice');
      expect(await outcome(authenticator.callerFor(`Bearer ${token}`, '', REGISTRY_AUDIENCE))).toBe('ok');
      expect(await outcome(authenticator.callerFor(`Bearer ${token}`, '', 'wharf-api'))).toBe('unauthorized-access');
      expect(await outcome(authenticator.callerFor(`Bearer ${token}`))).toBe('unauthorized-access');
      for (const audience of [REGISTRY_AUDIENCE, 'wharf-api'] as const) {
        expect(await outcome(authenticator.callerFor(apiToken, '', audience))).toBe('ok');
        expect(await outcome(authenticator.callerFor(basic('alice', PASSWORD), '', audience))).toBe('ok');
      }
    });

    it('should refuse one signed with another key, forged, or outlived by a password change or a disabled user', async () => {
      const { authenticator, accounts, store, directory } = await world();
      const other = (await world({ WHARF_REGISTRY_TOKEN_KEY: randomBytes(32).toString('base64') })).authenticator;
      const foreign = await other.issueRegistryToken('alice');
      expect(await outcome(authenticator.callerFor(`Bearer ${foreign.token}`, '', REGISTRY_AUDIENCE))).toBe(
        'unauthorized-access',
      );

      const { token } = await authenticator.issueRegistryToken('alice');
      const [prefix, claims, signature] = token.split('.') as [string, string, string];
      const admin = Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url').toString()), sub: 'mallory' }),
      ).toString('base64url');
      expect(
        await outcome(authenticator.callerFor(`Bearer ${prefix}.${admin}.${signature}`, '', REGISTRY_AUDIENCE)),
      ).toBe('unauthorized-access');

      const writer = new AccountWriter(store, directory);
      await writer.execute('alice', { type: 'SetUserDisabled', disabled: true }, '-');
      expect(await outcome(authenticator.callerFor(`Bearer ${token}`, '', REGISTRY_AUDIENCE))).toBe(
        'unauthorized-access',
      );
      await writer.execute('alice', { type: 'SetUserDisabled', disabled: false }, '-');
      expect(await outcome(authenticator.callerFor(`Bearer ${token}`, '', REGISTRY_AUDIENCE))).toBe('ok');
      const alice = await authenticator.checkPassword('alice', PASSWORD);
      await accounts.changePassword.execute({
        caller: alice!,
        request: () => ({ currentPassword: PASSWORD, password: 'a-new-password' }),
        client: '',
      });
      expect(await outcome(authenticator.callerFor(`Bearer ${token}`, '', REGISTRY_AUDIENCE))).toBe(
        'unauthorized-access',
      );
    });
  });
});

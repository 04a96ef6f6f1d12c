/**
 * Issue 15, items 1, 3 and 7, as an attacker meets them over HTTP, against the enforced registry
 * (WHARF_ENFORCED_URL: the embedded profile, or a gateway in front of the distributed stack):
 * - the wrong-password limit is a limit, not an oracle: once an account's failure budget is
 *   spent, the right password is refused like a wrong one, by login and by Basic on any route,
 *   while the account's tokens keep working; names no account can have share one budget, so
 *   inventing names (of any length) buys no fresh budget;
 * - a stolen short-lived token does not become the account for ever: it cannot mint a token that
 *   outlives it nor change the password, and a password change kills every older token;
 * - robot tokens expire and are revoked one by one;
 * - the request limit is per caller, not per namespace in the URL: rotating namespaces or tokens
 *   of one account does not escape it.
 * Every account and namespace is fresh per test: the server is shared with the other suites.
 */
import { randomBytes } from 'node:crypto';
import { HttpClient, expectError, expectJson } from '../../support/http-client';
import { E2E_ADMIN, enforcedUrl } from '../../support/target';
import { eventually, packagePath } from '../support/appr.fixtures';

jest.setTimeout(120_000);

const anonymous = new HttpClient('/cnr', enforcedUrl);
const PASSWORD = 'correct-horse-battery';
const FAILED_LOGINS_PER_MINUTE = 10; // the registry's default (WHARF_FAILED_LOGINS_PER_MINUTE)

const fresh = (label: string) => `${label}-${randomBytes(5).toString('hex')}`;
const basic = (user: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`,
});

async function signUp(username: string): Promise<HttpClient> {
  const { token } = expectJson(await anonymous.post('/api/v1/users', { user: { username, password: PASSWORD } }), 201);
  return anonymous.with({ authorization: token });
}

const login = (username: string, password: string) =>
  anonymous.post('/api/v1/users/login', { user: { username, password } });

describe('the wrong-password limit (issue 15, item 1)', () => {
  it('should answer 401 to the first wrong guesses, then 429 to every guess, the right password included, while tokens still work', async () => {
    const victim = fresh('victim');
    const tokenClient = await signUp(victim);
    const guesses = Array.from({ length: 120 }, (_, i) => `guess-${i}-wrong`);
    // The right password comes right after the budget is spent, in the middle, and last.
    for (const at of [FAILED_LOGINS_PER_MINUTE, FAILED_LOGINS_PER_MINUTE + 1, 60, 119]) guesses[at] = PASSWORD;
    const seen: number[] = [];
    for (const guess of guesses) {
      const res = await login(victim, guess);
      seen.push(res.status);
      if (res.status === 429) {
        expectError(res, 429, 'rate-limited');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    expect(seen.slice(0, FAILED_LOGINS_PER_MINUTE)).toEqual(Array(FAILED_LOGINS_PER_MINUTE).fill(401));
    expect(seen.slice(FAILED_LOGINS_PER_MINUTE)).toEqual(Array(120 - FAILED_LOGINS_PER_MINUTE).fill(429));
    // Basic with the right password, on any route, is refused the same way.
    expectError(await anonymous.get('/api/v1/user', { headers: basic(victim, PASSWORD) }), 429, 'rate-limited');
    expectError(
      await anonymous.get(packagePath(victim, 'anything'), { headers: basic(victim, PASSWORD) }),
      429,
      'rate-limited',
    );
    // The victim is never locked out of token use.
    expect(expectJson(await tokenClient.get('/api/v1/user'), 200).username).toBe(victim);
  });

  it('should spend the budget through Basic auth on any route as through login', async () => {
    const victim = fresh('basic');
    await signUp(victim);
    const statuses: number[] = [];
    for (let i = 0; i < FAILED_LOGINS_PER_MINUTE + 2; i++)
      statuses.push(
        (await anonymous.get(packagePath(victim, 'pkg'), { headers: basic(victim, `wrong-${i}-guess`) })).status,
      );
    expect(statuses).toEqual([...Array(FAILED_LOGINS_PER_MINUTE).fill(401), 429, 429]);
    expectError(await login(victim, PASSWORD), 429, 'rate-limited');
  });

  it('should answer an unknown name exactly as a known one: 401, then 429 past the same budget', async () => {
    const ghost = fresh('ghost');
    const statuses: number[] = [];
    for (let i = 0; i < FAILED_LOGINS_PER_MINUTE + 2; i++)
      statuses.push((await login(ghost, `wrong-${i}-guess`)).status);
    expect(statuses).toEqual([...Array(FAILED_LOGINS_PER_MINUTE).fill(401), 429, 429]);
  });

  it('should give every name no account can have (overlong, uppercase, not ASCII) one shared budget, leaving well-formed names theirs', async () => {
    const user = fresh('named');
    await signUp(user);
    // Fresh every time: before the fix each had a budget (and a directory lookup) of its own, so none was ever limited.
    const malformed = Array.from(
      { length: 3 * FAILED_LOGINS_PER_MINUTE },
      (_, i) => [`${fresh('long')}-${'x'.repeat(12_000)}`, fresh('Upper'), `${fresh('cyr')}-\u0430`][i % 3],
    );
    const statuses: number[] = [];
    for (const [i, name] of malformed.entries()) {
      // Login and Basic on a route alike: a malformed name is an unknown user, 401, never 400.
      const res =
        i % 2 === 0
          ? await login(name, 'wrong-guess')
          : await anonymous.get('/api/v1/user', { headers: basic(name.slice(0, 4_000), 'wrong-guess') });
      statuses.push(res.status);
      if (res.status === 401) expectError(res, 401, 'unauthorized-access');
      else {
        expectError(res, 429, 'rate-limited');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    // Thirty guesses against one budget of ten a minute (refilling one every six seconds) run it out.
    expect(statuses).toContain(429);
    // Names within the syntax keep their own budget: an unknown one, a robot-shaped one, a real user.
    expectError(await login(fresh('ghost'), 'wrong-guess'), 401, 'unauthorized-access');
    expectError(
      await anonymous.get('/api/v1/user', { headers: basic(`${fresh('org')}+ci`, 'wrong-guess') }),
      401,
      'unauthorized-access',
    );
    expect(expectJson(await login(user, PASSWORD), 200).token).toEqual(expect.any(String));
    expect(expectJson(await anonymous.get('/api/v1/user', { headers: basic(user, PASSWORD) }), 200).username).toBe(
      user,
    );
  });
});

describe('tokens and passwords (issue 15, item 3)', () => {
  it('should not let a token made with expires_in 60 mint a token that never expires, or one that outlives it', async () => {
    const user = fresh('thief');
    const owner = await signUp(user);
    const short = expectJson(await owner.post('/api/v1/user/tokens', { label: 'short', expires_in: 60 }), 201);
    const stolen = anonymous.with({ authorization: `Bearer ${short.token}` });
    expectError(await stolen.post('/api/v1/user/tokens', { label: 'forever', expires_in: null }), 403, 'forbidden');
    expectError(await stolen.post('/api/v1/user/tokens', { label: 'forever', expires_in: 0 }), 403, 'forbidden');
    const longer = expectJson(
      await stolen.post('/api/v1/user/tokens', { label: 'longer', expires_in: 10 * 365 * 86400 }),
      201,
    );
    expect(longer.expires_at).toBe(short.expires_at);
    const defaulted = expectJson(await stolen.post('/api/v1/user/tokens', { label: 'defaulted' }), 201);
    expect(defaulted.expires_at).toBe(short.expires_at);
    const listed = expectJson(await owner.get('/api/v1/user/tokens'), 200) as {
      label: string;
      expires_at: string | null;
    }[];
    const minted = listed.filter((t) => ['longer', 'defaulted', 'forever'].includes(t.label));
    expect(minted.map((t) => [t.label, t.expires_at])).toEqual(
      expect.arrayContaining([
        ['longer', short.expires_at],
        ['defaulted', short.expires_at],
      ]),
    );
    expect(minted).toHaveLength(2);
  });

  it('should change a password only with the current one, and kill every older token, the login token included', async () => {
    const user = fresh('pw');
    const signUpToken = await signUp(user);
    const { token: loginToken } = expectJson(await login(user, PASSWORD), 200);
    const loggedIn = anonymous.with({ authorization: loginToken });
    expectError(
      await loggedIn.put('/api/v1/user/password', { password: 'a-brand-new-password' }),
      400,
      'invalid-usage',
    );
    expectError(
      await loggedIn.put('/api/v1/user/password', {
        password: 'a-brand-new-password',
        current_password: 'not-the-password',
      }),
      401,
      'unauthorized-access',
    );
    const changed = expectJson(
      await loggedIn.put('/api/v1/user/password', { password: 'a-brand-new-password', current_password: PASSWORD }),
      200,
    );
    expect(changed).toEqual({ status: 'ok', token: expect.any(String) });
    await eventually(async () => expectError(await loggedIn.get('/api/v1/user'), 401, 'unauthorized-access'));
    expectError(await signUpToken.get('/api/v1/user'), 401, 'unauthorized-access');
    expect(expectJson(await anonymous.with({ authorization: changed.token }).get('/api/v1/user'), 200).username).toBe(
      user,
    );
    const trail = expectJson(
      await anonymous.with({ authorization: changed.token }).get(`/api/v1/namespaces/${user}/audit`),
      200,
    ) as { type: string }[];
    // Newest first: the change, each revocation and the replacement token are events of the account.
    expect(trail.slice(0, 4).map((e) => e.type)).toEqual([
      'TokenIssued',
      'TokenRevoked',
      'TokenRevoked',
      'PasswordChanged',
    ]);
    expect(JSON.stringify(trail)).not.toMatch(/secretHash|passwordHash|scrypt/);
    expectError(await login(user, PASSWORD), 401, 'unauthorized-access');
    expectJson(await login(user, 'a-brand-new-password'), 200);
  });

  it('should give robot tokens an expiry, list them, and revoke one without the others', async () => {
    const owner = await signUp(fresh('own'));
    const org = fresh('rorg');
    expectJson(await owner.post('/api/v1/organizations', { name: org }), 201);
    const created = expectJson(await owner.put(`/api/v1/organizations/${org}/robots/ci`, { role: 'read' }), 200);
    expect(created.expires_at).toEqual(expect.any(String));
    const second = expectJson(
      await owner.post(`/api/v1/organizations/${org}/robots/ci/tokens`, { label: 'deploy', expires_in: 3600 }),
      201,
    );
    expect(second).toMatchObject({
      name: `${org}+ci`,
      label: 'deploy',
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      expires_at: expect.any(String),
      token: expect.any(String),
    });
    expect(Date.parse(second.expires_at) - Date.now()).toBeLessThanOrEqual(3600 * 1000);
    const listed = expectJson(await owner.get(`/api/v1/organizations/${org}/robots/ci/tokens`), 200) as {
      id: string;
    }[];
    expect(listed.map((t) => t.id).sort()).toEqual([created.token_id, second.id].sort());
    expect(JSON.stringify(listed)).not.toContain(second.token.split('.')[3]);
    const first = anonymous.with(basic(`${org}+ci`, created.token));
    const deploy = anonymous.with({ authorization: `Bearer ${second.token}` });
    expectError(await first.get(packagePath(org, 'none')), 404, 'package-not-found');
    expectError(await deploy.get(packagePath(org, 'none')), 404, 'package-not-found');
    expectError(
      await deploy.delete(`/api/v1/organizations/${org}/robots/ci/tokens/${created.token_id}`),
      403,
      'forbidden',
    );
    // The token routes: an organisation's admin only; hostile ids and names change nothing.
    expectError(await anonymous.get(`/api/v1/organizations/${org}/robots/ci/tokens`), 401, 'unauthorized-access');
    expectError(await deploy.get(`/api/v1/organizations/${org}/robots/ci/tokens`), 403, 'forbidden');
    expectError(
      await owner.delete(`/api/v1/organizations/${org}/robots/ci/tokens/${'f'.repeat(2000)}`),
      404,
      'account-not-found',
    );
    expectError(await owner.get(`/api/v1/organizations/${org}/robots/nobody/tokens`), 404, 'account-not-found');
    expect(
      (expectJson(await owner.get(`/api/v1/organizations/${org}/robots/ci/tokens`), 200) as unknown[]).length,
    ).toBe(2);
    expectJson(await owner.delete(`/api/v1/organizations/${org}/robots/ci/tokens/${second.id}`), 200);
    await eventually(async () => expectError(await deploy.get(packagePath(org, 'none')), 401, 'unauthorized-access'));
    expectError(await first.get(packagePath(org, 'none')), 404, 'package-not-found');
    expectError(
      await owner.delete(`/api/v1/organizations/${org}/robots/ci/tokens/${second.id}`),
      404,
      'account-not-found',
    );
    const trail = expectJson(await owner.get(`/api/v1/namespaces/${org}/audit`), 200) as {
      type: string;
      data: Record<string, unknown>;
    }[];
    expect(trail[0]).toMatchObject({ type: 'TokenRevoked', data: { robot: 'ci', tokenId: second.id } });
  });
});

describe('request limits per caller (issue 15, item 7)', () => {
  it('should limit an account across namespaces and across its tokens, at its own limit', async () => {
    const user = fresh('rot');
    const first = await signUp(user);
    const { token } = expectJson(await first.post('/api/v1/user/tokens', { label: 'second' }), 201);
    const second = anonymous.with({ authorization: token });
    const { token: adminToken } = expectJson(await login(E2E_ADMIN.username, E2E_ADMIN.password), 200);
    const limit = 4;
    expectJson(
      await anonymous
        .with({ authorization: adminToken })
        .put(`/api/v1/namespaces/${user}/limits`, { requests_per_minute: limit }),
      200,
    );
    const namespaces = Array.from({ length: 8 }, (_, i) => fresh(`ns${i + 1}`));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const client = i % 2 === 0 ? first : second;
      const res = await client.get(packagePath(namespaces[i % namespaces.length], 'pkg'));
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(statuses).toEqual([...Array(limit).fill(404), ...Array(12 - limit).fill(429)]);
    // Other callers are not affected.
    expect((await anonymous.get(packagePath(namespaces[0], 'pkg'))).status).toBe(404);
  });
});

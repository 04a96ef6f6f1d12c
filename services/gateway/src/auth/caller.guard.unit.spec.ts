import type { ExecutionContext } from '@nestjs/common';
import { loadConfig } from '@wharf/config';
import { SqliteAccountStore } from '@wharf/adapters/account-store-sqlite';
import { ANONYMOUS } from '@wharf/domain';
import { RecordingMetrics, packageReaderOf } from '@wharf/testing';
import { AccountDirectory } from './account-directory';
import { Authenticator } from './authenticator';
import { accountUseCases } from '../use-cases/accounts/account-use-cases.fixture';
import { AccountWriter } from './account-writer';
import { CallerGuard, RequestWithCaller } from './caller.guard';
import { SESSION_COOKIE, SessionPages } from './session-cookie';

jest.setTimeout(30_000);

function world(env: Record<string, string>, metrics = new RecordingMetrics()) {
  const config = loadConfig(env);
  const store = new SqliteAccountStore({ path: ':memory:' });
  const directory = new AccountDirectory(store);
  const authenticator = new Authenticator(directory, config);
  const accounts = accountUseCases(store, directory, authenticator, config, packageReaderOf());
  const guard = new CallerGuard(authenticator, directory, config, metrics);
  const request = (authorization: string | undefined, namespace?: string, ip = '192.0.2.1') =>
    guard
      .canActivate({
        switchToHttp: () => ({
          getRequest: () => ({ headers: { authorization }, params: namespace ? { namespace } : {}, ip }),
        }),
        getClass: () => ApiRoutes,
      } as unknown as ExecutionContext)
      .then(
        () => 'ok',
        (e: { code?: string }) => e.code ?? String(e),
      );
  /** A request to a page of the web UI (`@SessionPages()`): its caller and whether its session was refused. */
  const page = async (headers: Record<string, string>, ip = '192.0.2.1') => {
    const request: RequestWithCaller = { headers, params: {}, ip };
    const context = { switchToHttp: () => ({ getRequest: () => request }), getClass: () => Pages };
    const outcome = await guard.canActivate(context as unknown as ExecutionContext).then(
      () => 'ok',
      (e: { code?: string }) => e.code ?? String(e),
    );
    return { outcome, caller: request.caller, stale: request.staleSession === true };
  };
  return { accounts, request, page, guard, authenticator, store, directory };
}

class ApiRoutes {}
@SessionPages()
class Pages {}

describe(CallerGuard.name, () => {
  it("should count each request it refuses for the caller's rate as a refusal of the requests limit", async () => {
    const metrics = new RecordingMetrics();
    const { request } = world({ WHARF_RATE_LIMIT_PER_MINUTE: '2' }, metrics);
    expect([await request(undefined), await request(undefined), await request(undefined)]).toEqual([
      'ok',
      'ok',
      'rate-limited',
    ]);
    expect(metrics.counted).toEqual(['rate limited: requests']);
  });

  it('should give all the robots of an organisation one bucket, so creating robots does not multiply the limit', async () => {
    const { accounts, request } = world({ WHARF_RATE_LIMIT_PER_MINUTE: '3' });
    const { token } = await accounts.signUp.execute({
      username: 'mallory',
      password: 'long-enough',
      caller: ANONYMOUS,
      client: '',
    });
    const owner = { kind: 'user', name: 'mallory', siteAdmin: false } as const;
    await accounts.organizations.create(owner, () => 'morg');
    const robots = [];
    for (const name of ['r1', 'r2', 'r3'])
      robots.push(
        (await accounts.robots.set(owner, 'morg', name, () => ({ role: 'read', expiresIn: undefined })))
          .token as string,
      );
    const seen = [];
    for (const robot of [...robots, ...robots]) seen.push(await request(robot, undefined, '192.0.2.9'));
    expect(seen).toEqual(['ok', 'ok', 'ok', 'rate-limited', 'rate-limited', 'rate-limited']);
    expect(await request(token, undefined, '192.0.2.9')).toBe('ok');
  });

  it('should check no password from an address whose bucket is spent, and still take tokens from it', async () => {
    const { accounts, request, authenticator } = world({ WHARF_RATE_LIMIT_PER_MINUTE: '2' });
    const { token } = await accounts.signUp.execute({
      username: 'bob',
      password: 'long-enough',
      caller: ANONYMOUS,
      client: '192.0.2.4',
    });
    expect([
      await request(undefined, undefined, '192.0.2.5'),
      await request(undefined, undefined, '192.0.2.5'),
    ]).toEqual(['ok', 'ok']);
    const checks = jest.spyOn(authenticator, 'checkPassword');
    const basic = `Basic ${Buffer.from('bob:long-enough').toString('base64')}`;
    expect(await request(basic, undefined, '192.0.2.5')).toBe('rate-limited');
    expect(checks).not.toHaveBeenCalled();
    expect(await request(token, undefined, '192.0.2.5')).toBe('ok');
  });

  it("should take a registry token on the /v2 routes alone, by the matched route's pattern", async () => {
    const { accounts, guard, authenticator } = world({});
    await accounts.signUp.execute({ username: 'carol', password: 'long-enough', caller: ANONYMOUS, client: '' });
    const { token } = await authenticator.issueRegistryToken('carol');
    const on = (url: string | undefined) =>
      guard
        .callerOf({
          headers: { authorization: `Bearer ${token}` },
          params: {},
          ip: '192.0.2.9',
          ...(url === undefined ? {} : { routeOptions: { url } }),
        })
        .then(
          (caller) => caller.kind,
          (e: { code?: string }) => e.code,
        );
    for (const route of ['/v2', '/v2/', '/v2/:namespace/:name/manifests/:reference', '/v2/token'])
      expect([route, await on(route)]).toEqual([route, 'user']);
    const refused = [
      '/cnr/api/v1/user/tokens',
      '/cnr/api/v1/packages/:namespace/:name/:release/:media_type/pull',
      '/api/:namespace/charts',
      '/helm/:namespace/index.yaml',
      '/v2x',
      '/ui',
    ];
    for (const route of refused) expect([route, await on(route)]).toEqual([route, 'unauthorized-access']);
    expect(await on(undefined)).toBe('unauthorized-access');
  });

  it('should count a request once when the upload hook resolved its caller before the guard ran', async () => {
    const { guard } = world({ WHARF_RATE_LIMIT_PER_MINUTE: '2' });
    const upload = () => ({ headers: {}, params: { namespace: 'ns' }, ip: '192.0.2.3' });
    const context = (request: object) =>
      ({
        switchToHttp: () => ({ getRequest: () => request }),
        getClass: () => ApiRoutes,
      }) as unknown as ExecutionContext;
    const first = upload();
    expect(await guard.callerOf(first)).toBe(ANONYMOUS);
    await guard.canActivate(context(first));
    const second = upload();
    await guard.callerOf(second);
    await expect(guard.canActivate(context(second))).resolves.toBe(true);
    await expect(guard.callerOf(upload())).rejects.toMatchObject({ code: 'rate-limited' });
  });

  it('should count refused credentials against the client address, then answer 429 instead of 401', async () => {
    const { request } = world({ WHARF_RATE_LIMIT_PER_MINUTE: '3' });
    const forged = `wharf.${Buffer.from('alice').toString('base64url')}.${'0'.repeat(16)}.${'A'.repeat(43)}`;
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await request(forged));
    expect(seen).toEqual(['unauthorized-access', 'unauthorized-access', 'unauthorized-access', 'rate-limited']);
    expect(await request(undefined)).toBe('rate-limited');
    expect(await request(undefined, undefined, '192.0.2.2')).toBe('ok');
  });

  it('should limit an account across namespaces and tokens at the global limit when its namespace sets none', async () => {
    const { accounts, request } = world({ WHARF_RATE_LIMIT_PER_MINUTE: '2' });
    const { token } = await accounts.signUp.execute({
      username: 'alice',
      password: 'long-enough',
      caller: ANONYMOUS,
      client: '',
    });
    expect([
      await request(token, 'ns1', '192.0.2.7'),
      await request(token, 'ns2', '192.0.2.8'),
      await request(token, 'ns3', '192.0.2.9'),
    ]).toEqual(['ok', 'ok', 'rate-limited']);
  });

  describe('on the web UI (@SessionPages)', () => {
    async function aliceWithToken(env: Record<string, string> = {}) {
      const w = world({ WHARF_AUTH_MODE: 'enforced', ...env });
      const { token } = await w.accounts.signUp.execute({
        username: 'alice',
        password: 'long-enough',
        caller: ANONYMOUS,
        client: '',
      });
      return { ...w, token: token as string };
    }

    it('should take the caller from the session cookie, and ignore an Authorization header a browser may replay', async () => {
      const { page, token } = await aliceWithToken();
      const basic = `Basic ${Buffer.from('alice:long-enough').toString('base64')}`;
      expect((await page({ cookie: `${SESSION_COOKIE}=${token}` })).caller).toMatchObject({ name: 'alice' });
      expect((await page({ authorization: basic })).caller).toBe(ANONYMOUS);
    });

    it('should ignore the session cookie on every other route', async () => {
      const { guard, token } = await aliceWithToken();
      const request: RequestWithCaller = {
        headers: { cookie: `${SESSION_COOKIE}=${token}` },
        params: {},
        ip: '192.0.2.1',
      };
      await guard.canActivate({
        switchToHttp: () => ({ getRequest: () => request }),
        getClass: () => ApiRoutes,
      } as unknown as ExecutionContext);
      expect(request.caller).toBe(ANONYMOUS);
    });

    it("should count a page against the user's own rate limit, the one a site admin set on their namespace", async () => {
      const { page, token, store, directory } = await aliceWithToken({ WHARF_RATE_LIMIT_PER_MINUTE: '100' });
      await new AccountWriter(store, directory).execute(
        'alice',
        {
          type: 'SetLimits',
          limits: { maxBlobBytes: null, maxStorageBytes: null, requestsPerMinute: 2, allowOverwrites: null },
        },
        '-',
      );
      const cookie = { cookie: `${SESSION_COOKIE}=${token}` };
      const seen = [];
      for (let i = 0; i < 3; i++) seen.push((await page(cookie, `192.0.2.${20 + i}`)).outcome);
      expect(seen).toEqual(['ok', 'ok', 'rate-limited']);
    });

    it("should refuse a disabled user's session: an anonymous visitor whose cookie the page clears", async () => {
      const { page, token, store, directory } = await aliceWithToken();
      const cookie = { cookie: `${SESSION_COOKIE}=${token}` };
      expect(await page(cookie)).toMatchObject({ outcome: 'ok', stale: false });
      await new AccountWriter(store, directory).execute('alice', { type: 'SetUserDisabled', disabled: true }, '-');
      expect(await page(cookie)).toEqual({ outcome: 'ok', caller: ANONYMOUS, stale: true });
    });
  });
});

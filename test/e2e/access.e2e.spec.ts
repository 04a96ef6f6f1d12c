/**
 * Accounts and access, through HTTP, against a registry that enforces authentication
 * (WHARF_ENFORCED_URL: the embedded profile, or a gateway in front of the distributed stack).
 *
 * The permission matrix: every package endpoint × every kind of caller × a public and a private
 * package. Callers: anonymous; members of the organisation with read, write and admin roles; a
 * robot of the organisation with write; a user of another tenant; the site admin. Each sends
 * its credentials in a different accepted form (the token verbatim as the appr client does,
 * Bearer, Basic with a password, Basic with a robot token), so every form is exercised.
 *
 * What a private package must look like to a caller without read access: exactly like a
 * package that does not exist (404 on reads, absent from list and search, the same answer to a
 * write as for a missing package).
 */
import { createHash, randomBytes } from 'node:crypto';
import { HttpClient, HttpResponse, expectError, expectJson } from '../support/http-client';
import { E2E_ADMIN, enforcedUrl } from '../support/target';
import { apprDigest, archiveFor, eventually, packagePath, pushBody } from './support/appr.fixtures';

jest.setTimeout(120_000);

const anonymous = new HttpClient('/cnr', enforcedUrl);
const PASSWORD = 'correct-horse-battery';

type CallerName = 'anonymous' | 'reader' | 'writer' | 'owner' | 'robot' | 'outsider' | 'siteadmin';
const CALLERS: readonly CallerName[] = ['anonymous', 'reader', 'writer', 'owner', 'robot', 'outsider', 'siteadmin'];
const CAN_READ_PRIVATE = new Set<CallerName>(['reader', 'writer', 'owner', 'robot', 'siteadmin']);
const CAN_WRITE = new Set<CallerName>(['writer', 'owner', 'robot', 'siteadmin']);
const IS_ADMIN = new Set<CallerName>(['owner', 'siteadmin']);
const VISIBILITIES = ['public', 'private'] as const;
type Visibility = (typeof VISIBILITIES)[number];

const id = randomBytes(4).toString('hex');
const org = `org-${id}`;
const names = { reader: `rd-${id}`, writer: `wr-${id}`, owner: `ow-${id}`, outsider: `ot-${id}` };
const clients = {} as Record<CallerName, HttpClient>;
const pkgOf: Record<Visibility, string> = { public: `pub-${id}`, private: `priv-${id}` };
const secretPkg = `secret-${id}`;
let secretDigest = '';

async function signUp(username: string): Promise<string> {
  return expectJson(
    await anonymous.post('/api/v1/users', {
      user: { username, password: PASSWORD, email: `${username}@example.test` },
    }),
    201,
  ).token;
}

async function push(
  client: HttpClient,
  ns: string,
  name: string,
  release: string,
  visibility?: Visibility,
): Promise<HttpResponse> {
  const body = {
    ...pushBody({ release, mediaType: 'helm', archive: archiveFor(name, release, id) }),
    ...(visibility ? { visibility } : {}),
  };
  return client.post(packagePath(ns, name), body);
}

function expectDenied(res: HttpResponse, caller: CallerName): void {
  if (caller === 'anonymous') expectError(res, 401, 'unauthorized-access');
  else expectError(res, 403, 'forbidden');
}

beforeAll(async () => {
  const tokens = {
    reader: await signUp(names.reader),
    writer: await signUp(names.writer),
    owner: await signUp(names.owner),
    outsider: await signUp(names.outsider),
  };
  const admin = expectJson(await anonymous.post('/api/v1/users/login', { user: E2E_ADMIN }), 200).token as string;
  clients.anonymous = anonymous;
  clients.owner = anonymous.with({ authorization: tokens.owner });
  clients.writer = anonymous.with({ authorization: `Bearer ${tokens.writer}` });
  clients.reader = anonymous.with({
    authorization: `Basic ${Buffer.from(`${names.reader}:${PASSWORD}`).toString('base64')}`,
  });
  clients.outsider = anonymous.with({ authorization: tokens.outsider });
  clients.siteadmin = anonymous.with({ authorization: admin });

  expectJson(await clients.owner.post('/api/v1/organizations', { name: org }), 201);
  expectJson(await clients.owner.put(`/api/v1/organizations/${org}/members/${names.reader}`, { role: 'read' }), 200);
  expectJson(await clients.owner.put(`/api/v1/organizations/${org}/members/${names.writer}`, { role: 'write' }), 200);
  const robot = expectJson(await clients.owner.put(`/api/v1/organizations/${org}/robots/ci`, { role: 'write' }), 200);
  expect(robot).toMatchObject({ name: `${org}+ci`, role: 'write', token: expect.any(String) });
  clients.robot = anonymous.with({
    authorization: `Basic ${Buffer.from(`${org}+ci:${robot.token}`).toString('base64')}`,
  });

  for (const visibility of VISIBILITIES) {
    expectJson(await push(clients.owner, org, pkgOf[visibility], '1.0.0', visibility), 200);
    expectJson(await clients.owner.post(packagePath(org, pkgOf[visibility], 'channels', 'stable', '1.0.0')), 200);
  }
  expectJson(await push(clients.outsider, names.outsider, secretPkg, '1.0.0', 'private'), 200);
  secretDigest = apprDigest(archiveFor(secretPkg, '1.0.0', id));
});

describe('the permission matrix: reads', () => {
  const digest = (visibility: Visibility) => apprDigest(archiveFor(pkgOf[visibility], '1.0.0', id));
  const endpoints: [string, (v: Visibility) => string[]][] = [
    ['show package', () => []],
    ['show release', () => ['1.0.0']],
    ['show manifest', () => ['1.0.0', 'helm']],
    ['pull', () => ['1.0.0', 'helm', 'pull']],
    ['pull json', () => ['1.0.0', 'helm', 'pull', 'json']],
    ['blob by digest', (v) => ['blobs', 'sha256', digest(v)]],
    ['channels', () => ['channels']],
    ['channel', () => ['channels', 'stable']],
  ];
  const cases = VISIBILITIES.flatMap((visibility) =>
    CALLERS.flatMap((caller) => endpoints.map(([endpoint, path]) => ({ visibility, caller, endpoint, path }))),
  );

  it.each(cases)('$endpoint of a $visibility package by $caller', async ({ visibility, caller, path }) => {
    const res = await clients[caller].get(packagePath(org, pkgOf[visibility], ...path(visibility)));
    if (visibility === 'public' || CAN_READ_PRIVATE.has(caller))
      expect({ status: res.status, body: res.text().slice(0, 200) }).toEqual({ status: 200, body: expect.any(String) });
    else expectError(res, 404, ['package-not-found']);
  });

  it.each(VISIBILITIES.flatMap((visibility) => CALLERS.map((caller) => ({ visibility, caller }))))(
    'list of the namespace shows the $visibility package to $caller only with read access',
    async ({ visibility, caller }) => {
      const listed = expectJson(await clients[caller].get('/api/v1/packages', { query: { namespace: org } }), 200).map(
        (e: { name: string }) => e.name,
      );
      expect(listed.includes(`${org}/${pkgOf[visibility]}`)).toBe(
        visibility === 'public' || CAN_READ_PRIVATE.has(caller),
      );
    },
  );

  it.each(VISIBILITIES.flatMap((visibility) => CALLERS.map((caller) => ({ visibility, caller }))))(
    'search finds the $visibility package for $caller only with read access',
    async ({ visibility, caller }) => {
      const full = `${org}/${pkgOf[visibility]}`;
      await eventually(
        async () =>
          expect(
            expectJson(await clients.owner.get('/api/v1/packages/search', { query: { q: pkgOf[visibility] } }), 200),
          ).toContain(full),
        { timeoutMs: 15_000 },
      );
      const found = expectJson(
        await clients[caller].get('/api/v1/packages/search', { query: { q: pkgOf[visibility] } }),
        200,
      );
      expect(found.includes(full)).toBe(visibility === 'public' || CAN_READ_PRIVATE.has(caller));
    },
  );
});

describe('the permission matrix: writes', () => {
  const cases = VISIBILITIES.flatMap((visibility) => CALLERS.map((caller) => ({ visibility, caller })));
  let n = 0;
  const release = () => `2.0.${++n}`;

  it.each(cases)('push of a new release to a $visibility package by $caller', async ({ visibility, caller }) => {
    const r = release();
    const res = await push(clients[caller], org, pkgOf[visibility], r);
    const stored = await clients.owner.get(packagePath(org, pkgOf[visibility], r, 'helm'));
    if (CAN_WRITE.has(caller)) {
      expectJson(res, 200);
      expect(stored.status).toBe(200);
    } else {
      expectDenied(res, caller);
      expect(stored.status).toBe(404);
    }
  });

  it.each(cases)('delete of a release of a $visibility package by $caller', async ({ visibility, caller }) => {
    const r = release();
    expectJson(await push(clients.owner, org, pkgOf[visibility], r), 200);
    const res = await clients[caller].delete(packagePath(org, pkgOf[visibility], r, 'helm'));
    const stored = await clients.owner.get(packagePath(org, pkgOf[visibility], r, 'helm'));
    if (CAN_WRITE.has(caller)) {
      expectJson(res, 200);
      expect(stored.status).toBe(404);
    } else {
      expectDenied(res, caller);
      expect(stored.status).toBe(200);
    }
  });

  it.each(cases)('channel changes of a $visibility package by $caller', async ({ visibility, caller }) => {
    const path = (...s: string[]) => packagePath(org, pkgOf[visibility], 'channels', ...s);
    const [added, kept] = [`add-${n++}`, `keep-${n++}`];
    expectJson(await clients.owner.post(path(kept, '1.0.0')), 200);
    const add = await clients[caller].post(path(added, '1.0.0'));
    const remove = await clients[caller].delete(path(kept, '1.0.0'));
    const channels = expectJson(await clients.owner.get(path()), 200).map((c: { name: string }) => c.name);
    if (CAN_WRITE.has(caller)) {
      expectJson(add, 200);
      expectJson(remove, 200);
      expect(channels).toContain(added);
      expect(channels).not.toContain(kept);
    } else {
      expectDenied(add, caller);
      expectDenied(remove, caller);
      expect(channels).not.toContain(added);
      expect(channels).toContain(kept);
    }
    expectJson(await clients.owner.post(path(`del-${n}`, '1.0.0')), 200);
    const deleted = await clients[caller].delete(path(`del-${n}`));
    const after = expectJson(await clients.owner.get(path()), 200).map((c: { name: string }) => c.name);
    if (CAN_WRITE.has(caller))
      expect({ status: deleted.status, gone: !after.includes(`del-${n}`) }).toEqual({ status: 200, gone: true });
    else {
      expectDenied(deleted, caller);
      expect(after).toContain(`del-${n}`);
    }
  });

  it.each(cases)('visibility change of a $visibility package by $caller', async ({ visibility, caller }) => {
    const other = visibility === 'public' ? 'private' : 'public';
    const path = packagePath(org, pkgOf[visibility], 'visibility');
    const res = await clients[caller].put(path, { visibility: other });
    const now = expectJson(await clients.owner.get('/api/v1/packages', { query: { namespace: org } }), 200).find(
      (e: { name: string }) => e.name === `${org}/${pkgOf[visibility]}`,
    ).visibility;
    if (IS_ADMIN.has(caller)) {
      expect(expectJson(res, 200)).toEqual({ package: `${org}/${pkgOf[visibility]}`, visibility: other });
      expect(now).toBe(other);
      // Back as it was, so the other cases see the package they expect.
      expect(expectJson(await clients[caller].put(path, { visibility }), 200)).toEqual({
        package: `${org}/${pkgOf[visibility]}`,
        visibility,
      });
    } else {
      expectDenied(res, caller);
      expect(now).toBe(visibility);
    }
  });
});

describe('a private package is indistinguishable from a missing one', () => {
  it('should answer a read by another tenant exactly as for a package that does not exist', async () => {
    const missing = `missing-${id}`;
    for (const path of [
      [],
      ['1.0.0', 'helm', 'pull'],
      ['channels'],
      ['blobs', 'sha256', apprDigest(archiveFor(pkgOf.private, '1.0.0', id))],
    ]) {
      const priv = await clients.outsider.get(packagePath(org, pkgOf.private, ...path));
      const none = await clients.outsider.get(packagePath(org, missing, ...path));
      expect(priv.status).toBe(404);
      expect(priv.text().split(pkgOf.private).join('X')).toBe(none.text().split(missing).join('X'));
    }
  });

  it('should answer a write by another tenant exactly as for a package that does not exist', async () => {
    const priv = await push(clients.outsider, org, pkgOf.private, '9.9.9');
    const none = await push(clients.outsider, org, `missing-${id}`, '9.9.9');
    expectError(priv, 403, 'forbidden');
    expect(priv.text()).toBe(none.text());
  });

  it("should not open another tenant's blob by a digest known from elsewhere", async () => {
    expect(
      (await clients.outsider.get(packagePath(names.outsider, secretPkg, 'blobs', 'sha256', secretDigest))).status,
    ).toBe(200);
    for (const caller of ['owner', 'anonymous', 'reader'] as const) {
      expectError(
        await clients[caller].get(packagePath(org, pkgOf.public, 'blobs', 'sha256', secretDigest)),
        404,
        'package-not-found',
      );
      expectError(
        await clients[caller].get(packagePath(names.outsider, secretPkg, 'blobs', 'sha256', secretDigest)),
        404,
        'package-not-found',
      );
    }
  });

  it('should hide a private archive from callers without read access whatever they hold or a reader fetched before', async () => {
    const archive = archiveFor(pkgOf.private, '1.0.0', id);
    const blobDigest = createHash('sha256').update(archive).digest('hex');
    const etag = `"sha256:${blobDigest}"`;
    const paths = [
      packagePath(org, pkgOf.private, '1.0.0', 'helm', 'pull'),
      packagePath(org, pkgOf.private, 'blobs', 'sha256', blobDigest),
      packagePath(org, pkgOf.private, 'blobs', 'sha256', apprDigest(archive)),
    ];
    for (const path of paths) {
      // A reader fetches it first, so the gateway holds its bytes in memory.
      const read = await clients.reader.get(path);
      expect({ status: read.status, etag: read.headers.get('etag') }).toEqual({ status: 200, etag });
      expect(read.bytes.equals(archive)).toBe(true);
      expect((await clients.reader.get(path, { headers: { 'if-none-match': etag } })).status).toBe(304);
      for (const caller of ['anonymous', 'outsider'] as const) {
        for (const held of [undefined, etag, '*']) {
          const res = await clients[caller].get(path, held ? { headers: { 'if-none-match': held } } : {});
          expectError(res, 404, 'package-not-found');
          expect(res.headers.get('etag')).toBeNull();
        }
      }
    }
    // Kept by browsers only, never by a shared cache.
    expect((await clients.reader.get(paths[1])).headers.get('cache-control')).toBe(
      'private, max-age=31536000, immutable',
    );
  });

  it('should make a package readable to anonymous callers once it is made public, and hide it again', async () => {
    const name = `flip-${id}`;
    expectJson(await push(clients.owner, org, name, '1.0.0', 'private'), 200);
    expectError(await anonymous.get(packagePath(org, name)), 404, 'package-not-found');
    expectJson(await clients.owner.put(packagePath(org, name, 'visibility'), { visibility: 'public' }), 200);
    expectJson(await anonymous.get(packagePath(org, name)), 200);
    expectJson(await clients.owner.put(packagePath(org, name, 'visibility'), { visibility: 'private' }), 200);
    expectError(await anonymous.get(packagePath(org, name)), 404, 'package-not-found');
  });
});

describe('accounts and credentials', () => {
  it('should refuse a push into a namespace that belongs to no one but the site admin', async () => {
    expectError(await push(clients.owner, `nobody-${id}`, 'app', '1.0.0'), 403, 'forbidden');
    expectJson(await push(clients.siteadmin, `nobody-${id}`, 'app', '1.0.0'), 200);
  });

  it('should let a user push into their own namespace, created when they signed up', async () => {
    expectJson(await push(clients.writer, names.writer, 'mine', '1.0.0'), 200);
    expectError(await push(clients.reader, names.writer, 'mine', '1.0.1'), 403, 'forbidden');
  });

  it('should answer whoami with the organisations and roles', async () => {
    expect(expectJson(await clients.reader.get('/api/v1/user'), 200)).toEqual({
      username: names.reader,
      site_admin: false,
      organizations: [{ name: org, role: 'read' }],
    });
    expectError(await anonymous.get('/api/v1/user'), 401, 'unauthorized-access');
  });

  it('should refuse bad credentials with 401 rather than treat the caller as anonymous', async () => {
    const publicPackage = packagePath(org, pkgOf.public);
    expectError(
      await anonymous.get(publicPackage, { headers: { authorization: 'Bearer not-a-token' } }),
      401,
      'unauthorized-access',
    );
    expectError(
      await anonymous.get(publicPackage, {
        headers: { authorization: `Basic ${Buffer.from(`${names.reader}:wrong-password`).toString('base64')}` },
      }),
      401,
      'unauthorized-access',
    );
    const forged = `wharf.${Buffer.from(names.owner).toString('base64url')}.${'0'.repeat(16)}.${'A'.repeat(43)}`;
    const res = await anonymous.get(publicPackage, { headers: { authorization: forged } });
    expectError(res, 401, 'unauthorized-access');
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('should log in as Quay does and refuse a wrong password or a missing field', async () => {
    const { token } = expectJson(
      await anonymous.post('/api/v1/users/login', { user: { username: names.reader, password: PASSWORD } }),
      200,
    );
    expect(expectJson(await anonymous.get('/api/v1/user', { headers: { authorization: token } }), 200).username).toBe(
      names.reader,
    );
    expectError(
      await anonymous.post('/api/v1/users/login', { user: { username: names.reader, password: 'nope-nope' } }),
      401,
      'unauthorized-access',
    );
    expectError(
      await anonymous.post('/api/v1/users/login', { user: { username: `ghost-${id}`, password: PASSWORD } }),
      401,
      'unauthorized-access',
    );
    expectError(
      await anonymous.post('/api/v1/users/login', { user: { username: names.reader } }),
      400,
      'invalid-usage',
    );
  });

  it('should refuse a taken name, an invalid name and a short password at sign-up', async () => {
    expectError(
      await anonymous.post('/api/v1/users', { user: { username: names.reader, password: PASSWORD } }),
      409,
      'account-exists',
    );
    expectError(
      await anonymous.post('/api/v1/users', { user: { username: org, password: PASSWORD } }),
      409,
      'account-exists',
    );
    expectError(
      await anonymous.post('/api/v1/users', { user: { username: 'Bad/Name', password: PASSWORD } }),
      400,
      'invalid-name',
    );
    expectError(
      await anonymous.post('/api/v1/users', { user: { username: `short-${id}`, password: 'short' } }),
      400,
      'invalid-usage',
    );
    expect(
      (await anonymous.post('/api/v1/users/login', { user: { username: `short-${id}`, password: 'short' } })).status,
    ).toBe(401);
  });

  it('should change a password: the old one stops working, and so do tokens issued before (issue 15)', async () => {
    const user = `pw-${id}`;
    const token = await signUp(user);
    const me = anonymous.with({ authorization: token });
    expectError(
      await me.put('/api/v1/user/password', { password: 'short', current_password: PASSWORD }),
      400,
      'invalid-usage',
    );
    const changed = expectJson(
      await me.put('/api/v1/user/password', { password: 'a-brand-new-password', current_password: PASSWORD }),
      200,
    );
    expectError(
      await anonymous.post('/api/v1/users/login', { user: { username: user, password: PASSWORD } }),
      401,
      'unauthorized-access',
    );
    expectJson(
      await anonymous.post('/api/v1/users/login', { user: { username: user, password: 'a-brand-new-password' } }),
      200,
    );
    expectError(await me.get('/api/v1/user'), 401, 'unauthorized-access');
    expectJson(await anonymous.with({ authorization: changed.token }).get('/api/v1/user'), 200);
    expectError(
      await anonymous.put('/api/v1/user/password', { password: 'a-brand-new-password' }),
      401,
      'unauthorized-access',
    );
  });

  it('should stop honouring a token once it is revoked', async () => {
    const created = expectJson(
      await clients.writer.post('/api/v1/user/tokens', { label: 'ci', expires_in: 3600 }),
      201,
    );
    expect(created).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      label: 'ci',
      token: expect.any(String),
      expires_at: expect.any(String),
    });
    const ci = anonymous.with({ authorization: `Bearer ${created.token}` });
    expectJson(await ci.get('/api/v1/user'), 200);
    const listed = expectJson(await clients.writer.get('/api/v1/user/tokens'), 200);
    expect(listed.map((t: { id: string }) => t.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.token.split('.')[3]);
    expectJson(await clients.writer.delete(`/api/v1/user/tokens/${created.id}`), 200);
    await eventually(async () => expectError(await ci.get('/api/v1/user'), 401, 'unauthorized-access'), {
      timeoutMs: 5_000,
    });
  });

  it("should show when each token was last used: null until it authenticates a request, then that use's time", async () => {
    const created = expectJson(
      await clients.writer.post('/api/v1/user/tokens', { label: 'used', expires_in: 3600 }),
      201,
    );
    expect(created.last_used_at).toBeNull();
    const lastUsed = async () =>
      expectJson(await clients.writer.get('/api/v1/user/tokens'), 200).find((t: { id: string }) => t.id === created.id)
        .last_used_at as string | null;
    expect(await lastUsed()).toBeNull();

    expectJson(await anonymous.with({ authorization: `Bearer ${created.token}` }).get('/api/v1/user'), 200);

    // The list writes the gateway's pending uses before it reads them: no waiting for the interval.
    const usedAt = await lastUsed();
    expect(usedAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(usedAt! >= created.created_at).toBe(true);

    const robot = expectJson(
      await clients.owner.post(`/api/v1/organizations/${org}/robots/ci/tokens`, { label: 'used', expires_in: 3600 }),
      201,
    );
    expect(robot.last_used_at).toBeNull();
    const robotCaller = anonymous.with({
      authorization: `Basic ${Buffer.from(`${org}+ci:${robot.token}`).toString('base64')}`,
    });
    expectJson(await robotCaller.get(packagePath(org, pkgOf.private)), 200);
    const listed = expectJson(await clients.owner.get(`/api/v1/organizations/${org}/robots/ci/tokens`), 200);
    const robotUse = listed.find((t: { id: string }) => t.id === robot.id).last_used_at as string;
    expect(robotUse >= robot.created_at).toBe(true);
    const shown = expectJson(await clients.owner.get(`/api/v1/organizations/${org}`), 200);
    const robotTokens = shown.robots.find((r: { name: string }) => r.name === `${org}+ci`).tokens;
    expect(robotTokens.find((t: { id: string }) => t.id === robot.id).last_used_at).toBe(robotUse);
  });

  it('should take read access away from a removed member and a deleted robot', async () => {
    const [user, orgB] = [`gone-${id}`, `orgb-${id}`];
    const token = await signUp(user);
    const member = anonymous.with({ authorization: token });
    expectJson(await clients.owner.post('/api/v1/organizations', { name: orgB }), 201);
    expectJson(await clients.owner.put(`/api/v1/organizations/${orgB}/members/${user}`, { role: 'read' }), 200);
    const robot = expectJson(
      await clients.owner.put(`/api/v1/organizations/${orgB}/robots/bot`, { role: 'read' }),
      200,
    );
    const bot = anonymous.with({
      authorization: `Basic ${Buffer.from(`${orgB}+bot:${robot.token}`).toString('base64')}`,
    });
    expectJson(await push(clients.owner, orgB, 'hidden', '1.0.0', 'private'), 200);
    expectJson(await member.get(packagePath(orgB, 'hidden')), 200);
    expectJson(await bot.get(packagePath(orgB, 'hidden')), 200);
    expectJson(await clients.owner.delete(`/api/v1/organizations/${orgB}/members/${user}`), 200);
    expectJson(await clients.owner.delete(`/api/v1/organizations/${orgB}/robots/bot`), 200);
    await eventually(async () => expectError(await member.get(packagePath(orgB, 'hidden')), 404, 'package-not-found'));
    await eventually(async () => expectError(await bot.get(packagePath(orgB, 'hidden')), 401, 'unauthorized-access'));
  });

  it('should let only an admin of the organisation manage members and robots', async () => {
    expectDenied(
      await clients.writer.put(`/api/v1/organizations/${org}/members/${names.outsider}`, { role: 'admin' }),
      'writer',
    );
    expectDenied(await anonymous.put(`/api/v1/organizations/${org}/robots/x`, { role: 'write' }), 'anonymous');
    expectError(
      await clients.owner.put(`/api/v1/organizations/${org}/members/${names.outsider}`, { role: 'owner' }),
      400,
      'invalid-usage',
    );
    expectError(
      await clients.owner.put(`/api/v1/organizations/${org}/members/ghost-${id}`, { role: 'read' }),
      404,
      'account-not-found',
    );
    expectError(
      await clients.owner.delete(`/api/v1/organizations/${org}/members/${names.owner}`),
      400,
      'invalid-usage',
    );
    const shown = expectJson(await clients.reader.get(`/api/v1/organizations/${org}`), 200);
    expect(shown.members).toEqual(
      expect.arrayContaining([
        { user: names.owner, role: 'admin' },
        { user: names.reader, role: 'read' },
      ]),
    );
    expect(JSON.stringify(shown)).not.toMatch(/secretHash|passwordHash/);
    expectError(await clients.outsider.get(`/api/v1/organizations/${org}`), 403, 'forbidden');
  });
});

describe('audit trail', () => {
  it('should show a namespace admin who changed memberships, robots, tokens and visibility, without secrets', async () => {
    const name = `audited-${id}`;
    expectJson(await push(clients.owner, org, name, '1.0.0', 'public'), 200);
    expectJson(await clients.owner.put(packagePath(org, name, 'visibility'), { visibility: 'private' }), 200);
    const trail = expectJson(
      await clients.owner.get(`/api/v1/namespaces/${org}/audit`, { query: { limit: '1000' } }),
      200,
    );
    const summary = trail.map(
      (e: { type: string; actor: string; data: Record<string, unknown> }) => `${e.type} by ${e.actor}`,
    );
    expect(summary).toEqual(
      expect.arrayContaining([
        `OrganizationCreated by ${names.owner}`,
        `MemberRoleSet by ${names.owner}`,
        `RobotRoleSet by ${names.owner}`,
        `TokenIssued by ${names.owner}`,
        `PackageVisibilityChanged by ${names.owner}`,
      ]),
    );
    expect(trail[0]).toMatchObject({
      type: 'PackageVisibilityChanged',
      data: { package: `${org}/${name}`, visibility: 'private' },
    });
    expect(JSON.stringify(trail)).not.toMatch(/secretHash|passwordHash|scrypt/);
    expectError(await clients.reader.get(`/api/v1/namespaces/${org}/audit`), 403, 'forbidden');
    expectError(await anonymous.get(`/api/v1/namespaces/${org}/audit`), 401, 'unauthorized-access');
  });
});

describe('limits per namespace', () => {
  async function limitedOrg(label: string, limits: Record<string, number | boolean>): Promise<string> {
    const name = `${label}-${id}`;
    expectJson(await clients.owner.post('/api/v1/organizations', { name }), 201);
    expectError(await clients.owner.put(`/api/v1/namespaces/${name}/limits`, limits), 403, 'forbidden');
    expect(expectJson(await clients.siteadmin.put(`/api/v1/namespaces/${name}/limits`, limits), 200)).toMatchObject(
      limits,
    );
    return name;
  }

  it('should refuse an archive above the namespace blob size with 413 and store nothing', async () => {
    const ns = await limitedOrg('small', { max_blob_bytes: 1024 });
    const res = await clients.owner.post(packagePath(ns, 'big'), {
      ...pushBody({
        release: '1.0.0',
        mediaType: 'helm',
        archive: archiveFor('big', '1.0.0', 'x'.repeat(4000) + randomBytes(2000).toString('hex')),
      }),
    });
    expectError(res, 413, 'archive-too-large');
    expectError(await clients.owner.get(packagePath(ns, 'big')), 404, 'package-not-found');
  });

  it('should refuse a push past the namespace storage quota with 413 and store nothing', async () => {
    const first = archiveFor('app', '1.0.0', 'q');
    const ns = await limitedOrg('quota', { max_storage_bytes: first.length + 10 });
    expectJson(
      await clients.owner.post(
        packagePath(ns, 'app'),
        pushBody({ release: '1.0.0', mediaType: 'helm', archive: first }),
      ),
      200,
    );
    expectError(
      await clients.owner.post(
        packagePath(ns, 'app'),
        pushBody({ release: '1.0.1', mediaType: 'helm', archive: archiveFor('app', '1.0.1', 'q') }),
      ),
      413,
      'quota-exceeded',
    );
    expect(
      expectJson(await clients.owner.get(packagePath(ns, 'app')), 200).map((m: { release: string }) => m.release),
    ).toEqual(['1.0.0']);
  });

  it('should answer a forced push with 409 where the namespace forbids overwrites, on both push APIs', async () => {
    const ns = await limitedOrg('frozen', { allow_overwrites: false });
    const archive = archiveFor('app', '1.0.0', 'frozen');
    expectJson(
      await clients.owner.post(packagePath(ns, 'app'), pushBody({ release: '1.0.0', mediaType: 'helm', archive })),
      200,
    );
    const replacement = pushBody({
      release: '1.0.0',
      mediaType: 'helm',
      archive: archiveFor('app', '1.0.0', 'other bytes'),
      force: 'true',
    });
    expectError(await clients.owner.post(packagePath(ns, 'app'), replacement), 409, 'package-exists');
    const forced = await new HttpClient('', enforcedUrl, clients.owner.headers).send('POST', `/api/${ns}/charts`, {
      query: 'force',
      body: archiveFor('app', '1.0.0', 'museum'),
      headers: { 'content-type': 'application/gzip' },
    });
    expectError(forced, 409, 'package-exists');
    const stored = expectJson(await clients.owner.get(packagePath(ns, 'app', '1.0.0', 'helm')), 200);
    expect(stored.content.digest).toBe(apprDigest(archive));
  });

  it('should answer 429 with Retry-After past the namespace request rate, per caller', async () => {
    const ns = await limitedOrg('rate', { requests_per_minute: 3 });
    const statuses: number[] = [];
    let limited: HttpResponse | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await clients.owner.get(packagePath(ns, 'anything'));
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    expectError(limited!, 429, 'rate-limited');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await clients.reader.get(packagePath(ns, 'anything'))).status).toBe(404);
  });
});

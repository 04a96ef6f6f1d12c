/**
 * Cross-tenant oracles (issue 15, item 10), over HTTP against both profiles.
 *
 * - `/_wharf/stats` counts every tenant's packages, private ones included, and its blob count
 *   tells whether another tenant stored the very same bytes (deduplication); `/metrics` is the
 *   operator's too. In enforced mode only a site admin reads them (401 anonymous, 403 any other
 *   caller, in the API's error format); in open mode they stay open.
 * - The Helm index's ETag is what an anonymous caller revalidates with: it must not change when
 *   a chart the caller cannot see is pushed into the namespace (that would announce the push),
 *   and must change when one it can see is.
 */
import { randomBytes } from 'node:crypto';
import { HttpClient, expectError, expectJson, root } from '../../support/http-client';
import { E2E_ADMIN, enforcedUrl } from '../../support/target';
import { archiveFor, packagePath, pushBody } from '../support/appr.fixtures';

jest.setTimeout(120_000);

const anonymousCnr = new HttpClient('/cnr', enforcedUrl);
const anonymousRoot = new HttpClient('', enforcedUrl);
const PASSWORD = 'correct-horse-battery';
const id = randomBytes(4).toString('hex');
const user = `orc-${id}`;
const org = `orcorg-${id}`;

const clients = {} as Record<'user' | 'robot' | 'admin', { root: HttpClient; cnr: HttpClient }>;

function withAuth(authorization: string): { root: HttpClient; cnr: HttpClient } {
  return { root: anonymousRoot.with({ authorization }), cnr: anonymousCnr.with({ authorization }) };
}

beforeAll(async () => {
  const token = expectJson(
    await anonymousCnr.post('/api/v1/users', {
      user: { username: user, password: PASSWORD, email: `${user}@example.test` },
    }),
    201,
  ).token as string;
  clients.user = withAuth(token);
  const admin = expectJson(await anonymousCnr.post('/api/v1/users/login', { user: E2E_ADMIN }), 200).token as string;
  clients.admin = withAuth(admin);
  expectJson(await clients.user.cnr.post('/api/v1/organizations', { name: org }), 201);
  const robot = expectJson(
    await clients.user.cnr.put(`/api/v1/organizations/${org}/robots/ci`, { role: 'write' }),
    200,
  );
  clients.robot = withAuth(`Basic ${Buffer.from(`${org}+ci:${robot.token}`).toString('base64')}`);
});

describe("registry-wide figures are the operator's in enforced mode", () => {
  const routes = ['/_wharf/stats', '/metrics'];

  it.each(routes)('%s: 401 for an anonymous caller', async (path) => {
    expectError(await anonymousRoot.get(path), 401, 'unauthorized-access');
  });

  it.each(routes.flatMap((path) => (['user', 'robot'] as const).map((caller) => ({ path, caller }))))(
    '$path: 403 for a $caller who is not a site admin',
    async ({ path, caller }) => {
      expectError(await clients[caller].root.get(path), 403, 'forbidden');
    },
  );

  it('/_wharf/stats: the counts for a site admin, kept or counted now', async () => {
    for (const query of [undefined, { fresh: 'true' }]) {
      const stats = expectJson(await clients.admin.root.get('/_wharf/stats', { query }), 200);
      expect(stats).toEqual({
        events: expect.any(Number),
        blobs: expect.any(Number),
        packages: expect.any(Number),
        searchDocuments: expect.any(Number),
      });
    }
  });

  it('/metrics: the Prometheus text for a site admin', async () => {
    const res = await clients.admin.root.get('/metrics');
    expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({
      status: 200,
      type: expect.stringContaining('text/plain'),
    });
  });

  it.each(routes)('%s stays open in open mode', async (path) => {
    expect((await root.get(path)).status).toBe(200);
  });
});

describe('the Helm index ETag follows what the caller can see', () => {
  const indexPath = `/helm/${user}/index.yaml`;

  async function push(name: string, release: string, visibility: 'public' | 'private'): Promise<void> {
    const body = { ...pushBody({ release, mediaType: 'helm', archive: archiveFor(name, release, id) }), visibility };
    expectJson(await clients.user.cnr.post(packagePath(user, name), body), 200);
  }

  async function etagOf(client: HttpClient): Promise<string> {
    const res = await client.get(indexPath);
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag');
    expect(etag).toEqual(expect.any(String));
    return etag!;
  }

  it('should not change for an anonymous caller when a private chart is pushed, and change when a public one is', async () => {
    await push('shown', '1.0.0', 'public');
    const anonymousBefore = await etagOf(anonymousRoot);
    const ownerBefore = await etagOf(clients.user.root);

    await push('hidden', '1.0.0', 'private');
    const anonymousAfterPrivate = await etagOf(anonymousRoot);
    expect(anonymousAfterPrivate).toBe(anonymousBefore);
    const held = await anonymousRoot.get(indexPath, { headers: { 'if-none-match': anonymousBefore } });
    expect(held.status).toBe(304);
    // The owner sees the private chart: the push did change the namespace's index.
    expect(await etagOf(clients.user.root)).not.toBe(ownerBefore);

    await push('shown', '1.1.0', 'public');
    expect(await etagOf(anonymousRoot)).not.toBe(anonymousBefore);
    expect((await anonymousRoot.get(indexPath, { headers: { 'if-none-match': anonymousBefore } })).status).toBe(200);
  });
});

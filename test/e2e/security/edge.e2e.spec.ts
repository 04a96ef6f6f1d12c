/**
 * Issue 15, the HTTP edge (items 5 and 11), against the registry that enforces authentication
 * (WHARF_ENFORCED_URL: the embedded profile, or a gateway in front of the distributed stack):
 *
 * - request bodies are bounded per route: a few KiB on account and login routes, so an anonymous
 *   caller cannot make the server buffer a large body; on the upload routes the body is not read
 *   before the caller is authenticated and may write, and then only up to what the namespace's
 *   own `max_blob_bytes` needs;
 * - the discovery documents never echo a `Host` that is not configured.
 *
 * JSON pulls over WHARF_MAX_JSON_PULL_BYTES, the client-abort log and the uploads/ sweep need a
 * process of their own (test/embedded/security-memory.e2e.spec.ts).
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { chartArchive } from '@wharf/testing';
import { HttpClient, expectError, expectJson } from '../../support/http-client';
import { E2E_ADMIN, enforcedUrl } from '../../support/target';
import { packagePath, pushBody } from '../support/appr.fixtures';

jest.setTimeout(120_000);

const anonymous = new HttpClient('/cnr', enforcedUrl);
const PASSWORD = 'correct-horse-battery';
const id = () => randomBytes(5).toString('hex');

async function signUp(username: string): Promise<HttpClient> {
  const { token } = expectJson(await anonymous.post('/api/v1/users', { user: { username, password: PASSWORD } }), 201);
  return anonymous.with({ authorization: `Bearer ${token}` });
}

/** A push body of at least `bytes` bytes: a chart with that much random (incompressible) content. */
function pushOfAtLeast(name: string, bytes: number): string {
  const archive = chartArchive({
    name,
    version: '1.0.0',
    extraEntries: [{ name: `${name}/noise.bin`, content: randomBytes(bytes) }],
  });
  return JSON.stringify(pushBody({ release: '1.0.0', mediaType: 'helm', archive }));
}

/**
 * Sends the headers of a request declaring a `declaredBytes` body and only its first KiB, then
 * waits for the answer: a server that wanted the whole body before answering would never answer
 * (the test then fails on its timeout), so an answer proves the body was not read.
 */
function answerWithoutBody(
  path: string,
  headers: Record<string, string>,
  declaredBytes: number,
): Promise<{ status: number; body: { code?: string; details: { max: number } } }> {
  const base = new URL(enforcedUrl());
  const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: base.hostname,
        port: base.port || undefined,
        method: 'POST',
        path: `/cnr${path}`,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(declaredBytes) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.write(Buffer.alloc(1024, 0x20));
  });
}

describe('bodies of account and login routes', () => {
  it('should refuse an anonymous 1 MB login with 413 payload-too-large', async () => {
    const body = JSON.stringify({
      user: { username: E2E_ADMIN.username, password: E2E_ADMIN.password },
      padding: 'x'.repeat(1024 * 1024),
    });
    const res = await anonymous.send('POST', '/api/v1/users/login', {
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(expectError(res, 413, 'payload-too-large').details).toEqual({ max: expect.any(Number) });
  });

  it('should refuse a 1 MB login body before reading it', async () => {
    const res = await answerWithoutBody('/api/v1/users/login', {}, 1024 * 1024);
    expect(res).toMatchObject({ status: 413, body: { code: 'payload-too-large' } });
  });

  it('should refuse a sign-up with a huge body, and create no account', async () => {
    const username = `big-${id()}`;
    const huge = JSON.stringify({
      user: { username, password: PASSWORD, email: `${'x'.repeat(200_000)}@example.test` },
    });
    expectError(
      await anonymous.send('POST', '/api/v1/users', { body: huge, headers: { 'content-type': 'application/json' } }),
      413,
      'payload-too-large',
    );

    expectError(
      await anonymous.post('/api/v1/users/login', { user: { username, password: PASSWORD } }),
      401,
      'unauthorized-access',
    );
    // The name is still free: the refused sign-up stored nothing.
    await signUp(username);
  });
});

describe('bodies of the upload routes', () => {
  const owner = `up-${id()}`;
  let ownerClient: HttpClient;
  let outsider: HttpClient;
  const MAX_BLOB = 2048;

  beforeAll(async () => {
    ownerClient = await signUp(owner);
    outsider = await signUp(`out-${id()}`);
    const admin = expectJson(await anonymous.post('/api/v1/users/login', { user: E2E_ADMIN }), 200).token as string;
    expectJson(
      await anonymous
        .with({ authorization: admin })
        .put(`/api/v1/namespaces/${owner}/limits`, { max_blob_bytes: MAX_BLOB }),
      200,
    );
  });

  it.each([
    ['an appr push', (ns: string) => packagePath(ns, 'big')],
    ['a ChartMuseum upload', (ns: string) => `/api/${ns}/charts`],
    ['a ChartMuseum upload under /helm', (ns: string) => `/helm/api/${ns}/charts`],
  ])('should answer %s by an anonymous caller with 401 before reading its body', async (_label, path) => {
    const res = await answerWithoutBody(path(owner), {}, 50 * 1024 * 1024);
    expect(res).toMatchObject({ status: 401, body: { code: 'unauthorized-access' } });
  });

  it('should answer a push by a caller without write with 403 before reading its body', async () => {
    const res = await answerWithoutBody(packagePath(owner, 'big'), outsider.headers, 50 * 1024 * 1024);
    expect(res).toMatchObject({ status: 403, body: { code: 'forbidden' } });
  });

  it("should refuse a push over what the namespace's max_blob_bytes needs with 413 before reading it, and store nothing", async () => {
    const res = await answerWithoutBody(packagePath(owner, 'big'), ownerClient.headers, 50 * 1024 * 1024);
    expect(res).toMatchObject({
      status: 413,
      body: { code: 'payload-too-large', details: { max: expect.any(Number) } },
    });
    // The bound is the base64 of max_blob_bytes plus room for metadata and the JSON around it: far under the 50 MiB declared.
    expect(res.body.details.max).toBeLessThan(1024 * 1024);

    const sent = await ownerClient.send('POST', packagePath(owner, 'big'), {
      body: pushOfAtLeast('big', res.body.details.max),
      headers: { 'content-type': 'application/json' },
    });
    expectError(sent, 413, 'payload-too-large');
    expectError(await ownerClient.get(packagePath(owner, 'big')), 404, 'package-not-found');
  });

  it('should accept an upload body larger than the account routes accept where the namespace allows it', async () => {
    const ns = `free-${id()}`;
    const free = await signUp(ns);
    const body = pushOfAtLeast('roomy', 40 * 1024);
    expect(
      (await free.send('POST', packagePath(ns, 'roomy'), { body, headers: { 'content-type': 'application/json' } }))
        .status,
    ).toBe(200);
  });
});

describe('discovery documents behind a proxy', () => {
  const evil = new HttpClient('', enforcedUrl, { host: 'evil.example' });

  it.each(['/', '/cnr/'])('GET %s should not echo a Host it was not configured with', async (path) => {
    const res = await evil.exact('GET', path);
    expect(res.status).toBe(200);
    expect(res.text()).toMatch(/<meta\s+name="appr-package"\s+content="[^"]+"/);
    expect(res.text()).not.toContain('evil.example');
  });

  it('a /v2 401 should not name a Host it was not configured with as its token realm', async () => {
    for (const path of ['/v2/', '/v2/some/repo/manifests/1.0.0']) {
      const res = await evil.exact('GET', path);
      expect(res.status).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer realm="[^"]*\/v2\/token",service="wharf"/);
      expect(challenge).not.toContain('evil.example');
    }
  });

  it('GET /.well-known/app-registry-uri.json should not echo a Host it was not configured with', async () => {
    const res = await evil.exact('GET', '/.well-known/app-registry-uri.json');
    expect(res.status).toBe(200);
    expect(res.text()).not.toContain('evil.example');
    expect(res.json()).toMatchObject({ version: 'v1', uri_prefix: expect.any(String) });
  });
});

/**
 * The protocol around the packages API: version, discovery (the HTML meta page and the
 * well-known document), the OpenAPI document, mounting at `/cnr` and at the bare root, trailing
 * slashes, JSON 404s for unknown routes, the error envelope, and how push bodies are parsed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chartArchive } from '@wharf/testing';
import { cnr, expectError, root, type HttpClient, type HttpResponse } from '../support/http-client';
import {
  apprDigest,
  archiveFor,
  eventually,
  expectedManifest,
  listNamespace,
  packagePath,
  pushBody,
  pushOk,
  search,
  uniqueNamespace,
  uniqueToken,
} from './support/appr.fixtures';
import type { ChannelView, Manifest, PullJson } from './support/appr.types';

jest.setTimeout(30_000);

const MOUNTS: Array<[label: string, client: HttpClient]> = [
  ['/cnr', cnr],
  ['the bare root', root],
];

function expectJson(res: HttpResponse, status = 200): void {
  expect({ status: res.status, body: res.text() }).toEqual({ status, body: expect.any(String) });
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json\b/);
}

describe('GET /version', () => {
  it.each(MOUNTS)('under %s, with and without a trailing slash, names both API flavours', async (_label, client) => {
    for (const path of ['/version', '/version/']) {
      const res = await client.get(path);
      expectJson(res);
      expect(res.json()).toEqual(
        expect.objectContaining({ 'appr-api': expect.any(String), 'cnr-api': expect.any(String) }),
      );
    }
  });
});

describe('discovery', () => {
  it.each([
    ['/', root],
    ['/cnr/', root],
  ])('GET %s is an HTML page with the appr-package meta tag', async (path, client) => {
    for (const query of [undefined, { 'appr-discovery': '1' }]) {
      const res = await client.get(path, { query });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type') ?? '').toMatch(/^text\/html\b/);
      expect(res.text()).toMatch(/<meta\s+name="appr-package"\s+content="[^"]+"/);
    }
  });

  it('GET /.well-known/app-registry-uri.json describes the API prefix', async () => {
    const res = await root.get('/.well-known/app-registry-uri.json');
    expectJson(res);
    expect(res.json()).toEqual(expect.objectContaining({ version: expect.anything(), uri_prefix: expect.any(String) }));
  });
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.x document covering the packages routes', async () => {
    const res = await root.get('/openapi.json');
    expectJson(res);
    const doc = res.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toMatch(/^3\.\d+(\.\d+)?$/);
    const paths = Object.keys(doc.paths ?? {});
    const has = (pattern: RegExp): boolean => paths.some((p) => pattern.test(p));
    expect(paths).toEqual(expect.arrayContaining([expect.stringMatching(/\/api\/v1\/packages\/?$/)]));
    expect(has(/\/api\/v1\/packages\/search$/)).toBe(true);
    expect(has(/\/api\/v1\/packages\/\{[^}]+\}\/\{[^}]+\}$/)).toBe(true);
    expect(has(/\/api\/v1\/packages\/\{[^}]+\}\/\{[^}]+\}\/\{[^}]+\}\/\{[^}]+\}\/pull$/)).toBe(true);
    expect(has(/\/api\/v1\/packages\/\{[^}]+\}\/\{[^}]+\}\/blobs\/sha256\/\{[^}]+\}$/)).toBe(true);
    expect(has(/\/api\/v1\/packages\/\{[^}]+\}\/\{[^}]+\}\/channels\/\{[^}]+\}\/\{[^}]+\}$/)).toBe(true);
  });
});

describe('the API at the bare root', () => {
  it('serves the whole flow without the /cnr prefix, over the same store', async () => {
    const ns = uniqueNamespace();
    const name = uniqueToken('bare');
    const archive = archiveFor(name, '1.0.0');
    await pushOk(ns, name, { release: '1.0.0', mediaType: 'helm', archive }, root);

    const shownAtRoot = await root.get(packagePath(ns, name, '1.0.0', 'helm'));
    expectJson(shownAtRoot);
    expect(shownAtRoot.json()).toEqual(expectedManifest(`${ns}/${name}`, '1.0.0', 'helm', archive, { channels: [] }));
    expect((await cnr.get(packagePath(ns, name, '1.0.0', 'helm'))).json()).toEqual(shownAtRoot.json());

    const pulled = await root.get(packagePath(ns, name, '1.0.0', 'helm', 'pull'));
    expect(pulled.bytes.equals(archive)).toBe(true);
    expect((await root.get(packagePath(ns, name, '1.0.0', 'helm', 'pull', 'json'))).json<PullJson>().blob).toBe(
      archive.toString('base64'),
    );
    expect((await root.get(packagePath(ns, name, 'blobs', 'sha256', apprDigest(archive)))).bytes.equals(archive)).toBe(
      true,
    );

    expect((await listNamespace(ns, root)).map((p) => p.name)).toEqual([`${ns}/${name}`]);
    await eventually(async () => expect(await search(name, root)).toEqual([`${ns}/${name}`]));

    expect((await root.post(packagePath(ns, name, 'channels', 'stable', '1.0.0'))).json()).toEqual({
      name: 'stable',
      current: '1.0.0',
      releases: ['1.0.0'],
    });
    expect((await root.get(packagePath(ns, name, 'channels'))).json()).toEqual([
      { name: 'stable', current: '1.0.0', releases: ['1.0.0'] },
    ]);
    expect((await root.delete(packagePath(ns, name, 'channels', 'stable'))).json()).toEqual({
      channel: 'stable',
      package: `${ns}/${name}`,
      action: 'delete',
    });

    expect((await root.delete(packagePath(ns, name, '1.0.0', 'helm'))).json()).toEqual({
      status: 'deleted',
      package: `${ns}/${name}`,
      release: '1.0.0',
    });
    expect(await listNamespace(ns, cnr)).toEqual([]);
  });

  it('answers errors in the same format', async () => {
    expectError(await root.get(packagePath(uniqueNamespace(), 'nothing', '1.0.0', 'kpm')), 404, 'package-not-found');
  });
});

describe('trailing slashes', () => {
  it.each(MOUNTS)('are accepted on every route under %s', async (_label, client) => {
    const ns = uniqueNamespace();
    const name = 'slashed';
    const archive = archiveFor(name, '1.0.0');
    const P = packagePath(ns, name);

    const pushed = await client.post(`${P}/`, pushBody({ release: '1.0.0', mediaType: 'kpm', archive }));
    expectJson(pushed);
    expect(pushed.json()).toEqual({ status: 'ok' });

    expect((await client.post(`${P}/channels/stable/1.0.0/`)).json()).toEqual({
      name: 'stable',
      current: '1.0.0',
      releases: ['1.0.0'],
    });

    for (const path of [
      '/api/v1/packages/',
      `${P}/`,
      `${P}/1.0.0/`,
      `${P}/1.0.0/kpm/`,
      `${P}/1.0.0/kpm/pull/json/`,
      `${P}/blobs/sha256/${apprDigest(archive)}/json/`,
      `${P}/channels/`,
      `${P}/channels/stable/`,
    ]) {
      const res = await client.get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(() => res.json()).not.toThrow();
    }
    const raw = await client.get(`${P}/1.0.0/kpm/pull/`);
    expect(raw.status).toBe(200);
    expect(raw.bytes.equals(archive)).toBe(true);

    const found = await client.get('/api/v1/packages/search/', { query: { q: name } });
    expect(found.status).toBe(200);

    expect((await client.delete(`${P}/channels/stable/1.0.0/`)).json()).toEqual({
      status: 'deleted',
      package: `${ns}/${name}`,
      name: 'stable',
      release: '1.0.0',
    });
    expect((await client.post(`${P}/channels/beta/1.0.0/`)).status).toBe(200);
    expect((await client.delete(`${P}/channels/beta/`)).json()).toEqual({
      channel: 'beta',
      package: `${ns}/${name}`,
      action: 'delete',
    });
    expect((await client.delete(`${P}/1.0.0/kpm/`)).json()).toEqual({
      status: 'deleted',
      package: `${ns}/${name}`,
      release: '1.0.0',
    });
  });
});

describe('unknown routes', () => {
  it.each([
    ['GET', '/cnr/nope'],
    ['GET', '/nope'],
    ['GET', '/cnr/api/v1/nothing'],
    ['GET', '/api/v2/packages'],
    ['GET', '/cnr/cnr/version'],
    ['GET', '/cnr/api/v1/packages/ns/name/1.0.0/kpm/pull/extra'],
    ['POST', '/cnr/api/v1/nothing'],
  ])('%s %s is a JSON 404 route-not-found, never HTML', async (method, path) => {
    const res = await root.send(method, path);
    expectError(res, 404, 'route-not-found');
    expect(res.text()).not.toMatch(/<html/i);
  });

  it.each([
    ['PUT', '/api/v1/packages/ns/name'],
    ['DELETE', '/api/v1/packages/ns/name/1.0.0/kpm/pull'],
    ['POST', '/version'],
  ])('%s on the known path %s answers a JSON error, never HTML', async (method, path) => {
    const res = await cnr.send(method, path, {
      body: method === 'DELETE' ? undefined : '{}',
      headers: { 'content-type': 'application/json' },
    });
    // Whether a wrong method is "no such route" or "method not allowed" is the server's choice.
    expect([404, 405]).toContain(res.status);
    expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json\b/);
    expect(res.text()).not.toMatch(/<html/i);
    const body = res.json<{ code: unknown; error: unknown }>();
    expect(body.code).toEqual(expect.any(String));
    expect(body.error).toEqual(expect.objectContaining({ code: body.code }));
  });
});

describe('the error format', () => {
  it('carries code, message and details flat, and the same again under "error"', async () => {
    const ns = uniqueNamespace();
    const res = await cnr.get(packagePath(ns, 'absent', '1.0.0', 'kpm'));
    const body = expectError(res, 404, 'package-not-found');
    expect(body.message).toContain(`${ns}/absent`);
    expect(body.details).toEqual(expect.objectContaining({ package: `${ns}/absent` }));
    expect(body.error).toEqual({ code: body.code, message: body.message, details: body.details });
  });

  // A package that exists, so that a bad release query is judged as such, not as a missing package.
  const known = { ns: uniqueNamespace(), name: 'known' };
  beforeAll(async () => {
    await pushOk(known.ns, known.name, {
      release: '1.0.0',
      mediaType: 'kpm',
      archive: archiveFor(known.name, '1.0.0'),
    });
  });

  it.each<[string, () => Promise<HttpResponse>, number, string]>([
    [
      'malformed JSON',
      () =>
        cnr.send('POST', packagePath(uniqueNamespace(), 'x'), {
          body: '{',
          headers: { 'content-type': 'application/json' },
        }),
      400,
      'invalid-usage',
    ],
    ['a bad release query', () => cnr.get(packagePath(known.ns, known.name, 'abc', 'kpm')), 422, 'invalid-release'],
    [
      'a release query that matches nothing',
      () => cnr.get(packagePath(known.ns, known.name, '>=2.0.0', 'kpm')),
      404,
      'package-release-not-found',
    ],
    [
      'an unknown channel',
      () => cnr.get(packagePath(known.ns, known.name, 'channels', 'nope')),
      404,
      'channel-not-found',
    ],
    [
      'a duplicate push',
      () =>
        cnr.post(
          packagePath(known.ns, known.name),
          pushBody({ release: '1.0.0', mediaType: 'kpm', archive: archiveFor(known.name, '1.0.0') }),
        ),
      409,
      'package-exists',
    ],
    ['a bad name', () => cnr.get('/api/v1/packages/UPPER/x'), 400, 'invalid-name'],
    [
      'a channel of a missing package',
      () => cnr.get(packagePath(uniqueNamespace(), 'x', 'channels', 'nope')),
      404,
      'package-not-found',
    ],
  ])('is the same for %s', async (_label, request, status, code) => {
    expectError(await request(), status, code);
  });
});

describe('push body parsing', () => {
  it('parses the body as JSON whatever the Content-Type says (text/plain)', async () => {
    const ns = uniqueNamespace();
    const archive = archiveFor('plain', '1.0.0');
    const res = await cnr.send('POST', packagePath(ns, 'plain'), {
      body: JSON.stringify(pushBody({ release: '1.0.0', mediaType: 'helm', archive })),
      headers: { 'content-type': 'text/plain' },
    });
    expectJson(res);
    expect(res.json()).toEqual({ status: 'ok' });
    expect((await cnr.get(packagePath(ns, 'plain', '1.0.0', 'helm'))).json<Manifest>().content.digest).toBe(
      apprDigest(archive),
    );
  });

  it('parses the body as JSON with no Content-Type at all', async () => {
    const ns = uniqueNamespace();
    const archive = archiveFor('untyped', '1.0.0');
    const res = await cnr.send('POST', packagePath(ns, 'untyped'), {
      body: Buffer.from(JSON.stringify(pushBody({ release: '1.0.0', mediaType: 'helm', archive }))),
    });
    expectJson(res);
    expect((await cnr.get(packagePath(ns, 'untyped', '1.0.0', 'helm'))).status).toBe(200);
  });

  it('defaults media_type to kpm', async () => {
    const ns = uniqueNamespace();
    const archive = archiveFor('untyped', '1.0.0');
    await pushOk(ns, 'untyped', { release: '1.0.0', archive });
    const res = await cnr.get(packagePath(ns, 'untyped', '1.0.0', 'kpm'));
    expectJson(res);
    expect(res.json()).toEqual(expectedManifest(`${ns}/untyped`, '1.0.0', 'kpm', archive, { channels: [] }));
    expect((await listNamespace(ns))[0].manifests).toEqual(['kpm']);
  });

  it('ignores the fields the appr CLI adds (name, package, organization, manifest_name)', async () => {
    const ns = uniqueNamespace();
    const archive = archiveFor('cli', '1.0.0');
    const body = {
      ...pushBody({ release: '1.0.0', mediaType: 'helm', archive }),
      name: 'other',
      package: 'x/other',
      organization: 'x',
      manifest_name: 'other',
    };
    const res = await cnr.post(packagePath(ns, 'cli'), body, { query: { force: 'false' } });
    expectJson(res);
    expect((await listNamespace(ns)).map((p) => p.name)).toEqual([`${ns}/cli`]);
  });
});

describe('JSON responses', () => {
  it('are served as application/json', async () => {
    const ns = uniqueNamespace();
    await pushOk(ns, 'typed', { release: '1.0.0', mediaType: 'helm', archive: archiveFor('typed', '1.0.0') });
    await cnr.post(packagePath(ns, 'typed', 'channels', 'stable', '1.0.0'));
    for (const path of [
      '/api/v1/packages',
      packagePath(ns, 'typed'),
      packagePath(ns, 'typed', '1.0.0'),
      packagePath(ns, 'typed', '1.0.0', 'helm'),
      packagePath(ns, 'typed', '1.0.0', 'helm', 'pull', 'json'),
      packagePath(ns, 'typed', 'channels'),
      packagePath(ns, 'typed', 'channels', 'stable'),
    ]) {
      const res = await cnr.get(path, path === '/api/v1/packages' ? { query: { namespace: ns } } : {});
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({
        path,
        status: 200,
        type: expect.stringMatching(/^application\/json\b/),
      });
    }
    expect((await cnr.get(packagePath(ns, 'typed', 'channels', 'stable'))).json<ChannelView>().current).toBe('1.0.0');
  });
});

/**
 * Wharf's additions to the raw archive responses (the reference sends no validators): the
 * digest of the bytes as a strong ETag, 304 for a client that holds them, and `immutable` on a
 * blob asked by the digest of its bytes.
 */
describe('archive responses: validators and caching', () => {
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
  const etagOf = (archive: Buffer) => `"sha256:${sha256(archive)}"`;

  it('tags a pull with the digest of its bytes and answers 304, without a body, to a client holding them', async () => {
    const ns = uniqueNamespace();
    const archive = archiveFor('app', '1.0.0', ns);
    await pushOk(ns, 'app', { release: '1.0.0', mediaType: 'helm', archive });
    const path = packagePath(ns, 'app', '1.0.0', 'helm', 'pull');

    const first = await cnr.get(path);
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe(etagOf(archive));
    expect(first.headers.get('cache-control')).toBeNull();
    expect(first.bytes.equals(archive)).toBe(true);

    for (const held of [etagOf(archive), `W/${etagOf(archive)}`, `"other", ${etagOf(archive)}`, '*']) {
      const again = await cnr.get(path, { headers: { 'if-none-match': held } });
      expect({ held, status: again.status, length: again.bytes.length, etag: again.headers.get('etag') }).toEqual({
        held,
        status: 304,
        length: 0,
        etag: etagOf(archive),
      });
    }
    const other = await cnr.get(path, { headers: { 'if-none-match': `"sha256:${'0'.repeat(64)}"` } });
    expect(other.status).toBe(200);
    expect(other.bytes.equals(archive)).toBe(true);
  });

  it('serves the new bytes under a new tag once a release is replaced, to a client holding the old ones', async () => {
    const ns = uniqueNamespace();
    const original = archiveFor('app', '1.0.0', `${ns}-a`);
    const replacement = archiveFor('app', '1.0.0', `${ns}-b`);
    await pushOk(ns, 'app', { release: '1.0.0', mediaType: 'helm', archive: original });
    const path = packagePath(ns, 'app', '1.0.0', 'helm', 'pull');
    expect((await cnr.get(path)).bytes.equals(original)).toBe(true);

    await pushOk(ns, 'app', { release: '1.0.0', mediaType: 'helm', archive: replacement, force: 'true' });

    const pulled = await cnr.get(path, { headers: { 'if-none-match': etagOf(original) } });
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get('etag')).toBe(etagOf(replacement));
    expect(pulled.bytes.equals(replacement)).toBe(true);
  });

  it('marks a blob asked by the digest of its bytes immutable, and one asked by its appr digest not', async () => {
    const ns = uniqueNamespace();
    const archive = archiveFor('app', '1.0.0', ns);
    await pushOk(ns, 'app', { release: '1.0.0', mediaType: 'helm', archive });

    const byBytes = await cnr.get(packagePath(ns, 'app', 'blobs', 'sha256', sha256(archive)));
    expect(byBytes.status).toBe(200);
    expect(byBytes.bytes.equals(archive)).toBe(true);
    expect(byBytes.headers.get('etag')).toBe(etagOf(archive));
    expect(byBytes.headers.get('cache-control')).toBe('max-age=31536000, immutable');
    expect(byBytes.headers.get('content-disposition')).toBe(`${ns}_app_${sha256(archive).slice(0, 8)}.tar.gz`);

    const byAppr = await cnr.get(packagePath(ns, 'app', 'blobs', 'sha256', apprDigest(archive)));
    expect(byAppr.status).toBe(200);
    expect(byAppr.bytes.equals(archive)).toBe(true);
    expect(byAppr.headers.get('etag')).toBe(etagOf(archive));
    expect(byAppr.headers.get('cache-control')).toBeNull();

    const held = await cnr.get(packagePath(ns, 'app', 'blobs', 'sha256', sha256(archive)), {
      headers: { 'if-none-match': etagOf(archive) },
    });
    expect([held.status, held.bytes.length]).toEqual([304, 0]);
  });

  it('streams an archive larger than the blob cache keeps, whole, with its length', async () => {
    const ns = uniqueNamespace();
    const archive = chartArchive({
      name: 'big',
      version: '1.0.0',
      salt: ns,
      extraEntries: [{ name: 'big/files/random.bin', content: randomBytes(1536 * 1024) }],
    });
    expect(archive.length).toBeGreaterThan(1024 * 1024);
    await pushOk(ns, 'big', { release: '1.0.0', mediaType: 'helm', archive });

    for (const path of [
      packagePath(ns, 'big', '1.0.0', 'helm', 'pull'),
      packagePath(ns, 'big', 'blobs', 'sha256', sha256(archive)),
    ]) {
      const res = await cnr.get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(archive.length));
      expect(res.headers.get('content-type')).toMatch(/^application\/x-gzip\b/);
      expect(sha256(res.bytes)).toBe(sha256(archive));
    }
  });
});

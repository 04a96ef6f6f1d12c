/**
 * The OCI distribution API (`/v2/`) as one more view of the packages (docs/architecture.md, "OCI
 * distribution"), over HTTP against the server under test (open mode) and, for access, the
 * enforced one. Helm's own client over the same routes: test/clients/helm-oci.e2e.spec.ts.
 */
import { createHash } from 'node:crypto';
import { Socket, connect } from 'node:net';
import { HttpClient, HttpResponse, expectError, root } from '../support/http-client';
import { E2E_ADMIN, baseUrl, enforcedUrl } from '../support/target';
import { apprDigest, archiveFor, packagePath, pushBody, pushOk, uniqueNamespace } from './support/appr.fixtures';

jest.setTimeout(60_000);

const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface OciError {
  errors: { code: string; message: string }[];
}

function expectOciError(res: HttpResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.json<OciError>().errors?.[0]?.code }).toEqual({ status, code });
}

/** Uploads a blob in one POST (`?digest=`). */
async function pushBlob(client: HttpClient, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const res = await client.send('POST', `/v2/${repo}/blobs/uploads/`, {
    query: { digest },
    body: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  expectCreated(res, digest);
  return digest;
}

/** A 201 naming `digest` (an upload finished, a manifest stored). */
function expectCreated(res: HttpResponse, digest: string): void {
  expect({ status: res.status, digest: res.headers.get('docker-content-digest') }).toEqual({ status: 201, digest });
}

function helmManifest(config: Buffer, chart: Buffer, annotations: Record<string, string> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: HELM_CONFIG, digest: sha256(config), size: config.length },
      layers: [{ mediaType: HELM_LAYER, digest: sha256(chart), size: chart.length }],
      annotations,
    }),
  );
}

function putManifest(client: HttpClient, repo: string, reference: string, manifest: Buffer): Promise<HttpResponse> {
  return client.send('PUT', `/v2/${repo}/manifests/${reference}`, {
    body: manifest,
    headers: { 'content-type': OCI_MANIFEST },
  });
}

/** Pushes a chart as `helm push` does: config and layer blobs, then the manifest under the version's tag. */
async function helmPush(client: HttpClient, repo: string, chart: Buffer, tag: string) {
  const config = Buffer.from(JSON.stringify({ name: repo.split('/')[1], version: tag.replace('_', '+') }));
  await pushBlob(client, repo, config);
  await pushBlob(client, repo, chart);
  const manifest = helmManifest(config, chart, { 'org.opencontainers.image.created': new Date().toISOString() });
  return { manifest, config, res: await putManifest(client, repo, tag, manifest) };
}

describe('OCI distribution API: Helm charts over /v2/', () => {
  it('should answer GET /v2/ with the API version header', async () => {
    const res = await root.get('/v2/');
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it('should make a chart pushed over OCI release VERSION of NS/NAME, byte for byte, in appr and index.yaml', async () => {
    const ns = uniqueNamespace('oci');
    const repo = `${ns}/web`;
    const chart = archiveFor('web', '1.2.0+build.5');
    const { manifest, config, res } = await helmPush(root, repo, chart, '1.2.0_build.5');
    expect(res.status).toBe(201);
    expect(res.headers.get('docker-content-digest')).toBe(sha256(manifest));
    expect(res.headers.get('location')).toBe(`/v2/${repo}/manifests/${sha256(manifest)}`);

    // The manifest as pushed, by tag and by digest, HEAD with its length.
    for (const reference of ['1.2.0_build.5', sha256(manifest)]) {
      const got = await root.get(`/v2/${repo}/manifests/${reference}`);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(manifest)).toBe(true);
      expect(got.headers.get('content-type')).toBe(OCI_MANIFEST);
      expect(got.headers.get('docker-content-digest')).toBe(sha256(manifest));
    }
    const head = await root.send('HEAD', `/v2/${repo}/manifests/1.2.0_build.5`);
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(manifest.length)]);
    const config2 = await root.get(`/v2/${repo}/blobs/${sha256(config)}`);
    expect(config2.bytes.equals(config)).toBe(true);

    // The same release through appr and the Helm repository.
    const pulled = await root.get(packagePath(ns, 'web', '1.2.0+build.5', 'helm', 'pull').replace(/^/, '/cnr'));
    expect(pulled.status).toBe(200);
    expect(pulled.bytes.equals(chart)).toBe(true);
    const index = await root.get(`/helm/${ns}/index.yaml`);
    expect(index.text()).toContain(`digest: ${sha256(chart).slice('sha256:'.length)}`);
    const show = await root.get(`/cnr${packagePath(ns, 'web', '1.2.0+build.5', 'helm')}`);
    expect(show.json<{ content: { digest: string } }>().content.digest).toBe(apprDigest(chart));
  });

  it('should serve a release pushed through appr with a manifest built the same on every request', async () => {
    const ns = uniqueNamespace('oci');
    const chart = archiveFor('api', '2.0.0');
    await pushOk(ns, 'api', { release: '2.0.0', mediaType: 'helm', archive: chart });
    await pushOk(ns, 'api', { release: '1.0.0', mediaType: 'helm', archive: archiveFor('api', '1.0.0') });
    const first = await root.get(`/v2/${ns}/api/manifests/2.0.0`);
    const again = await root.get(`/v2/${ns}/api/manifests/2.0.0`);
    expect(first.status).toBe(200);
    expect(first.bytes.equals(again.bytes)).toBe(true);
    expect(first.headers.get('docker-content-digest')).toBe(sha256(first.bytes));
    const parsed = first.json<{ config: { digest: string; mediaType: string }; layers: { digest: string }[] }>();
    expect(parsed.config.mediaType).toBe(HELM_CONFIG);
    expect(parsed.layers.map((l) => l.digest)).toEqual([sha256(chart)]);
    const layer = await root.get(`/v2/${ns}/api/blobs/${sha256(chart)}`);
    expect(layer.bytes.equals(chart)).toBe(true);
    const config = await root.get(`/v2/${ns}/api/blobs/${parsed.config.digest}`);
    expect(config.json()).toMatchObject({ name: 'api', version: '2.0.0' });
    const byDigest = await root.get(`/v2/${ns}/api/manifests/${sha256(first.bytes)}`);
    expect(byDigest.bytes.equals(first.bytes)).toBe(true);

    expect((await root.get(`/v2/${ns}/api/tags/list`)).json()).toEqual({ name: `${ns}/api`, tags: ['1.0.0', '2.0.0'] });
    // A channel's name is a tag too, naming its current release.
    expect((await root.post(`/cnr${packagePath(ns, 'api', 'channels', 'stable', '1.0.0')}`)).status).toBe(200);
    const channel = await root.get(`/v2/${ns}/api/manifests/stable`);
    const release = await root.get(`/v2/${ns}/api/manifests/1.0.0`);
    expect([channel.status, channel.bytes.equals(release.bytes)]).toEqual([200, true]);
    const page = await root.get(`/v2/${ns}/api/tags/list`, { query: { n: '1' } });
    expect(page.json()).toEqual({ name: `${ns}/api`, tags: ['1.0.0'] });
    expect(page.headers.get('link')).toBe(`</v2/${ns}/api/tags/list?n=1&last=1.0.0>; rel="next"`);
    const next = await root.get(`/v2/${ns}/api/tags/list`, { query: { n: '1', last: '1.0.0' } });
    expect(next.json()).toEqual({ name: `${ns}/api`, tags: ['2.0.0'] });
    expect(next.headers.get('link')).toBeNull();
  });

  it('should take a chunked upload (POST, PATCH with Content-Range, PUT) and refuse a chunk out of place with 416', async () => {
    const ns = uniqueNamespace('oci');
    const repo = `${ns}/chunky`;
    const chart = archiveFor('chunky', '0.1.0');
    const config = Buffer.from('{"name":"chunky","version":"0.1.0"}');
    await pushBlob(root, repo, config);
    const started = await root.send('POST', `/v2/${repo}/blobs/uploads/`);
    expect(started.status).toBe(202);
    const location = started.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^/v2/${repo}/blobs/uploads/[^/]+$`));
    const half = Math.floor(chart.length / 2);
    const chunk = (start: number, end: number) =>
      root.send('PATCH', location, {
        body: chart.subarray(start, end),
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${end - 1}` },
      });
    const first = await chunk(0, half);
    expect([first.status, first.headers.get('range')]).toEqual([202, `0-${half - 1}`]);
    expectOciError(await chunk(1, half), 416, 'RANGE_INVALID');
    const misplacedLast = await root.send('PUT', location, {
      query: { digest: sha256(chart) },
      body: chart.subarray(half + 1),
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${half + 1}-${chart.length - 1}` },
    });
    expectOciError(misplacedLast, 416, 'RANGE_INVALID');
    const status = await root.get(location);
    expect([status.status, status.headers.get('range')]).toEqual([204, `0-${half - 1}`]);
    expect((await chunk(half, chart.length)).status).toBe(202);
    const done = await root.send('PUT', location, { query: { digest: sha256(chart) } });
    expect([done.status, done.headers.get('docker-content-digest')]).toEqual([201, sha256(chart)]);
    expectOciError(await root.get(location), 404, 'BLOB_UPLOAD_UNKNOWN');
    // The repository serves what was uploaded into it before any manifest names it, and only there.
    const uploaded = await root.get(`/v2/${repo}/blobs/${sha256(chart)}`);
    expect([uploaded.status, uploaded.bytes.equals(chart)]).toEqual([200, true]);
    const head = await root.send('HEAD', `/v2/${repo}/blobs/${sha256(chart)}`);
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(chart.length)]);
    expectOciError(await root.get(`/v2/${ns}/elsewhere/blobs/${sha256(chart)}`), 404, 'BLOB_UNKNOWN');
    const spare = Buffer.from('a blob no manifest will name');
    await pushBlob(root, repo, spare);
    expect((await root.delete(`/v2/${repo}/blobs/${sha256(spare)}`)).status).toBe(202);
    expectOciError(await root.get(`/v2/${repo}/blobs/${sha256(spare)}`), 404, 'BLOB_UNKNOWN');
    expectOciError(await root.delete(`/v2/${repo}/blobs/${sha256(spare)}`), 404, 'BLOB_UNKNOWN');

    expect((await putManifest(root, repo, '0.1.0', helmManifest(config, chart))).status).toBe(201);
    expect((await root.get(`/v2/${repo}/blobs/${sha256(chart)}`)).bytes.equals(chart)).toBe(true);
  });

  it('should answer the next request on a kept-alive connection after refusing a large chunk before reading it (416, 404)', async () => {
    // As Go's net/http sends them (the OCI conformance suite): a chunk far larger than the socket
    // buffers, refused on what the session says before a byte is read, then the next request on
    // the same connection. Left unread, the body paused the socket: that request got no answer,
    // and the connection was reset at the keep-alive timeout.
    const repo = `${uniqueNamespace('oci')}/kept`;
    const connection = await KeptAliveConnection.open(baseUrl());
    try {
      const started = await connection.request(`POST /v2/${repo}/blobs/uploads/`, {});
      expect(started.status).toBe(202);
      const location = started.headers['location']!.replace(/^https?:\/\/[^/]+/, '');
      const chunk = Buffer.alloc(24 * 1024 * 1024, 'x');
      const headers = { 'content-type': 'application/octet-stream', 'content-range': `1-${chunk.length}` };
      expect((await connection.request(`PATCH ${location}`, headers, chunk)).status).toBe(416);
      expect((await connection.request('GET /v2/', {})).status).toBe(200);
      const unknown = `/v2/${repo}/blobs/uploads/00000000-0000-4000-8000-000000000000`;
      const refused = { 'content-type': 'application/octet-stream', 'content-range': `0-${chunk.length - 1}` };
      expect((await connection.request(`PATCH ${unknown}`, refused, chunk)).status).toBe(404);
      const status = await connection.request(`GET ${location}`, {});
      expect([status.status, status.headers['range']]).toEqual([204, '0-0']);
    } finally {
      connection.close();
    }
  });

  it('should take sha512 blobs: monolithic and chunked uploads, GET and HEAD, mount and DELETE by their sha512 digest', async () => {
    const ns = uniqueNamespace('oci512');
    const sha512 = (bytes: Buffer) => `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
    const whole = Buffer.from(`a sha512 blob of ${ns}`);
    const posted = await root.send('POST', `/v2/${ns}/a/blobs/uploads/`, {
      query: { digest: sha512(whole) },
      body: whole,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expectCreated(posted, sha512(whole));
    const got = await root.get(posted.headers.get('location')!);
    expect({ status: got.status, digest: got.headers.get('docker-content-digest'), body: got.text() }).toEqual({
      status: 200,
      digest: sha512(whole),
      body: whole.toString(),
    });
    const head = await root.send('HEAD', `/v2/${ns}/a/blobs/${sha512(whole)}`);
    expect({ status: head.status, length: head.headers.get('content-length') }).toEqual({
      status: 200,
      length: String(whole.length),
    });

    const chunked = Buffer.from(`chunks of ${ns}, sent in two`);
    const started = await root.send('POST', `/v2/${ns}/a/blobs/uploads/`);
    const patched = await root.send('PATCH', started.headers.get('location')!, {
      body: chunked.subarray(0, 10),
      headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9' },
    });
    expect(patched.status).toBe(202);
    const wrong = `sha512:${'0'.repeat(128)}`;
    const refused = await root.send('PUT', patched.headers.get('location')!, {
      query: { digest: wrong },
      body: chunked.subarray(10),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expectOciError(refused, 400, 'DIGEST_INVALID');
    expectOciError(await root.get(`/v2/${ns}/a/blobs/${wrong}`), 404, 'BLOB_UNKNOWN');
    const again = await root.send('POST', `/v2/${ns}/a/blobs/uploads/`);
    const finished = await root.send('PUT', again.headers.get('location')!, {
      query: { digest: sha512(chunked) },
      body: chunked,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expectCreated(finished, sha512(chunked));
    expect((await root.get(`/v2/${ns}/a/blobs/${sha512(chunked)}`)).text()).toBe(chunked.toString());

    expectOciError(await root.get(`/v2/${ns}/b/blobs/${sha512(whole)}`), 404, 'BLOB_UNKNOWN');
    const mounted = await root.send('POST', `/v2/${ns}/b/blobs/uploads/`, {
      query: { mount: sha512(whole), from: `${ns}/a` },
    });
    expectCreated(mounted, sha512(whole));
    expect((await root.get(`/v2/${ns}/b/blobs/${sha512(whole)}`)).text()).toBe(whole.toString());

    expect((await root.delete(`/v2/${ns}/a/blobs/${sha512(whole)}`)).status).toBe(202);
    expectOciError(await root.get(`/v2/${ns}/a/blobs/${sha512(whole)}`), 404, 'BLOB_UNKNOWN');
    expectOciError(await root.delete(`/v2/${ns}/a/blobs/${sha512(whole)}`), 404, 'BLOB_UNKNOWN');
    expectOciError(await root.get(`/v2/${ns}/a/blobs/sha512:${'A'.repeat(128)}`), 400, 'DIGEST_INVALID');
  });

  it('should refuse an upload whose bytes do not match its digest with DIGEST_INVALID and store nothing', async () => {
    const ns = uniqueNamespace('oci');
    const repo = `${ns}/liar`;
    const chart = archiveFor('liar', '0.1.0');
    const config = Buffer.from('{"name":"liar","version":"0.1.0"}');
    await pushBlob(root, repo, config);
    const claimed = sha256(chart);
    const monolithic = await root.send('POST', `/v2/${repo}/blobs/uploads/`, {
      query: { digest: claimed },
      body: Buffer.concat([chart, Buffer.from('tampered')]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expectOciError(monolithic, 400, 'DIGEST_INVALID');
    const started = await root.send('POST', `/v2/${repo}/blobs/uploads/`);
    const location = started.headers.get('location')!;
    const closed = await root.send('PUT', location, {
      query: { digest: claimed },
      body: chart.subarray(1),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expectOciError(closed, 400, 'DIGEST_INVALID');
    expectOciError(await root.send('PUT', location, { query: { digest: claimed } }), 404, 'BLOB_UPLOAD_UNKNOWN');
    expectOciError(await root.get(`/v2/${repo}/blobs/${claimed}`), 404, 'BLOB_UNKNOWN');
    // Nothing stored under the claimed digest: a manifest naming it is refused, and no release appears.
    expectOciError(await putManifest(root, repo, '0.1.0', helmManifest(config, chart)), 400, 'MANIFEST_BLOB_UNKNOWN');
    expectOciError(await root.get(`/v2/${repo}/manifests/0.1.0`), 404, 'NAME_UNKNOWN');
    expect((await root.get(`/cnr${packagePath(ns, 'liar')}`)).status).toBe(404);
  });

  it('should answer unknown manifests, blobs and bad references in the OCI error format', async () => {
    const ns = uniqueNamespace('oci');
    await pushOk(ns, 'known', { release: '1.0.0', mediaType: 'helm', archive: archiveFor('known', '1.0.0') });
    expectOciError(await root.get(`/v2/${ns}/known/manifests/9.9.9`), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await root.get(`/v2/${ns}/known/manifests/sha256:${'0'.repeat(64)}`), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await root.get(`/v2/${ns}/known/manifests/sha256:nothex`), 400, 'DIGEST_INVALID');
    expectOciError(await root.get(`/v2/${ns}/known/blobs/sha256:${'0'.repeat(64)}`), 404, 'BLOB_UNKNOWN');
    expectOciError(await root.get(`/v2/${ns}/missing/manifests/1.0.0`), 404, 'NAME_UNKNOWN');
    expectOciError(await root.get(`/v2/${ns}/BAD!/tags/list`), 400, 'NAME_INVALID');
  });

  it('should refuse a Helm chart manifest under a tag that is not the chart version, and store nothing', async () => {
    const ns = uniqueNamespace('oci');
    const repo = `${ns}/web`;
    const chart = archiveFor('web', '1.0.0');
    const config = Buffer.from('{}');
    await pushBlob(root, repo, config);
    await pushBlob(root, repo, chart);
    expectOciError(await putManifest(root, repo, '2.0.0', helmManifest(config, chart)), 400, 'MANIFEST_INVALID');
    expectOciError(await putManifest(root, repo, 'v1', helmManifest(config, chart)), 400, 'MANIFEST_INVALID');
    await pushBlob(root, `${ns}/other`, config);
    await pushBlob(root, `${ns}/other`, chart);
    expectOciError(
      await putManifest(root, `${ns}/other`, '1.0.0', helmManifest(config, chart)),
      400,
      'MANIFEST_INVALID',
    );
    expectOciError(
      await putManifest(root, repo, `sha256:${'1'.repeat(64)}`, helmManifest(config, chart)),
      400,
      'DIGEST_INVALID',
    );
    expect((await root.get(`/cnr${packagePath(ns, 'web')}`)).status).toBe(404);
  });

  it('should delete a manifest from every protocol at once', async () => {
    const ns = uniqueNamespace('oci');
    const repo = `${ns}/gone`;
    const chart = archiveFor('gone', '1.0.0');
    expect((await helmPush(root, repo, chart, '1.0.0')).res.status).toBe(201);
    await pushOk(ns, 'gone', { release: '1.1.0', mediaType: 'helm', archive: archiveFor('gone', '1.1.0') });
    expect((await root.delete(`/v2/${repo}/manifests/1.0.0`)).status).toBe(202);
    expectOciError(await root.get(`/v2/${repo}/manifests/1.0.0`), 404, 'MANIFEST_UNKNOWN');
    expect((await root.get(`/cnr${packagePath(ns, 'gone', '1.0.0', 'helm')}`)).status).toBe(404);
    expect((await root.get(`/v2/${repo}/tags/list`)).json()).toEqual({ name: repo, tags: ['1.1.0'] });
    expect((await root.get(`/helm/${ns}/index.yaml`)).text()).not.toContain('version: 1.0.0');
  });
});

describe('OCI distribution API: artifacts that are not charts', () => {
  const IMAGE_CONFIG = 'application/vnd.oci.image.config.v1+json';
  const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
  const descriptor = (mediaType: string, bytes: Buffer) => ({ mediaType, digest: sha256(bytes), size: bytes.length });
  const put = (repo: string, reference: string, manifest: Buffer, mediaType: string) =>
    root.send('PUT', `/v2/${repo}/manifests/${reference}`, { body: manifest, headers: { 'content-type': mediaType } });

  it('should store an image and an index by tag and digest, byte for byte, outside appr and index.yaml, and delete tags and manifests', async () => {
    const ns = uniqueNamespace('ocix');
    const repo = `${ns}/img`;
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
    const layer = Buffer.from(`layer of ${ns}`);
    await pushBlob(root, repo, config);
    await pushBlob(root, repo, layer);
    const image = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptor(IMAGE_CONFIG, config),
        layers: [descriptor('application/vnd.oci.image.layer.v1.tar', layer)],
      }),
    );
    const pushed = await put(repo, 'latest', image, OCI_MANIFEST);
    expectCreated(pushed, sha256(image));
    for (const reference of ['latest', sha256(image)]) {
      const got = await root.get(`/v2/${repo}/manifests/${reference}`);
      expect({ status: got.status, type: got.headers.get('content-type'), digest: sha256(got.bytes) }).toEqual({
        status: 200,
        type: OCI_MANIFEST,
        digest: sha256(image),
      });
    }
    expect(sha256((await root.get(`/v2/${repo}/blobs/${sha256(layer)}`)).bytes)).toBe(sha256(layer));

    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [descriptor(OCI_MANIFEST, image)] }),
    );
    expect((await put(repo, 'multi', index, OCI_INDEX)).status).toBe(201);
    expect((await root.get(`/v2/${repo}/manifests/multi`)).headers.get('content-type')).toBe(OCI_INDEX);
    expect((await root.get(`/v2/${repo}/tags/list`)).json()).toEqual({ name: repo, tags: ['latest', 'multi'] });

    expect((await root.get(`/cnr${packagePath(ns, 'img')}`)).status).toBe(404);
    expect((await root.get(`/helm/${ns}/index.yaml`)).text()).not.toContain('img');

    expect((await root.delete(`/v2/${repo}/manifests/latest`)).status).toBe(202);
    expectOciError(await root.get(`/v2/${repo}/manifests/latest`), 404, 'MANIFEST_UNKNOWN');
    expect((await root.get(`/v2/${repo}/manifests/${sha256(image)}`)).status).toBe(200);
    expect((await root.delete(`/v2/${repo}/manifests/${sha256(index)}`)).status).toBe(202);
    expectOciError(await root.get(`/v2/${repo}/manifests/multi`), 404, 'MANIFEST_UNKNOWN');
    expect((await root.get(`/v2/${repo}/tags/list`)).json()).toEqual({ name: repo, tags: [] });
    // Its last manifest deleted, the repository lists no tags (as the distribution spec's
    // registries answer); a name never pushed to stays unknown.
    expect((await root.delete(`/v2/${repo}/manifests/${sha256(image)}`)).status).toBe(202);
    const emptied = await root.get(`/v2/${repo}/tags/list`);
    expect({ status: emptied.status, body: emptied.json() }).toEqual({ status: 200, body: { name: repo, tags: [] } });
    expectOciError(await root.get(`/v2/${ns}/never-pushed/tags/list`), 404, 'NAME_UNKNOWN');
  });

  it('should list referrers of a digest, filtered by artifactType, and answer OCI-Subject to a PUT with a subject', async () => {
    const ns = uniqueNamespace('ocix');
    const repo = `${ns}/signed`;
    const empty = Buffer.from('{}');
    const config = Buffer.from('{"os":"linux"}');
    await pushBlob(root, repo, empty);
    await pushBlob(root, repo, config);
    const image = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptor(IMAGE_CONFIG, config),
        layers: [],
      }),
    );
    expect((await put(repo, 'v1', image, OCI_MANIFEST)).status).toBe(201);
    const artifact = (artifactType: string, note: string) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType,
          config: descriptor('application/vnd.oci.empty.v1+json', empty),
          layers: [descriptor('application/vnd.oci.empty.v1+json', empty)],
          subject: descriptor(OCI_MANIFEST, image),
          annotations: { 'org.example.note': note },
        }),
      );
    const sbom = artifact('application/vnd.example.sbom', 'sbom');
    const sig = artifact('application/vnd.example.sig', 'sig');
    for (const referrer of [sbom, sig]) {
      const res = await put(repo, sha256(referrer), referrer, OCI_MANIFEST);
      expect({ status: res.status, subject: res.headers.get('oci-subject') }).toEqual({
        status: 201,
        subject: sha256(image),
      });
    }

    const all = await root.get(`/v2/${repo}/referrers/${sha256(image)}`);
    expect({
      status: all.status,
      type: all.headers.get('content-type'),
      filters: all.headers.get('oci-filters-applied'),
    }).toEqual({
      status: 200,
      type: OCI_INDEX,
      filters: null,
    });
    expect(all.json()).toEqual({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: OCI_MANIFEST,
          digest: sha256(sbom),
          size: sbom.length,
          artifactType: 'application/vnd.example.sbom',
          annotations: { 'org.example.note': 'sbom' },
        },
        {
          mediaType: OCI_MANIFEST,
          digest: sha256(sig),
          size: sig.length,
          artifactType: 'application/vnd.example.sig',
          annotations: { 'org.example.note': 'sig' },
        },
      ],
    });
    const filtered = await root.get(`/v2/${repo}/referrers/${sha256(image)}`, {
      query: { artifactType: 'application/vnd.example.sig' },
    });
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(filtered.json<{ manifests: { digest: string }[] }>().manifests.map((m) => m.digest)).toEqual([sha256(sig)]);
    const none = await root.get(`/v2/${repo}/referrers/sha256:${'0'.repeat(64)}`);
    expect({ status: none.status, manifests: none.json<{ manifests: unknown[] }>().manifests }).toEqual({
      status: 200,
      manifests: [],
    });
    expectOciError(await root.get(`/v2/${repo}/referrers/sha256:nothex`), 400, 'DIGEST_INVALID');
    const missing = await root.get(`/v2/${ns}/nothing/referrers/${sha256(image)}`);
    expect({ status: missing.status, manifests: missing.json<{ manifests: unknown[] }>().manifests }).toEqual({
      status: 200,
      manifests: [],
    });

    expect((await root.delete(`/v2/${repo}/manifests/${sha256(sig)}`)).status).toBe(202);
    const after = await root.get(`/v2/${repo}/referrers/${sha256(image)}`);
    expect(after.json<{ manifests: { digest: string }[] }>().manifests.map((m) => m.digest)).toEqual([sha256(sbom)]);
  });

  it('should take manifests and indexes by sha512 digest, naming sha512 blobs and entries, and delete them by it', async () => {
    const ns = uniqueNamespace('ocim512');
    const repo = `${ns}/img`;
    const sha512 = (bytes: Buffer) => `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
    const d512 = (mediaType: string, bytes: Buffer) => ({ mediaType, digest: sha512(bytes), size: bytes.length });
    const config = Buffer.from(`{"os":"linux","ns":"${ns}"}`);
    const layer = Buffer.from(`a layer of ${ns}`);
    for (const blob of [config, layer]) {
      const res = await root.send('POST', `/v2/${repo}/blobs/uploads/`, {
        query: { digest: sha512(blob) },
        body: blob,
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(res.status).toBe(201);
    }
    const image = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: d512(IMAGE_CONFIG, config),
        layers: [d512('application/vnd.oci.image.layer.v1.tar', layer)],
      }),
    );
    const pushed = await put(repo, sha512(image), image, OCI_MANIFEST);
    expectCreated(pushed, sha512(image));
    const got = await root.get(`/v2/${repo}/manifests/${sha512(image)}`, { headers: { accept: OCI_MANIFEST } });
    expect({ status: got.status, digest: got.headers.get('docker-content-digest'), body: got.text() }).toEqual({
      status: 200,
      digest: sha512(image),
      body: image.toString(),
    });
    expect((await root.send('HEAD', `/v2/${repo}/manifests/${sha512(image)}`)).status).toBe(200);
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [d512(OCI_MANIFEST, image)] }),
    );
    expect((await put(repo, sha512(index), index, OCI_INDEX)).status).toBe(201);
    expect((await root.get(`/v2/${repo}/manifests/${sha512(index)}`)).text()).toBe(index.toString());

    const wrong = Buffer.from(JSON.stringify({ ...JSON.parse(image.toString()), annotations: { a: 'b' } }));
    expectOciError(await put(repo, sha512(image), wrong, OCI_MANIFEST), 400, 'DIGEST_INVALID');
    const unknown = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: d512(IMAGE_CONFIG, Buffer.from('never uploaded')),
        layers: [],
      }),
    );
    expectOciError(await put(repo, sha512(unknown), unknown, OCI_MANIFEST), 400, 'MANIFEST_BLOB_UNKNOWN');

    expect((await root.delete(`/v2/${repo}/manifests/${sha512(index)}`)).status).toBe(202);
    expectOciError(await root.get(`/v2/${repo}/manifests/${sha512(index)}`), 404, 'MANIFEST_UNKNOWN');
    expect((await root.get(`/v2/${repo}/manifests/${sha512(image)}`)).status).toBe(200);
  });

  it('should take a manifest of megabytes of annotations, served byte for byte, but refuse such a referrer', async () => {
    const ns = uniqueNamespace('ocibig');
    const repo = `${ns}/img`;
    const config = Buffer.from(`{"os":"linux","ns":"${ns}"}`);
    await pushBlob(root, repo, config);
    const annotations = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`large-annotation-${i}`, 'A'.repeat(10_000)]),
    );
    const image = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptor(IMAGE_CONFIG, config),
        layers: [],
        annotations,
      }),
    );
    expect((await put(repo, 'large', image, OCI_MANIFEST)).status).toBe(201);
    const got = await root.get(`/v2/${repo}/manifests/large`, { headers: { accept: OCI_MANIFEST } });
    expect({
      status: got.status,
      digest: got.headers.get('docker-content-digest'),
      same: got.text() === image.toString(),
    }).toEqual({
      status: 200,
      digest: sha256(image),
      same: true,
    });
    // A referrer's annotations are recorded (the referrers list shows them): bounded.
    const referrer = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptor(IMAGE_CONFIG, config),
        layers: [],
        subject: descriptor(OCI_MANIFEST, image),
        annotations,
      }),
    );
    expectOciError(await put(repo, sha256(referrer), referrer, OCI_MANIFEST), 400, 'MANIFEST_INVALID');
  });

  it('should refuse a manifest naming blobs or index entries the repository does not hold, and a tag of a chart version', async () => {
    const ns = uniqueNamespace('ocix');
    const config = Buffer.from('{"os":"linux"}');
    await pushBlob(root, `${ns}/elsewhere`, config);
    const image = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptor(IMAGE_CONFIG, config),
        layers: [],
      }),
    );
    expectOciError(await put(`${ns}/img`, 'latest', image, OCI_MANIFEST), 400, 'MANIFEST_BLOB_UNKNOWN');
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [descriptor(OCI_MANIFEST, image)] }),
    );
    expectOciError(await put(`${ns}/img`, 'multi', index, OCI_INDEX), 400, 'MANIFEST_BLOB_UNKNOWN');
    expectOciError(await root.get(`/v2/${ns}/img/manifests/latest`), 404, 'NAME_UNKNOWN');

    await pushOk(ns, 'web', { release: '1.0.0', mediaType: 'helm', archive: archiveFor('web', '1.0.0') });
    await pushBlob(root, `${ns}/web`, config);
    expect((await put(`${ns}/web`, '1.0.0', image, OCI_MANIFEST)).status).toBe(409);
    expect((await put(`${ns}/web`, 'latest', image, OCI_MANIFEST)).status).toBe(201);
    expect((await root.get(`/v2/${ns}/web/tags/list`)).json()).toEqual({
      name: `${ns}/web`,
      tags: ['1.0.0', 'latest'],
    });
  });

  it('should show a repository of artifacts with no release on its web UI page: tags, media types, artifactType, digests, sizes', async () => {
    const ns = uniqueNamespace('ocix');
    const repo = `${ns}/sbom`;
    const empty = Buffer.from('{}');
    const layer = Buffer.from(`an sbom of ${ns}`);
    await pushBlob(root, repo, empty);
    await pushBlob(root, repo, layer);
    // What `oras push --artifact-type` sends.
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example.sbom+json',
        config: descriptor('application/vnd.oci.empty.v1+json', empty),
        layers: [descriptor('application/spdx+json', layer)],
      }),
    );
    expect((await put(repo, 'v1', manifest, OCI_MANIFEST)).status).toBe(201);
    expectError(await root.get(`/cnr/api/v1/packages/${repo}`), 404, 'package-not-found');

    const page = await root.get(`/ui/${repo}`);
    expect({ status: page.status, type: page.headers.get('content-type') }).toEqual({
      status: 200,
      type: expect.stringContaining('text/html'),
    });
    const html = page.text();
    expect(html).toContain('Manifests (1)');
    for (const shown of [
      '<td>v1</td>',
      `<td>${OCI_MANIFEST}</td>`,
      '<td>application/vnd.example.sbom+json</td>',
      sha256(manifest),
      `<td>${manifest.length} B</td>`,
    ])
      expect(html).toContain(shown);
    expect((await root.get(`/ui/${ns}/nothing`)).status).toBe(404);
  });
});

describe('OCI distribution API: access (enforced mode)', () => {
  const anonymous = new HttpClient('', enforcedUrl);
  const basic = (user: string, password: string) =>
    anonymous.with({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
  const admin = basic(E2E_ADMIN.username, E2E_ADMIN.password);
  /** Signs `user` up (201) and gives a client with their Basic credentials. */
  const signUpUser = async (user: string, password: string) => {
    const res = await anonymous.send('POST', '/cnr/api/v1/users', {
      body: JSON.stringify({ user: { username: user, password, email: `${user}@example.test` } }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(201);
    return basic(user, password);
  };

  it('should challenge an anonymous /v2/ with the token flow, and give a token for Basic credentials', async () => {
    const ping = await anonymous.get('/v2/');
    expectOciError(ping, 401, 'UNAUTHORIZED');
    const challenge = ping.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer realm="http:\/\/[^"]+\/v2\/token",service="wharf"$/);
    const realm = /realm="([^"]+)"/.exec(challenge)![1]!;
    expect(realm).toBe(`${enforcedUrl()}/v2/token`);

    expectOciError(await anonymous.get('/v2/token', { query: { service: 'wharf' } }), 401, 'UNAUTHORIZED');
    expectOciError(await basic(E2E_ADMIN.username, 'wrong-password').get('/v2/token'), 401, 'UNAUTHORIZED');
    const ns = uniqueNamespace('ocia');
    const granted = await admin.get('/v2/token', {
      query: `service=wharf&scope=${encodeURIComponent(`repository:${ns}/app:pull,push`)}`,
    });
    expect(granted.status).toBe(200);
    const body = granted.json<{ token: string; access_token: string; expires_in: number; scope: string }>();
    expect(body).toMatchObject({ expires_in: 300, scope: `repository:${ns}/app:pull,push` });
    expect(body.access_token).toBe(body.token);
    const bearer = anonymous.with({ authorization: `Bearer ${body.token}` });
    expect((await bearer.get('/v2/')).status).toBe(200);
  });

  it('should show the web UI page of a private repository of artifacts to its readers only', async () => {
    const ns = uniqueNamespace('ocia');
    const cnrAdmin = new HttpClient('/cnr', enforcedUrl, admin.headers);
    await cnrAdmin.post('/api/v1/organizations', { name: ns });
    const granted = await admin.get('/v2/token', {
      query: `service=wharf&scope=${encodeURIComponent(`repository:${ns}/sbom:pull,push`)}`,
    });
    const pusher = anonymous.with({ authorization: `Bearer ${granted.json<{ token: string }>().token}` });
    const empty = Buffer.from('{}');
    await pushBlob(pusher, `${ns}/sbom`, empty);
    const emptyDescriptor = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 };
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.example.sbom+json',
        config: emptyDescriptor,
        layers: [emptyDescriptor],
      }),
    );
    expect((await putManifest(pusher, `${ns}/sbom`, 'v1', manifest)).status).toBe(201);
    expect((await cnrAdmin.put(packagePath(ns, 'sbom', 'visibility'), { visibility: 'private' })).status).toBe(200);

    const login = await new HttpClient('/cnr', enforcedUrl).post('/api/v1/users/login', { user: E2E_ADMIN });
    const session = anonymous.with({ cookie: `wharf_session=${login.json<{ token: string }>().token}` });
    const seen = await session.get(`/ui/${ns}/sbom`);
    expect(seen.status).toBe(200);
    expect(seen.text()).toContain(sha256(manifest));
    expect(seen.text()).toContain('<span class="badge">private</span>');
    const hidden = await anonymous.get(`/ui/${ns}/sbom`);
    expect(hidden.status).toBe(404);
    expect(hidden.text()).not.toContain(sha256(manifest));
  });

  it('should serve public packages anonymously and hide private ones (401 to anonymous, 404 to others)', async () => {
    const ns = uniqueNamespace('ocia');
    const cnrAdmin = new HttpClient('/cnr', enforcedUrl, admin.headers);
    await cnrAdmin.post('/api/v1/organizations', { name: ns });
    await pushOk(ns, 'open', { release: '1.0.0', mediaType: 'helm', archive: archiveFor('open', '1.0.0') }, cnrAdmin);
    const closed = { release: '1.0.0', mediaType: 'helm', archive: archiveFor('closed', '1.0.0') };
    expect(
      (await cnrAdmin.post(packagePath(ns, 'closed'), { ...pushBody(closed), visibility: 'private' })).status,
    ).toBe(200);

    expect((await anonymous.get(`/v2/${ns}/open/manifests/1.0.0`)).status).toBe(200);
    const refused = await anonymous.get(`/v2/${ns}/closed/manifests/1.0.0`);
    expectOciError(refused, 401, 'UNAUTHORIZED');
    expect(refused.headers.get('www-authenticate')).toContain(`scope="repository:${ns}/closed:pull"`);
    // A missing repository answers the same, so the 401 says nothing about what exists.
    expectOciError(await anonymous.get(`/v2/${ns}/nothing/manifests/1.0.0`), 401, 'UNAUTHORIZED');
    // By digest too, even a malformed one: the challenge comes before the digest is read.
    expectOciError(await anonymous.get(`/v2/${ns}/closed/manifests/${sha256(closed.archive)}`), 401, 'UNAUTHORIZED');
    expectOciError(await anonymous.get(`/v2/${ns}/closed/manifests/sha256:not-a-digest`), 401, 'UNAUTHORIZED');
    expect((await admin.get(`/v2/${ns}/closed/manifests/1.0.0`)).status).toBe(200);

    const outsider = `out-${ns}`;
    await anonymous.send('POST', '/cnr/api/v1/users', {
      body: JSON.stringify({
        user: { username: outsider, password: 'outsider-password-1', email: `${outsider}@example.test` },
      }),
      headers: { 'content-type': 'application/json' },
    });
    const other = basic(outsider, 'outsider-password-1');
    expectOciError(await other.get(`/v2/${ns}/closed/manifests/1.0.0`), 404, 'NAME_UNKNOWN');
    expectOciError(await other.send('POST', `/v2/${ns}/closed/blobs/uploads/`), 403, 'DENIED');
    expectOciError(await anonymous.send('POST', `/v2/${ns}/open/blobs/uploads/`), 401, 'UNAUTHORIZED');
  });

  it('should answer a password login with a short-lived registry token that is no API token: not listed, not counted', async () => {
    const user = uniqueNamespace('ocr');
    const signedUp = await anonymous.send('POST', '/cnr/api/v1/users', {
      body: JSON.stringify({
        user: { username: user, password: 'registry-password-1', email: `${user}@example.test` },
      }),
      headers: { 'content-type': 'application/json' },
    });
    expect(signedUp.status).toBe(201);
    const client = basic(user, 'registry-password-1');
    const listTokens = async () => (await client.get('/cnr/api/v1/user/tokens')).json<{ id: string }[]>();
    const before = await listTokens();
    const scope = `service=wharf&scope=${encodeURIComponent(`repository:${user}/app:pull,push`)}`;
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await client.get('/v2/token', { query: scope });
      expect(res.status).toBe(200);
      const body = res.json<{ token: string; expires_in: number; scope: string }>();
      expect(body).toMatchObject({ expires_in: 300, scope: `repository:${user}/app:pull,push` });
      tokens.push(body.token);
    }
    expect(await listTokens()).toEqual(before);

    const bearer = anonymous.with({ authorization: `Bearer ${tokens[0]}` });
    expect((await bearer.get('/v2/')).status).toBe(200);
    await pushBlob(bearer, `${user}/app`, Buffer.from('pushed with a registry token'));
    // The token endpoint answers the same token to a caller that presents it: none outlives another.
    expect((await bearer.get('/v2/token', { query: scope })).json<{ token: string }>().token).toBe(tokens[0]);
    // It opens /v2/ alone (its audience): it may not mint an API token that outlives it, nor read
    // or write through the account routes, appr, ChartMuseum or the UI; a password does.
    const minted = await bearer.send('POST', '/cnr/api/v1/user/tokens', {
      body: JSON.stringify({ label: 'ci', expires_in: null }),
      headers: { 'content-type': 'application/json' },
    });
    expectError(minted, 401, 'unauthorized-access');
    for (const path of ['/cnr/api/v1/user/tokens', '/cnr/api/v1/packages', `/api/${user}/charts`]) {
      expect([path, (await bearer.get(path)).status]).toEqual([path, 401]);
      expect([path, (await client.get(path)).status]).not.toEqual([path, 401]);
    }
    const ui = await anonymous.with({ cookie: `wharf_session=${tokens[0]}` }).get('/ui/-/tokens');
    expect(ui.headers.get('set-cookie')).toMatch(/wharf_session=;[^,]*Max-Age=0/);
    const forged = tokens[0]!.slice(0, -4) + (tokens[0]!.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expectOciError(await anonymous.with({ authorization: `Bearer ${forged}` }).get('/v2/'), 401, 'UNAUTHORIZED');
  });

  it("should refuse a Helm manifest naming another tenant's private blobs (MANIFEST_BLOB_UNKNOWN), appending nothing", async () => {
    const id = uniqueNamespace('ocl');
    const signUp = (user: string) => signUpUser(user, 'leak-password-1');
    const [owner, thief] = [`a-${id}`, `b-${id}`];
    const ownerClient = await signUp(owner);
    const thiefClient = await signUp(thief);
    const chart = archiveFor('secret', '1.0.0', id);
    const secret = { release: '1.0.0', mediaType: 'helm', archive: chart };
    const cnrOwner = new HttpClient('/cnr', enforcedUrl, ownerClient.headers);
    expect(
      (await cnrOwner.post(packagePath(owner, 'secret'), { ...pushBody(secret), visibility: 'private' })).status,
    ).toBe(200);
    expectOciError(await thiefClient.get(`/v2/${owner}/secret/blobs/${sha256(chart)}`), 404, 'NAME_UNKNOWN');

    // The thief uploads only the config, and names the owner's chart layer by its digest.
    const config = Buffer.from(JSON.stringify({ name: 'secret', version: '1.0.0' }));
    await pushBlob(thiefClient, `${thief}/secret`, config);
    const refused = await putManifest(thiefClient, `${thief}/secret`, '1.0.0', helmManifest(config, chart));
    expectOciError(refused, 400, 'MANIFEST_BLOB_UNKNOWN');
    // Nor the other way: the owner's layer uploaded, a config only the owner's repository holds.
    const ownerConfig = Buffer.from(JSON.stringify({ name: 'secret', version: '1.0.0', owner }));
    await pushBlob(ownerClient, `${owner}/secret`, ownerConfig);
    const byConfig = await putManifest(thiefClient, `${thief}/secret`, '1.0.0', helmManifest(ownerConfig, config));
    expectOciError(byConfig, 400, 'MANIFEST_BLOB_UNKNOWN');

    expectOciError(await thiefClient.get(`/v2/${thief}/secret/tags/list`), 404, 'NAME_UNKNOWN');
    expectOciError(await thiefClient.get(`/v2/${thief}/secret/blobs/${sha256(chart)}`), 404, 'BLOB_UNKNOWN');
    expect(
      (await new HttpClient('/cnr', enforcedUrl, thiefClient.headers).get(packagePath(thief, 'secret'))).status,
    ).toBe(404);
  });

  it('should count OCI artifacts in the namespace storage quota and refuse one past it with 413, storing nothing', async () => {
    const ns = uniqueNamespace('ocq');
    const cnrAdmin = new HttpClient('/cnr', enforcedUrl, admin.headers);
    await cnrAdmin.post('/api/v1/organizations', { name: ns });
    expect((await cnrAdmin.put(`/api/v1/namespaces/${ns}/limits`, { max_storage_bytes: 2000 })).status).toBe(200);
    const image = async (tag: string, layerBytes: number) => {
      const config = Buffer.from(`{"os":"linux","tag":"${tag}"}`);
      const layer = Buffer.alloc(layerBytes, tag);
      await pushBlob(admin, `${ns}/img`, config);
      await pushBlob(admin, `${ns}/img`, layer);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: sha256(config),
            size: config.length,
          },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
        }),
      );
      return putManifest(admin, `${ns}/img`, tag, manifest);
    };
    expect((await image('small', 1000)).status).toBe(201);
    const refused = await image('big', 1000);
    expectOciError(refused, 413, 'DENIED');
    expect((await admin.get(`/v2/${ns}/img/tags/list`)).json()).toEqual({ name: `${ns}/img`, tags: ['small'] });
  });

  it('should mount a blob without `from` from a repository the caller may read, public or private, and no other', async () => {
    const id = uniqueNamespace('ocm');
    const signUp = (user: string) => signUpUser(user, 'mount-password-1');
    const [owner, caller, org] = [`a-${id}`, `b-${id}`, id];
    const ownerClient = await signUp(owner);
    const callerClient = await signUp(caller);
    const cnrAdmin = new HttpClient('/cnr', enforcedUrl, admin.headers);
    expect((await cnrAdmin.post('/api/v1/organizations', { name: org })).status).toBeLessThan(300);
    expect((await cnrAdmin.put(`/api/v1/organizations/${org}/members/${caller}`, { role: 'read' })).status).toBe(200);
    /** An image holding `layer` in `repo`, made private when asked. */
    const image = async (client: HttpClient, repo: string, layer: Buffer, visibility: 'public' | 'private') => {
      const config = Buffer.from(JSON.stringify({ os: 'linux', repo }));
      await pushBlob(client, repo, config);
      await pushBlob(client, repo, layer);
      const manifest = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
      };
      expect((await putManifest(client, repo, 'v1', Buffer.from(JSON.stringify(manifest)))).status).toBe(201);
      const [ns, name] = repo.split('/') as [string, string];
      const cnr = new HttpClient('/cnr', enforcedUrl, client.headers);
      expect((await cnr.put(packagePath(ns, name, 'visibility'), { visibility })).status).toBe(200);
    };
    const layer = (what: string) => Buffer.from(`${what} layer of ${id}`);
    const [open, orgs, secret] = [layer('public'), layer('organisation'), layer('secret')];
    // The public layer is held by a private repository too, whose name sorts first: passed over.
    await image(ownerClient, `${owner}/a-private`, open, 'private');
    await image(ownerClient, `${owner}/public`, open, 'public');
    await image(admin, `${org}/private`, orgs, 'private');
    await image(ownerClient, `${owner}/secret`, secret, 'private');
    const target = `${caller}/app`;
    const mount = (client: HttpClient, repo: string, digest: string) =>
      client.send('POST', `/v2/${repo}/blobs/uploads/`, { query: { mount: digest } });

    for (const bytes of [open, orgs]) {
      const mounted = await mount(callerClient, target, sha256(bytes));
      expectCreated(mounted, sha256(bytes));
      expect(mounted.headers.get('location')).toBe(`/v2/${target}/blobs/${sha256(bytes)}`);
      expect((await callerClient.get(`/v2/${target}/blobs/${sha256(bytes)}`)).bytes.equals(bytes)).toBe(true);
    }

    // Held by another user's private repository only, and held nowhere: the same answer, a new
    // upload session, and nothing linked into the target.
    const nowhere = sha256(layer('unknown'));
    const answers = [];
    for (const digest of [sha256(secret), nowhere]) {
      const refused = await mount(callerClient, target, digest);
      const location = refused.headers.get('location') ?? '';
      expect({ status: refused.status, location }).toEqual({
        status: 202,
        location: expect.stringMatching(new RegExp(`^/v2/${target}/blobs/uploads/[^/?]+$`)),
      });
      answers.push({ headers: [...refused.headers.keys()].filter((h) => h !== 'date').sort(), body: refused.text() });
      expect((await callerClient.send('DELETE', location)).status).toBe(204);
      expectOciError(await callerClient.get(`/v2/${target}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
    }
    expect(answers[0]).toEqual(answers[1]);
    // Its owner, who may read it, mounts it without `from`.
    expectCreated(await mount(ownerClient, `${owner}/copy`, sha256(secret)), sha256(secret));
  });

  it('should list every repository in the catalog to site admins only, paged by name, images alone included', async () => {
    const ns = uniqueNamespace('ocic');
    const cnrAdmin = new HttpClient('/cnr', enforcedUrl, admin.headers);
    await cnrAdmin.post('/api/v1/organizations', { name: ns });
    const closed = { release: '1.0.0', mediaType: 'helm', archive: archiveFor('chart', '1.0.0') };
    expect((await cnrAdmin.post(packagePath(ns, 'chart'), { ...pushBody(closed), visibility: 'private' })).status).toBe(
      200,
    );
    const config = Buffer.from('{"os":"linux"}');
    await pushBlob(admin, `${ns}/image`, config);
    const image = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [],
      }),
    );
    expect((await putManifest(admin, `${ns}/image`, 'latest', image)).status).toBe(201);

    // Repositories sort after the namespace's own prefix: page from just before it.
    const first = await admin.get('/v2/_catalog', { query: { n: '1', last: `${ns}/` } });
    expect(first.json()).toEqual({ repositories: [`${ns}/chart`] });
    expect(first.headers.get('link')).toBe(`</v2/_catalog?n=1&last=${encodeURIComponent(`${ns}/chart`)}>; rel="next"`);
    const second = await admin.get('/v2/_catalog', { query: { n: '1', last: `${ns}/chart` } });
    expect(second.json()).toEqual({ repositories: [`${ns}/image`] });

    expectOciError(await anonymous.get('/v2/_catalog'), 401, 'UNAUTHORIZED');
    const user = `cat-${ns}`;
    await anonymous.send('POST', '/cnr/api/v1/users', {
      body: JSON.stringify({ user: { username: user, password: 'catalog-password-1', email: `${user}@example.test` } }),
      headers: { 'content-type': 'application/json' },
    });
    expectOciError(await basic(user, 'catalog-password-1').get('/v2/_catalog'), 403, 'DENIED');
  });
});

/**
 * One HTTP/1.1 connection, kept alive, its requests written whole as a client does (the body as
 * fast as the socket takes it, whether or not the server reads it), one answer read at a time.
 */
class KeptAliveConnection {
  private received = Buffer.alloc(0);
  private failure: Error | null = null;
  private wake: () => void = () => undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly host: string,
  ) {
    socket.on('data', (data: Buffer) => {
      this.received = Buffer.concat([this.received, data]);
      this.wake();
    });
    socket.on('error', (error) => {
      this.failure = error;
      this.wake();
    });
    socket.on('close', () => {
      this.failure ??= new Error('the server closed the connection');
      this.wake();
    });
  }

  static async open(url: string): Promise<KeptAliveConnection> {
    const { hostname, port, host } = new URL(url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new KeptAliveConnection(socket, host);
  }

  /** Sends `line` (method and path) with `headers` and `body`; its answer (status, headers), within 30 s. */
  async request(
    line: string,
    headers: Record<string, string>,
    body = Buffer.alloc(0),
  ): Promise<{ status: number; headers: Record<string, string> }> {
    const head = Object.entries({ host: this.host, ...headers, 'content-length': String(body.length) })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    this.socket.write(`${line} HTTP/1.1\r\n${head}\r\n`);
    if (body.length > 0) this.socket.write(body);
    const giveUp = Date.now() + 30_000;
    for (;;) {
      const answer = this.answer();
      if (answer) return answer;
      if (this.failure) throw new Error(`no answer to ${line}: ${this.failure.message}`);
      if (Date.now() > giveUp) throw new Error(`no answer to ${line} on the kept-alive connection in 30 s`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 500);
      });
    }
  }

  /** The first whole answer received, taken off the connection; null until one is. */
  private answer(): { status: number; headers: Record<string, string> } | null {
    const end = this.received.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine, ...lines] = this.received.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const length = end + 4 + Number(headers['content-length'] ?? 0);
    if (this.received.length < length) return null;
    this.received = this.received.subarray(length);
    return { status: Number(statusLine!.split(' ')[1]), headers };
  }

  close(): void {
    this.socket.destroy();
  }
}

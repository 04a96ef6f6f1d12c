/**
 * Issue 15, the HTTP edge (items 5 and 11), on a process of its own with small bounds, so the
 * tests need not move megabytes: JSON pulls over WHARF_MAX_JSON_PULL_BYTES are refused with a 413
 * naming the raw pull (which serves the bytes), those under it are streamed when the blob cache
 * would not keep the blob; refused bodies write nothing; a client that goes away mid-body is
 * logged as a client abort, not as an outage; what a crash left in uploads/ is swept at start.
 * (Peak memory under these attacks is a benchmark, bench/memory-attack.ts, not a test.)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartArchive } from '@wharf/testing';
import { WharfProcess, startWharf } from '../support/wharf-process';

jest.setTimeout(120_000);

const ADMIN = { username: 'memadmin', password: 'mem-admin-password-1' };
const MAX_JSON_PULL = 4096;
const CACHE_MAX_BLOB = 1024;
const REQUEST_TIMEOUT_SECONDS = 2;

let dataDir: string;
let wharf: WharfProcess;
let admin: string;

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length))
    .sort();
}

async function call(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${wharf.url}/cnr${path}`, {
    method,
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, headers: res.headers, bytes, json: (): any => JSON.parse(bytes.toString()) };
}

function archiveOf(name: string, noiseBytes: number): Buffer {
  return chartArchive({
    name,
    version: '1.0.0',
    extraEntries: [{ name: `${name}/noise.bin`, content: randomBytes(noiseBytes) }],
  });
}

async function push(name: string, archive: Buffer): Promise<void> {
  const res = await call(
    'POST',
    `/api/v1/packages/${ADMIN.username}/${name}`,
    JSON.stringify({ release: '1.0.0', media_type: 'helm', blob: archive.toString('base64') }),
    { authorization: admin },
  );
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'wharf-edge-'));
  // What a crash left: an upload older than the GC grace (one hour by default), and a recent one.
  mkdirSync(join(dataDir, 'blobs', 'uploads'), { recursive: true });
  for (const [name, ageSeconds] of [
    ['crashed', 2 * 3600],
    ['recent', 60],
  ] as const) {
    writeFileSync(join(dataDir, 'blobs', 'uploads', name), 'partial');
    const at = new Date(Date.now() - ageSeconds * 1000);
    utimesSync(join(dataDir, 'blobs', 'uploads', name), at, at);
  }
  wharf = await startWharf({
    WHARF_DATA_DIR: dataDir,
    WHARF_AUTH_MODE: 'enforced',
    WHARF_ADMIN_USERNAME: ADMIN.username,
    WHARF_ADMIN_PASSWORD: ADMIN.password,
    WHARF_MAX_JSON_PULL_BYTES: String(MAX_JSON_PULL),
    WHARF_BLOB_CACHE_MAX_BLOB_BYTES: String(CACHE_MAX_BLOB),
    WHARF_REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT_SECONDS),
  });
  admin = (await call('POST', '/api/v1/users/login', JSON.stringify({ user: ADMIN }))).json().token;
});

afterAll(async () => {
  await wharf?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('uploads/ at start', () => {
  it('should have swept the uploads a crash left older than the GC grace, and kept the recent one', () => {
    expect(readdirSync(join(dataDir, 'blobs', 'uploads'))).toEqual(['recent']);
  });
});

describe('JSON pulls', () => {
  const P = `/api/v1/packages/${ADMIN.username}`;
  let large: Buffer;
  let medium: Buffer;
  let largeDigest: string;

  beforeAll(async () => {
    large = archiveOf('large', 3 * MAX_JSON_PULL);
    medium = archiveOf('medium', 2 * CACHE_MAX_BLOB);
    expect(large.length).toBeGreaterThan(MAX_JSON_PULL);
    expect(medium.length).toBeGreaterThan(CACHE_MAX_BLOB);
    expect(medium.length).toBeLessThanOrEqual(MAX_JSON_PULL);
    await push('large', large);
    await push('medium', medium);
    largeDigest = (await call('GET', `${P}/large/1.0.0/helm`, undefined, { authorization: admin })).json().content
      .digest;
  });

  it.each([
    ['?format=json', '/large/1.0.0/helm/pull?format=json', '/large/1.0.0/helm/pull'],
    ['/pull/json', '/large/default/helm/pull/json', '/large/1.0.0/helm/pull'],
    ['a blob ?format=json', '/large/blobs/sha256/{digest}?format=json', '/large/blobs/sha256/{digest}'],
    ['a blob /json', '/large/blobs/sha256/{digest}/json', '/large/blobs/sha256/{digest}'],
  ])(
    'should refuse %s of a blob over the bound with 413 payload-too-large naming the raw pull, which serves it',
    async (_label, path, raw) => {
      const res = await call('GET', `${P}${path.replace('{digest}', largeDigest)}`, undefined, {
        authorization: admin,
      });
      expect(res.status).toBe(413);
      const rawPull = `/cnr${P}${raw.replace('{digest}', largeDigest)}`;
      expect(res.json()).toMatchObject({
        code: 'payload-too-large',
        details: { size: large.length, max: MAX_JSON_PULL, raw_pull: rawPull },
      });
      expect(res.json().message).toContain(rawPull);

      const pulled = await fetch(`${wharf.url}${rawPull}`, { headers: { authorization: admin } });
      expect(pulled.status).toBe(200);
      expect(Buffer.from(await pulled.arrayBuffer()).equals(large)).toBe(true);
    },
  );

  it.each(['/medium/1.0.0/helm/pull?format=json', '/medium/1.0.0/helm/pull/json'])(
    'should serve %s of a blob under the bound but over the cache limit (streamed) as the whole JSON',
    async (path) => {
      const res = await call('GET', `${P}${path}`, undefined, { authorization: admin });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Number(res.headers.get('content-length'))).toBe(res.bytes.length);
      const body = res.json();
      expect(body).toEqual({
        package: `${ADMIN.username}/medium`,
        release: '1.0.0',
        media_type: 'helm',
        filename: `${ADMIN.username}_medium_1.0.0.tar.gz`,
        blob: medium.toString('base64'),
      });
    },
  );

  // The memory this saves is bench/memory-attack.ts's `helm-download` row; this holds the answer.
  it('should serve a Helm chart download over the cache limit (the streamed path) with its length, byte for byte', async () => {
    const res = await call('GET', `/helm/${ADMIN.username}/charts/medium-1.0.0.tgz`, undefined, {
      authorization: admin,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-gzip');
    expect(res.headers.get('content-length')).toBe(String(medium.length));
    expect(res.bytes.equals(medium)).toBe(true);
  });
});

describe('refused bodies', () => {
  it('should answer 413 to an anonymous 1 MB login and a huge sign-up, and write nothing', async () => {
    const before = filesUnder(dataDir);
    const login = await call(
      'POST',
      '/api/v1/users/login',
      JSON.stringify({ user: ADMIN, padding: 'x'.repeat(1024 * 1024) }),
    );
    expect(login.status).toBe(413);
    expect(login.json()).toMatchObject({ code: 'payload-too-large' });
    const signup = await call(
      'POST',
      '/api/v1/users',
      JSON.stringify({
        user: { username: 'huge-signup', password: 'a long password', email: 'x'.repeat(1024 * 1024) },
      }),
    );
    expect(signup.status).toBe(413);
    expect(filesUnder(dataDir)).toEqual(before);
    expect(
      (
        await call(
          'POST',
          '/api/v1/users/login',
          JSON.stringify({ user: { username: 'huge-signup', password: 'a long password' } }),
        )
      ).status,
    ).toBe(401);
  });

  it('should answer 413 to an authorised push over the bound, and store no blob', async () => {
    const org = `lim-${randomBytes(4).toString('hex')}`;
    expect(
      (await call('POST', '/api/v1/organizations', JSON.stringify({ name: org }), { authorization: admin })).status,
    ).toBe(201);
    expect(
      (
        await call('PUT', `/api/v1/namespaces/${org}/limits`, JSON.stringify({ max_blob_bytes: 2048 }), {
          authorization: admin,
        })
      ).status,
    ).toBe(200);
    const blobsBefore = filesUnder(join(dataDir, 'blobs'));
    const archive = archiveOf('over', 256 * 1024);
    const res = await call(
      'POST',
      `/api/v1/packages/${org}/over`,
      JSON.stringify({ release: '1.0.0', media_type: 'helm', blob: archive.toString('base64') }),
      { authorization: admin },
    );
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ code: 'payload-too-large' });
    expect(filesUnder(join(dataDir, 'blobs'))).toEqual(blobsBefore);
  });
});

describe('a client that goes away mid-body', () => {
  it('should be logged as a client abort, not as a dependency outage', async () => {
    const { port, hostname } = new URL(wharf.url);
    const logged = wharf.output().length;
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(
          `POST /cnr/api/v1/users/login HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"user":`,
        );
        // The server has read the headers and part of the body when the client goes.
        setImmediate(() => socket.destroy());
        socket.once('close', () => resolve());
      });
      socket.once('error', reject);
    });
    // The server logs the abort when it notices the closed connection: poll its output until it
    // did (or anything else about that request), within the test's own timeout.
    const noticed = () =>
      /"msg":"(client aborted|dependency unavailable|unexpected error)"/.test(wharf.output().slice(logged));
    for (let polls = 0; !noticed() && polls < 2000; polls++) await new Promise((r) => setTimeout(r, 50));
    const after = wharf.output().slice(logged);
    expect(after).toMatch(/"level":"info","msg":"client aborted","method":"POST","path":"\/api\/v1\/users\/login"/);
    expect(after).not.toContain('dependency unavailable');
  });
});

describe('a client that drips its request', () => {
  it('should be answered 408 and let go once the request timeout passes, not held for ever', async () => {
    const { port, hostname } = new URL(wharf.url);
    const answer = await new Promise<string>((resolve, reject) => {
      let received = '';
      const socket = connect(Number(port), hostname, () => {
        // Headers promise a body that never comes (Node checks the deadline every few seconds).
        socket.write(
          `POST /cnr/api/v1/users/login HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"user":`,
        );
      });
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      socket.once('close', () => resolve(received));
      socket.once('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    // Node's own deadlines (60 s for headers, 300 s for a request) would also end it, later than
    // this test's own time limit: the 408 within it is the configured 2 s deadline's.
  }, 30_000);
});

/**
 * The upload bounds (issue 15, finding 3 of the review), each in a process of its own so the
 * bounds can be tiny. Both are taken before a byte of the body is read, and given back exactly
 * once when the answer is sent or the client goes away:
 *
 * - per uploader (an account, or the client address in open mode): WHARF_MAX_CONCURRENT_UPLOADS_PER_ACCOUNT
 *   run, 8 more per running slot wait their turn, past that 429 rate-limited with Retry-After;
 * - server-wide: upload bodies in flight (each counts its declared length, or its bound) up to
 *   WHARF_MAX_UPLOAD_BYTES_IN_FLIGHT; 64 more uploads wait, past that 503 service-unavailable.
 *
 * An upload that holds a bound here is a request that sent its headers, declaring a large body,
 * and only its first KiB: an answer to it (or to the ones behind it) proves the body was not
 * read, and a bound that was not given back shows as a later upload that is refused for 5 s, or
 * never answered (the test fails on its timeout). With one upload running per uploader, one leaked slot is enough.
 *
 * Also here, since it needs a process of its own: WHARF_TRUSTED_PROXIES (X-Forwarded-For counts
 * behind the listed proxies only). The shared e2e servers keep the default bounds, which the
 * other suites' bursts (20 concurrent pushes from one address) must pass.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartArchive } from '@wharf/testing';
import { bulkyChart } from '../support/bulky-chart';
import { WharfProcess, startWharf } from '../support/wharf-process';

jest.setTimeout(180_000);

const RUNNING = 1;
/** WAITING_UPLOADS_PER_SLOT in services/gateway/src/auth/upload-slots.ts. */
const WAITING = 8 * RUNNING;
/** MAX_WAITING_UPLOADS in services/gateway/src/auth/upload-bytes-in-flight.ts. */
const WAITING_FOR_BYTES = 64;
const MAX_BODY_BYTES = 2 * 1024 * 1024;

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: { code?: string };
}

/** An upload that sends its headers and 1 KiB of a `declared`-byte body, then waits until `abort()`. */
function heldUpload(
  base: string,
  path: string,
  declared: number,
  headers: Record<string, string> = {},
): { answer: Promise<Answer>; abort: () => void } {
  const url = new URL(base);
  const req = request({
    host: url.hostname,
    port: url.port,
    method: 'POST',
    path,
    agent: false,
    headers: { ...headers, 'content-type': 'application/json', 'content-length': String(declared) },
  });
  let aborted = false;
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'] as string | undefined,
          body: JSON.parse(Buffer.concat(chunks).toString()),
        }),
      );
    });
    // An aborted upload has no answer: it stays pending (the test that aborts it waits for no more answers).
    req.on('error', (error) => aborted || reject(error));
  });
  req.write(Buffer.alloc(1024, 0x20));
  return {
    answer,
    abort: () => {
      aborted = true;
      req.destroy();
    },
  };
}

/** A chunked upload (no Content-Length) of `bytes` of JSON-ish filler. */
function chunkedUpload(base: string, path: string, bytes: number): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    for (let sent = 0; sent < bytes; sent += 64 * 1024) req.write(Buffer.alloc(64 * 1024, 0x20));
    req.end();
  });
}

const first = <T>(promises: Promise<T>[], count: number) =>
  new Promise<T[]>((resolve) => {
    const settled: T[] = [];
    for (const p of promises) void p.then((value) => settled.push(value) === count && resolve(settled));
  });

/**
 * The status of the first push that is not refused for want of a slot, trying every 50 ms for up to
 * 5 s: the server learns that aborted clients went away only when it reads their sockets' close, which
 * may come after the next request's headers. A slot that is never given back fails the test here.
 */
async function pushOnceFreed(attempt: (n: number) => Promise<Response>): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (let n = 0; ; n++) {
    const res = await attempt(n);
    await res.arrayBuffer();
    const status = res.status;
    if ((status !== 429 && status !== 503) || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const push = (base: string, pkg: string, release: string, headers: Record<string, string> = {}, blob?: string) =>
  fetch(`${base}/cnr/api/v1/packages/${pkg}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      release,
      media_type: 'helm',
      blob: blob ?? chartArchive({ name: pkg.split('/')[1], version: release }).toString('base64'),
    }),
  });

describe('uploads of one uploader (one running, eight waiting)', () => {
  let dataDir: string;
  let wharf: WharfProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-upload-slots-'));
    wharf = await startWharf({
      WHARF_DATA_DIR: dataDir,
      WHARF_AUTH_MODE: 'open',
      WHARF_MAX_CONCURRENT_UPLOADS_PER_ACCOUNT: String(RUNNING),
      WHARF_ARCHIVE_WORKERS: '1',
      WHARF_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      // Far above what the upload tests send; the last test spends it.
      WHARF_RATE_LIMIT_PER_MINUTE: '200',
    });
  });

  afterAll(async () => {
    await wharf?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`should run ${RUNNING}, queue ${WAITING} and refuse the rest with 429 and Retry-After, storing nothing for them`, async () => {
    const salt = randomBytes(4).toString('hex');
    const releases = Array.from({ length: RUNNING + WAITING + 3 }, (_, i) => `1.${i}.0`);
    const bodies = releases.map((release) =>
      JSON.stringify({ release, media_type: 'helm', blob: bulkyChart('burst', release, salt).toString('base64') }),
    );
    const url = `${wharf.url}/cnr/api/v1/packages/slots/burst`;

    const answers = await Promise.all(
      bodies.map(async (body) => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        return {
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body: (await res.json()) as { code?: string },
        };
      }),
    );

    const accepted = releases.filter((_, i) => answers[i].status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(answers.map((a) => a.status).filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(accepted.length).toBeGreaterThanOrEqual(RUNNING + WAITING);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused)
      expect(r).toMatchObject({ retryAfter: expect.stringMatching(/^[1-9]\d*$/), body: { code: 'rate-limited' } });

    const listed = (await (await fetch(`${wharf.url}/cnr/api/v1/packages?namespace=slots`)).json()) as {
      releases: string[];
    }[];
    expect([...listed[0].releases].sort()).toEqual([...accepted].sort());
    const stats = (await (await fetch(`${wharf.url}/_wharf/stats?fresh=true`)).json()) as { blobs: number };
    expect(stats.blobs).toBe(accepted.length);
  });

  it('should refuse an upload past the queue with 429 before reading its body, and free the slots of clients that went away', async () => {
    const held = Array.from({ length: RUNNING + WAITING + 3 }, () =>
      heldUpload(wharf.url, '/cnr/api/v1/packages/held/chart', 1_000_000),
    );
    // The held uploads never send their bodies, so only the ones past the queue are answered.
    const refused = await first(
      held.map((h) => h.answer),
      3,
    );
    for (const r of refused)
      expect(r).toMatchObject({
        status: 429,
        retryAfter: expect.stringMatching(/^[1-9]\d*$/),
        body: { code: 'rate-limited' },
      });

    for (const h of held) h.abort();
    expect(await pushOnceFreed(() => push(wharf.url, 'held/chart', '1.0.0'))).toBe(200);
  });

  it('should hold OCI blob uploads to the same slots: past the queue 429 TOOMANYREQUESTS, the body unread', async () => {
    const held = Array.from({ length: RUNNING + WAITING + 3 }, () =>
      heldUpload(wharf.url, `/v2/held/oci/blobs/uploads/?digest=sha256:${'0'.repeat(64)}`, 1_000_000),
    );
    const refused = await first(
      held.map((h) => h.answer),
      3,
    );
    for (const r of refused)
      expect(r).toMatchObject({
        status: 429,
        retryAfter: expect.stringMatching(/^[1-9]\d*$/),
        body: { errors: [{ code: 'TOOMANYREQUESTS' }] },
      });

    for (const h of held) h.abort();
    expect(await pushOnceFreed(() => push(wharf.url, 'held/oci', '1.0.0'))).toBe(200);
  });

  it('should free the slot after a body-parser 413, a 409 and a 400, so the next upload runs', async () => {
    const pkg = `after-${randomBytes(3).toString('hex')}/chart`;
    expect(await chunkedUpload(wharf.url, `/cnr/api/v1/packages/${pkg}`, MAX_BODY_BYTES + 256 * 1024)).toBe(413);
    expect((await push(wharf.url, pkg, '1.0.0')).status).toBe(200);
    expect((await push(wharf.url, pkg, '1.0.0')).status).toBe(409);
    expect((await push(wharf.url, pkg, '1.1.0')).status).toBe(200);
    expect((await push(wharf.url, pkg, '1.2.0', {}, Buffer.from('not a gzip archive').toString('base64'))).status).toBe(
      400,
    );
    expect((await push(wharf.url, pkg, '1.3.0')).status).toBe(200);
  });

  it('should ignore X-Forwarded-For without WHARF_TRUSTED_PROXIES: a spoofed header does not escape the rate limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 201 && !statuses.includes(429); i++) {
      statuses.push(
        (
          await fetch(`${wharf.url}/cnr/api/v1/packages`, {
            headers: { 'x-forwarded-for': `10.8.${i >> 8}.${i & 255}` },
          })
        ).status,
      );
    }
    expect(statuses).toContain(429);
  });
});

describe('upload bytes in flight, and trusted proxies', () => {
  let dataDir: string;
  let wharf: WharfProcess;
  const RATE = 3;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-upload-bytes-'));
    wharf = await startWharf({
      WHARF_DATA_DIR: dataDir,
      WHARF_AUTH_MODE: 'open',
      WHARF_MAX_UPLOAD_BYTES_IN_FLIGHT: String(1024 * 1024),
      WHARF_TRUSTED_PROXIES: '127.0.0.1,::1',
      WHARF_RATE_LIMIT_PER_MINUTE: String(RATE),
    });
  });

  afterAll(async () => {
    await wharf?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should let one upload hold the budget, queue 64 and refuse the rest with 503 and Retry-After before reading, then admit again once they went away', async () => {
    // Each from its own client address (through the trusted proxy), so no uploader's own slots are what refuses.
    const held = Array.from({ length: 1 + WAITING_FOR_BYTES + 5 }, (_, i) =>
      heldUpload(wharf.url, '/cnr/api/v1/packages/bytes/chart', 700_000, {
        'x-forwarded-for': `10.1.${i >> 8}.${i & 255}`,
      }),
    );
    const refused = await first(
      held.map((h) => h.answer),
      5,
    );
    for (const r of refused)
      expect(r).toMatchObject({
        status: 503,
        retryAfter: expect.stringMatching(/^[1-9]\d*$/),
        body: { code: 'service-unavailable' },
      });

    for (const h of held) h.abort();
    // Each attempt from an address of its own, so the per-address rate limit (3 a minute) is not what answers.
    expect(
      await pushOnceFreed((n) =>
        push(wharf.url, 'bytes/chart', '1.0.0', { 'x-forwarded-for': `10.2.${n >> 8}.${n & 255}` }),
      ),
    ).toBe(200);
  });

  it('should count anonymous clients behind a trusted proxy by their X-Forwarded-For address', async () => {
    const get = (address: string) =>
      fetch(`${wharf.url}/cnr/api/v1/packages`, { headers: { 'x-forwarded-for': address } }).then((res) => res.status);
    const statuses: number[] = [];
    for (let i = 0; i <= RATE; i++) statuses.push(await get('10.9.0.1'));
    expect(statuses).toEqual([...Array(RATE).fill(200), 429]);
    expect(await get('10.9.0.2')).toBe(200);
  });
});

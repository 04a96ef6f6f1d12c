/**
 * A request body over the configured limit is refused with 413 `payload-too-large` in the API's
 * error format (on /v2, 413 SIZE_INVALID in the distribution spec's), and nothing is appended or
 * stored. (A process of its own, with a small limit, so the test does not have to send 100 MiB.)
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartArchive } from '@wharf/testing';
import { WharfProcess, startWharf } from '../support/wharf-process';

describe('request body limit', () => {
  let dataDir: string;
  let wharf: WharfProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-limit-'));
    wharf = await startWharf({ WHARF_DATA_DIR: dataDir, WHARF_MAX_BODY_BYTES: '65536' });
  });

  afterAll(async () => {
    await wharf?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const stats = async () => (await fetch(`${wharf.url}/_wharf/stats?fresh=true`)).json();

  it('should answer 413 payload-too-large and change nothing', async () => {
    const before = await stats();
    // Random bytes: gzip cannot shrink them under the limit.
    const blob = chartArchive({
      name: 'big',
      version: '1.0.0',
      extraEntries: [{ name: 'big/noise.bin', content: randomBytes(100_000) }],
    }).toString('base64');
    const res = await fetch(`${wharf.url}/cnr/api/v1/packages/limit/big`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ release: '1.0.0', media_type: 'helm', blob }),
    });
    expect(res.status).toBe(413);
    const body = await res.json();
    expect(body).toMatchObject({ code: 'payload-too-large', error: { code: 'payload-too-large' } });
    expect(await stats()).toEqual(before);
    expect((await fetch(`${wharf.url}/cnr/api/v1/packages/limit/big`)).status).toBe(404);
  });

  it('should still accept a body under the limit', async () => {
    const blob = chartArchive({ name: 'small', version: '1.0.0' }).toString('base64');
    const res = await fetch(`${wharf.url}/cnr/api/v1/packages/limit/small`, {
      method: 'POST',
      body: JSON.stringify({ release: '1.0.0', media_type: 'helm', blob }),
    });
    expect(res.status).toBe(200);
  });

  describe('OCI blob uploads (POST monolithic, PATCH, PUT)', () => {
    const LIMIT = 65536;
    const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

    /**
     * Sends the headers (declaring `declared` bytes, or none: chunked) and `body`; with a declared
     * length over what is sent, the request stays open, so an answer proves the rest was not
     * awaited. Resolves with the status and the OCI error code.
     */
    function send(method: string, path: string, body: Buffer, declared?: number) {
      const url = new URL(wharf.url);
      return new Promise<{ status: number; code: string | undefined }>((resolve, reject) => {
        const req = request({
          host: url.hostname,
          port: url.port,
          method,
          path,
          agent: false,
          headers: {
            'content-type': 'application/octet-stream',
            ...(declared === undefined ? {} : { 'content-length': String(declared) }),
          },
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            const code = text ? (JSON.parse(text) as { errors?: { code: string }[] }).errors?.[0]?.code : undefined;
            resolve({ status: res.statusCode ?? 0, code });
            req.destroy();
          });
        });
        req.on('error', reject);
        req.write(body);
        if (declared === undefined || declared === body.length) req.end();
      });
    }

    const startSession = async (repo: string) => {
      const res = await fetch(`${wharf.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      expect(res.status).toBe(202);
      return res.headers.get('location')!;
    };

    it('should refuse a declared Content-Length over the limit with 413 SIZE_INVALID before reading the body', async () => {
      const repo = `limit-${randomBytes(3).toString('hex')}/oci`;
      const digest = `sha256:${'0'.repeat(64)}`;
      const part = Buffer.alloc(1024, 1);
      const refused = { status: 413, code: 'SIZE_INVALID' };
      expect(await send('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, part, 1_000_000)).toEqual(refused);
      const session = await startSession(repo);
      expect(await send('PATCH', session, part, 1_000_000)).toEqual(refused);
      expect(await send('PUT', `${session}?digest=${digest}`, part, 1_000_000)).toEqual(refused);
    });

    it('should refuse a chunked body that passes the limit with 413 SIZE_INVALID, storing nothing', async () => {
      const repo = `limit-${randomBytes(3).toString('hex')}/oci`;
      const before = await stats();
      const big = randomBytes(LIMIT + 4096);
      const refused = { status: 413, code: 'SIZE_INVALID' };
      expect(await send('POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(big)}`, big)).toEqual(refused);
      const session = await startSession(repo);
      expect(await send('PATCH', session, big)).toEqual(refused);
      const status = await fetch(`${wharf.url}${session}`);
      expect({ status: status.status, range: status.headers.get('range') }).toEqual({ status: 204, range: '0-0' });
      expect(await send('PUT', `${session}?digest=${sha256(big)}`, big)).toEqual(refused);
      expect((await fetch(`${wharf.url}/v2/${repo}/blobs/${sha256(big)}`, { method: 'HEAD' })).status).toBe(404);
      expect(await stats()).toEqual(before);
    });
  });
});

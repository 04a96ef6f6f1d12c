/**
 * A request body over the configured limit is refused with 413 `payload-too-large` in the API's
 * error format, and nothing is appended or stored. (A process of its own, with a small limit,
 * so the test does not have to send 100 MiB.)
 */
import { randomBytes } from 'node:crypto';
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
});

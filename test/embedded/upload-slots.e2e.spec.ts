/**
 * Concurrent uploads are bounded per uploader (an account, or the client address in open mode):
 * WHARF_MAX_CONCURRENT_UPLOADS_PER_ACCOUNT run, a few more per running slot wait their turn,
 * and past that the upload is refused with 429 rate-limited and Retry-After, storing nothing.
 * A process of its own with a bound of 1 (and one inspection worker), so a dozen uploads of a
 * chart that unpacks to 60 MiB overflow the queue for certain: the first holds its slot for
 * the whole inspection while the others arrive. The shared e2e servers keep the default bound,
 * which the other suites' bursts (20 concurrent pushes from one address) must pass.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bulkyChart } from '../support/bulky-chart';
import { WharfProcess, startWharf } from '../support/wharf-process';

jest.setTimeout(180_000);

const RUNNING = 1;
/** WAITING_UPLOADS_PER_SLOT in services/gateway/src/auth/upload-slots.ts. */
const WAITING = 8 * RUNNING;
const UPLOADS = RUNNING + WAITING + 3;

describe('concurrent uploads of one uploader', () => {
  let dataDir: string;
  let wharf: WharfProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-upload-slots-'));
    wharf = await startWharf({ WHARF_DATA_DIR: dataDir, WHARF_AUTH_MODE: 'open', WHARF_MAX_CONCURRENT_UPLOADS_PER_ACCOUNT: String(RUNNING), WHARF_ARCHIVE_WORKERS: '1' });
  });

  afterAll(async () => {
    await wharf?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`should run ${RUNNING}, queue ${WAITING} and refuse the rest with 429 and Retry-After, storing nothing for them`, async () => {
    const salt = randomBytes(4).toString('hex');
    const releases = Array.from({ length: UPLOADS }, (_, i) => `1.${i}.0`);
    const bodies = releases.map((release) => JSON.stringify({ release, media_type: 'helm', blob: bulkyChart('burst', release, salt).toString('base64') }));
    const url = `${wharf.url}/cnr/api/v1/packages/slots/burst`;

    const answers = await Promise.all(bodies.map(async (body) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { code?: string } };
    }));

    const accepted = releases.filter((_, i) => answers[i].status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(answers.map((a) => a.status).filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(accepted.length).toBeGreaterThanOrEqual(RUNNING + WAITING);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r).toMatchObject({ retryAfter: expect.stringMatching(/^[1-9]\d*$/), body: { code: 'rate-limited' } });

    const listed = (await (await fetch(`${wharf.url}/cnr/api/v1/packages?namespace=slots`)).json()) as { releases: string[] }[];
    expect([...listed[0].releases].sort()).toEqual([...accepted].sort());
    const stats = (await (await fetch(`${wharf.url}/_wharf/stats?fresh=true`)).json()) as { blobs: number };
    expect(stats.blobs).toBe(accepted.length);
  });
});

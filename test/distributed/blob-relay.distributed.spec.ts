/**
 * Large blobs relayed by the gateway from the real S3 server (WHARF_PULL_REDIRECT off, the
 * default), in the distributed profile: what `S3BlobStore.open` serves without the SDK. A chart
 * larger than the blob cache keeps comes back byte for byte through each route that streams it
 * (the OCI blob GET, the appr pull, the Helm download), also after a client went away in the
 * middle of one; a `Range` of its last bytes comes back as exactly those bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartArchive } from '@wharf/testing';
import { DistributedStack } from './support/distributed-stack';
import { sha256 } from './support/push-stream';

jest.setTimeout(300_000);

const runId = `relay${Date.now().toString(36)}`;
const stack = new DistributedStack({ runId, logDir: mkdtempSync(join(tmpdir(), `wharf-relay-${runId}-`)) });
const chart = chartArchive({
  name: 'big',
  version: '1.0.0',
  salt: runId,
  extraEntries: [{ name: 'big/files/random.bin', content: randomBytes(5 * 1024 * 1024) }],
});

beforeAll(async () => {
  await stack.up();
  const pushed = await fetch(`${stack.url()}/cnr/api/v1/packages/relay/big`, {
    method: 'POST',
    body: JSON.stringify({ release: '1.0.0', media_type: 'helm', blob: chart.toString('base64') }),
  });
  expect([pushed.status, await pushed.text()]).toEqual([200, '{"status":"ok"}']);
});

afterAll(async () => {
  await stack.down();
});

const routes = () => [
  `${stack.url()}/v2/relay/big/blobs/sha256:${sha256(chart)}`,
  `${stack.url()}/cnr/api/v1/packages/relay/big/1.0.0/helm/pull`,
  `${stack.url()}/helm/relay/charts/big-1.0.0.tgz`,
];

async function download(url: string): Promise<{ status: number; length: string | null; digest: string }> {
  const answer = await fetch(url, { redirect: 'manual' });
  const bytes = Buffer.from(await answer.arrayBuffer());
  return { status: answer.status, length: answer.headers.get('content-length'), digest: sha256(bytes) };
}

it('should relay a blob larger than the blob cache keeps, byte for byte, on every route that streams it', async () => {
  expect(chart.length).toBeGreaterThan(5 * 1024 * 1024);
  for (const url of routes()) {
    expect(await download(url)).toEqual({ status: 200, length: String(chart.length), digest: sha256(chart) });
  }
});

it('should keep serving after clients went away in the middle of downloads', async () => {
  for (let i = 0; i < 5; i++) {
    const aborted = new AbortController();
    const answer = await fetch(routes()[i % 3]!, { signal: aborted.signal });
    await answer.body!.getReader().read();
    aborted.abort();
  }
  for (const url of routes()) {
    expect(await download(url)).toEqual({ status: 200, length: String(chart.length), digest: sha256(chart) });
  }
});

it("should answer a Range of the blob's last bytes with exactly those bytes, read from S3 by range", async () => {
  const url = routes()[0]!;
  const tail = chart.subarray(chart.length - 1000);
  for (const range of [
    'bytes=-1000',
    `bytes=${chart.length - 1000}-`,
    `bytes=${chart.length - 1000}-${chart.length + 50}`,
  ]) {
    const answer = await fetch(url, { headers: { range } });
    const bytes = Buffer.from(await answer.arrayBuffer());
    expect([answer.status, answer.headers.get('content-range'), bytes.length]).toEqual([
      206,
      `bytes ${chart.length - 1000}-${chart.length - 1}/${chart.length}`,
      1000,
    ]);
    expect(bytes.equals(tail)).toBe(true);
  }
  const last = await fetch(url, { headers: { range: 'bytes=-1' } });
  expect([last.status, Buffer.from(await last.arrayBuffer()).equals(chart.subarray(-1))]).toEqual([206, true]);
});

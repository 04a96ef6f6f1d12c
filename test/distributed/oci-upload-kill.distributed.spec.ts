/**
 * An OCI chunked blob upload outlives the gateway that took it (docs/architecture.md, "OCI
 * distribution"): two gateways on the same services and engines; a client uploads a first chunk
 * through the first, and the first is killed with SIGKILL while the second chunk's body is
 * streaming in. The client then resumes against the other gateway as the distribution spec says
 * (GET the upload URL for its `Range`, PATCH the rest from there, PUT with the digest). The blob
 * then pulls byte-identical with its digest from both gateways (the killed one started again);
 * before the PUT, the blob's digest is a 404 on the surviving gateway: nothing half-written is
 * ever served. An upload whose PUT (with its last chunk) was cut off by a kill is finished by the
 * PUT sent again to the other gateway.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistributedStack, sleep } from './support/distributed-stack';

jest.setTimeout(600_000);

const MiB = 1024 * 1024;
const runId = `u${Date.now().toString(36)}`;
const stack = new DistributedStack({ runId, logDir: mkdtempSync(join(tmpdir(), `wharf-oci-kill-${runId}-`)) });

beforeAll(async () => {
  await stack.up();
  await stack.start('gateway#2');
});

afterAll(async () => {
  await stack.down();
});

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The upload's path (`/v2/<repo>/blobs/uploads/<id>`) from a 202's Location, whatever its form. */
function uploadPath(res: Response): string {
  expect(res.status).toBe(202);
  return new URL(res.headers.get('location')!, 'http://any').pathname;
}

async function startUpload(gateway: string, repository: string): Promise<string> {
  return uploadPath(await fetch(`${stack.url(gateway)}/v2/${repository}/blobs/uploads/`, { method: 'POST' }));
}

async function patch(gateway: string, path: string, start: number, chunk: Buffer): Promise<string> {
  const res = await fetch(`${stack.url(gateway)}${path}`, {
    method: 'PATCH',
    headers: {
      'content-type': 'application/octet-stream',
      'content-range': `${start}-${start + chunk.length - 1}`,
    },
    body: chunk,
  });
  expect(res.headers.get('range')).toBe(`0-${start + chunk.length - 1}`);
  return uploadPath(res);
}

/**
 * Sends `sent` bytes of a longer body to `gateway` and keeps the request open, then kills the
 * gateway with SIGKILL; the request fails.
 */
async function killMidBody(
  gateway: string,
  path: string,
  init: { method: string; headers: Record<string, string> },
  sent: Buffer,
) {
  let pulled = 0;
  let release: () => void = () => undefined;
  const halfway = new Promise<void>((resolve) => (release = resolve));
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= sent.length) {
        release();
        return new Promise(() => undefined); // the rest never comes
      }
      const piece = sent.subarray(pulled, pulled + 256 * 1024);
      pulled += piece.length;
      controller.enqueue(piece);
    },
  });
  const request = fetch(`${stack.url(gateway)}${path}`, { ...init, body, duplex: 'half' } as RequestInit).then(
    (res) => res.status,
    (error: unknown) => (error as Error).name,
  );
  await halfway;
  await sleep(500);
  await stack.kill(gateway);
  return request;
}

async function expectRange(gateway: string, path: string, size: number): Promise<void> {
  const status = await fetch(`${stack.url(gateway)}${path}`);
  expect(status.status).toBe(204);
  expect(status.headers.get('range')).toBe(`0-${size - 1}`);
}

async function expectBlob(gateway: string, repository: string, blob: Buffer): Promise<void> {
  const pulled = await fetch(`${stack.url(gateway)}/v2/${repository}/blobs/${digestOf(blob)}`);
  expect({ gateway, status: pulled.status }).toEqual({ gateway, status: 200 });
  expect(pulled.headers.get('docker-content-digest')).toBe(digestOf(blob));
  const bytes = Buffer.from(await pulled.arrayBuffer());
  expect({ gateway, length: bytes.length, digest: digestOf(bytes) }).toEqual({
    gateway,
    length: blob.length,
    digest: digestOf(blob),
  });
}

async function expectNotServed(gateway: string, repository: string, blob: Buffer): Promise<void> {
  const res = await fetch(`${stack.url(gateway)}/v2/${repository}/blobs/${digestOf(blob)}`);
  expect({ gateway, status: res.status }).toEqual({ gateway, status: 404 });
}

it('resumes a chunked upload on another gateway after the one that took it is killed mid-chunk', async () => {
  const repository = 'crash/layers';
  // 19 MiB in chunks of 6 MiB, 7 MiB and 6 MiB: the chunks cross the 8 MiB parts.
  const blob = randomBytes(19 * MiB);
  const [first, second, third] = [blob.subarray(0, 6 * MiB), blob.subarray(6 * MiB, 13 * MiB), blob.subarray(13 * MiB)];

  let path = await startUpload('gateway', repository);
  path = await patch('gateway', path, 0, first);
  // The second chunk's first 4 MiB reach the gateway (a whole part goes to S3), then it dies.
  const outcome = await killMidBody(
    'gateway',
    path,
    {
      method: 'PATCH',
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${first.length}-${first.length + second.length - 1}`,
      },
    },
    second.subarray(0, 4 * MiB),
  );
  expect(outcome).not.toBe(202);

  // Nothing of it is served, and the session holds exactly the first chunk.
  await expectNotServed('gateway#2', repository, blob);
  await expectRange('gateway#2', path, first.length);
  path = await patch('gateway#2', path, first.length, second);
  path = await patch('gateway#2', path, first.length + second.length, third);
  await expectNotServed('gateway#2', repository, blob);
  const put = await fetch(`${stack.url('gateway#2')}${path}?digest=${digestOf(blob)}`, { method: 'PUT' });
  expect(put.status).toBe(201);
  expect(put.headers.get('docker-content-digest')).toBe(digestOf(blob));

  await stack.start('gateway');
  await expectBlob('gateway#2', repository, blob);
  await expectBlob('gateway', repository, blob);
});

it('finishes an upload on the other gateway when its PUT was cut off by a kill', async () => {
  const repository = 'crash/finish';
  const blob = randomBytes(9 * MiB + 3);
  const last = blob.subarray(9 * MiB);
  let path = await startUpload('gateway#2', repository);
  path = await patch('gateway#2', path, 0, blob.subarray(0, 9 * MiB));
  // The PUT carries the last chunk (3 bytes); the gateway dies after 2 of them.
  const outcome = await killMidBody(
    'gateway#2',
    `${path}?digest=${digestOf(blob)}`,
    { method: 'PUT', headers: { 'content-type': 'application/octet-stream' } },
    last.subarray(0, 2),
  );
  expect(outcome).not.toBe(201);
  await expectNotServed('gateway', repository, blob);
  // The cut-off PUT took nothing: the client sends it again to the other gateway.
  await expectRange('gateway', path, 9 * MiB);
  const put = await fetch(`${stack.url('gateway')}${path}?digest=${digestOf(blob)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-range': `${9 * MiB}-${blob.length - 1}` },
    body: last,
  });
  expect(put.status).toBe(201);
  await stack.start('gateway#2');
  await expectBlob('gateway', repository, blob);
  await expectBlob('gateway#2', repository, blob);
  // The session is gone once finished.
  expect((await fetch(`${stack.url('gateway#2')}${path}`)).status).toBe(404);
});

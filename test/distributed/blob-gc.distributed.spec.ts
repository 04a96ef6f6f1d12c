/**
 * Blob garbage collection in the distributed profile, against the real S3 server: a blob no
 * release references is deleted from the bucket once its grace period has passed (after a
 * delete, and for a blob stored by a push that never became a release); a blob that any release
 * references never is, also when two packages share it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3BlobStore } from '@wharf/adapters/blob-s3';
import { chartArchive, eventually } from '@wharf/testing';
import { DistributedStack, ROOT, sleep } from './support/distributed-stack';
import { sha256 } from './support/push-stream';

jest.setTimeout(300_000);

/** Above the commands' deadline, as the blob service requires (requireGcGraceAboveCommandDeadline). */
const GRACE_S = 7;
const DEPENDENCY_TIMEOUT_S = 5;
const runId = `g${Date.now().toString(36)}`;
const stack = new DistributedStack({
  runId,
  logDir: mkdtempSync(join(tmpdir(), `wharf-gc-${runId}-`)),
  env: {
    WHARF_BLOB_GC_INTERVAL_SECONDS: '1',
    WHARF_BLOB_GC_GRACE_SECONDS: String(GRACE_S),
    WHARF_DEPENDENCY_TIMEOUT_SECONDS: String(DEPENDENCY_TIMEOUT_S),
  },
});
let bucket: S3BlobStore;

beforeAll(async () => {
  await stack.up();
  bucket = stack.bucket();
});

afterAll(async () => {
  await bucket?.close();
  await stack.down();
});

async function send(method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(`${stack.url()}/cnr/api/v1/packages/${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

const push = (pkg: string, bytes: Buffer) =>
  send('POST', pkg, { release: '1.0.0', media_type: 'helm', blob: bytes.toString('base64') });
const inBucket = async (bytes: Buffer) => (await bucket.stat(sha256(bytes))) !== null;
/** Grace period plus two collection passes and the reference projector's lag. */
const pastGrace = () => sleep((GRACE_S + 3) * 1000);

it('should delete an unreferenced blob from S3 after the grace period, and keep a shared one until its last release goes', async () => {
  const shared = chartArchive({ name: 'shared', version: '1.0.0', salt: runId });
  const alone = chartArchive({ name: 'alone', version: '1.0.0', salt: runId });
  expect(await push('gc/one', shared)).toBe(200);
  expect(await push('gc/two', shared)).toBe(200);
  expect(await push('gc/alone', alone)).toBe(200);
  expect([await inBucket(shared), await inBucket(alone)]).toEqual([true, true]);

  expect(await send('DELETE', 'gc/one/1.0.0/helm')).toBe(200);
  expect(await send('DELETE', 'gc/alone/1.0.0/helm')).toBe(200);
  await pastGrace();
  await eventually(async () => expect(await inBucket(alone)).toBe(false), 20_000);
  expect(await inBucket(shared)).toBe(true);
  expect(await send('GET', 'gc/two/1.0.0/helm/pull')).toBe(200);

  expect(await send('DELETE', 'gc/two/1.0.0/helm')).toBe(200);
  await pastGrace();
  await eventually(async () => expect(await inBucket(shared)).toBe(false), 20_000);
});

it('should delete a blob that a push stored but that never became a release, once its grace period has passed', async () => {
  // What a push leaves when its command is refused after the upload (a lost race, a writer
  // that went away): bytes under their digest in the bucket, and no event naming them.
  const orphan = chartArchive({ name: 'orphan', version: '1.0.0', salt: runId });
  await bucket.put(orphan, sha256(orphan));
  expect(await inBucket(orphan)).toBe(true);
  await sleep(1_500);
  expect(await inBucket(orphan)).toBe(true);
  await pastGrace();
  await eventually(async () => expect(await inBucket(orphan)).toBe(false), 20_000);
});

it("should refuse to start a blob service whose grace period is not above the commands' deadline", () => {
  const started = spawnSync(
    process.execPath,
    ['-r', join(ROOT, 'scripts', 'dist-paths.js'), join(ROOT, 'dist', 'services', 'blob', 'src', 'main.js')],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        ...stack.env,
        WHARF_PROFILE: 'distributed',
        WHARF_DATA_DIR: mkdtempSync(join(tmpdir(), `wharf-gc-refused-${runId}-`)),
        WHARF_BLOB_GC_INTERVAL_SECONDS: '1',
        WHARF_BLOB_GC_GRACE_SECONDS: String(DEPENDENCY_TIMEOUT_S),
        WHARF_DEPENDENCY_TIMEOUT_SECONDS: String(DEPENDENCY_TIMEOUT_S),
      },
    },
  );
  expect({ status: started.status, stderr: started.stderr }).toEqual({
    status: 2,
    stderr: expect.stringContaining('WHARF_BLOB_GC_GRACE_SECONDS: must be above WHARF_DEPENDENCY_TIMEOUT_SECONDS (5)'),
  });
});

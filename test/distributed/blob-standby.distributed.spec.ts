/**
 * Blob replicas are active/standby (services/blob/src/blob-leadership.ts): of two blob services,
 * exactly one counts references and collects garbage (`wharf_blob_gc_active` 1, passes counted),
 * the other stands by (0, no pass). After the active one is killed with SIGKILL the other becomes
 * active within TAKEOVER_BOUND_MS and collects: a blob no release references, stored after the
 * kill, is deleted from the bucket once its grace period has passed. The killed one, started
 * again, stands by (the lease stays with its holder), and takes over when the holder is stopped.
 *
 * Only the two blob services run: they need Kafka and S3, nothing else.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3BlobStore } from '@wharf/adapters/blob-s3';
import { eventually } from '@wharf/testing';
import { DistributedStack } from './support/distributed-stack';
import { sha256 } from './support/push-stream';

jest.setTimeout(300_000);

const GRACE_S = 7;
/**
 * The lease's session (10 s) plus a rebalance, with room for two cores shared with other work:
 * an upper limit of the take-over, not a speed target.
 */
const TAKEOVER_BOUND_MS = 30_000;
const BLOBS = ['blob', 'blob#2'];

const runId = `s${Date.now().toString(36)}`;
const stack = new DistributedStack({
  runId,
  logDir: mkdtempSync(join(tmpdir(), `wharf-standby-${runId}-`)),
  env: {
    WHARF_BLOB_GC_INTERVAL_SECONDS: '1',
    WHARF_BLOB_GC_GRACE_SECONDS: String(GRACE_S),
    WHARF_DEPENDENCY_TIMEOUT_SECONDS: '5',
  },
  // No search service runs; the configuration only asks for a well-formed URL.
  overrides: { WHARF_SEARCH_URL: 'http://127.0.0.1:9' },
});
let bucket: S3BlobStore;

beforeAll(async () => {
  for (const instance of BLOBS) await stack.start(instance);
  bucket = stack.bucket();
});

afterAll(async () => {
  await bucket?.close();
  await stack.down();
});

/** Whether the instance is active, and how many collection passes it has counted. */
async function state(instance: string): Promise<{ active: number; passes: number }> {
  const text = await (await fetch(`${stack.url(instance)}/metrics`)).text();
  const active = /^wharf_blob_gc_active\{[^}]*\} (\d+)$/m.exec(text);
  const passes = [...text.matchAll(/^wharf_blob_gc_runs_total\{[^}]*\} (\d+)$/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
  return { active: Number(active?.[1] ?? Number.NaN), passes };
}

it('should count and collect on exactly one blob replica, and on the other within the bound after a kill -9', async () => {
  // Both have joined the lease's group (start waits for readiness, after the first join).
  const active = await eventually(async () => {
    const states = await Promise.all(BLOBS.map(state));
    expect(states.map((s) => s.active).sort()).toEqual([0, 1]);
    const index = states.findIndex((s) => s.active === 1);
    expect(states[index].passes).toBeGreaterThan(0);
    return BLOBS[index];
  }, 30_000);
  const standby = BLOBS.find((b) => b !== active)!;
  // A few passes later: still the same one, and the standby has run none.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect(await state(active)).toMatchObject({ active: 1 });
  expect(await state(standby)).toEqual({ active: 0, passes: 0 });

  await stack.kill(active);
  const killedAt = Date.now();
  const orphan = Buffer.from(`unreferenced ${runId}`);
  await bucket.put(orphan, sha256(orphan));
  await eventually(async () => expect((await state(standby)).active).toBe(1), TAKEOVER_BOUND_MS);
  const tookOver = Date.now() - killedAt;
  await eventually(async () => expect(await bucket.stat(sha256(orphan))).toBeNull(), (GRACE_S + 20) * 1000);
  const deleted = Date.now() - killedAt;
  expect((await state(standby)).passes).toBeGreaterThan(0);

  // The killed one again: it joins as a standby, the lease stays where it is.
  await stack.start(active);
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  expect([(await state(active)).active, (await state(standby)).active]).toEqual([0, 1]);
  // Stopped (SIGTERM), the active one leaves the group: the other takes over without a session to expire.
  const stoppedAt = Date.now();
  await stack.kill(standby, 'SIGTERM');
  await eventually(async () => expect((await state(active)).active).toBe(1), TAKEOVER_BOUND_MS);
  const handedOver = Date.now() - stoppedAt;
  process.stdout.write(
    `[blob-standby] ${standby} became active ${(tookOver / 1000).toFixed(1)} s after ${active} was killed; ` +
      `it deleted the orphan stored after the kill ${(deleted / 1000).toFixed(1)} s after the kill (grace ${GRACE_S} s); ` +
      `${active}, started again, stood by, and was active ${(handedOver / 1000).toFixed(1)} s after ${standby} was stopped\n`,
  );
});

/**
 * `/v2/` blob GETs with WHARF_PULL_REDIRECT on, in the distributed profile against the real S3
 * server: a blob GET answers 307 to a presigned URL of the bucket (the rule appr pulls follow,
 * `ArchiveReads.redirectFor`), a HEAD still answers from the gateway, and the real Helm CLI
 * follows the redirect on `helm pull oci://`, getting the very bytes pushed.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartArchive } from '@wharf/testing';
import { HelmHome, installHelm, HELM_INSTALL_TIMEOUT_MS } from '../clients/support/helm-home';
import { DistributedStack } from './support/distributed-stack';
import { sha256 } from './support/push-stream';

jest.setTimeout(300_000);

const runId = `r${Date.now().toString(36)}`;
const stack = new DistributedStack({
  runId,
  logDir: mkdtempSync(join(tmpdir(), `wharf-redirect-${runId}-`)),
  overrides: { WHARF_PULL_REDIRECT: 'true' },
});
const chart = chartArchive({ name: 'app', version: '1.2.3', salt: runId });
const layer = `sha256:${sha256(chart)}`;

beforeAll(async () => {
  installHelm();
  await stack.up();
  const pushed = await fetch(`${stack.url()}/cnr/api/v1/packages/redirect/app`, {
    method: 'POST',
    body: JSON.stringify({ release: '1.2.3', media_type: 'helm', blob: chart.toString('base64') }),
  });
  expect([pushed.status, await pushed.text()]).toEqual([200, '{"status":"ok"}']);
}, HELM_INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await stack.down();
});

it('should answer a blob GET with a redirect to the bucket, and a HEAD from the gateway', async () => {
  const path = `${stack.url()}/v2/redirect/app/blobs/${layer}`;
  const answer = await fetch(path, { redirect: 'manual' });
  await answer.arrayBuffer();
  expect(answer.status).toBe(307);
  expect(answer.headers.get('docker-content-digest')).toBe(layer);
  const location = new URL(answer.headers.get('location')!);
  expect(location.origin).toBe(new URL(stack.env.WHARF_S3_ENDPOINT!).origin);
  expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  const fromBucket = await fetch(location);
  expect(Buffer.from(await fromBucket.arrayBuffer()).equals(chart)).toBe(true);

  const head = await fetch(path, { method: 'HEAD', redirect: 'manual' });
  expect([head.status, head.headers.get('content-length')]).toEqual([200, String(chart.length)]);
});

it('should let helm pull oci:// follow the redirect and get the bytes pushed', async () => {
  const helm = new HelmHome('helm-redirect');
  const out = join(helm.dir, 'pulled');
  mkdirSync(out);
  const host = new URL(stack.url()).host;
  await helm.ok(['pull', `oci://${host}/redirect/app`, '--version', '1.2.3', '--plain-http', '-d', out]);
  expect(readFileSync(join(out, 'app-1.2.3.tgz')).equals(chart)).toBe(true);
});

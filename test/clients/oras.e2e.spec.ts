/**
 * The ORAS CLI (oras.land/oras, install.sh component `oras`) against Wharf's /v2/: `oras push`
 * of files as an artifact, `oras pull` back, `oras attach` of a referrer and `oras discover`, in
 * the open mode anonymously and in the enforced mode with credentials. Bytes and digests are
 * checked against what Wharf serves over HTTP, not only exit codes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_ADMIN, enforcedUrl } from '../support/target';
import { CACHE, CLIENTS_DIR, baseUrl, freshNamespace, runOk, sha256, tempDir } from './support/clients';

const ORAS = join(CACHE, 'bin', 'oras');
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const ARTIFACT_TYPE = 'application/vnd.wharf.test.bundle';
const SIGNATURE_TYPE = 'application/vnd.wharf.test.signature';

jest.setTimeout(120_000);

beforeAll(() => {
  execFileSync('bash', [join(CLIENTS_DIR, 'install.sh'), 'oras'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, WHARF_CLIENTS_CACHE: CACHE },
    timeout: INSTALL_TIMEOUT_MS,
  });
}, INSTALL_TIMEOUT_MS);

interface Target {
  url: string;
  /** `--username/--password` for every oras command, and Basic for the HTTP checks. */
  credentials: { username: string; password: string } | null;
}

function oras(target: Target, args: string[], cwd: string) {
  const login = target.credentials
    ? ['--username', target.credentials.username, '--password', target.credentials.password]
    : [];
  // A fresh config per run, so no login of another run is reused.
  return runOk(ORAS, [...args, '--plain-http', ...login], { cwd, env: { DOCKER_CONFIG: cwd } });
}

async function fetchBytes(target: Target, path: string): Promise<{ status: number; bytes: Buffer }> {
  const { credentials } = target;
  const headers: Record<string, string> = {
    accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json',
  };
  if (credentials)
    headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const res = await fetch(`${target.url}${path}`, { headers });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function pushPullAttachDiscover(target: Target): Promise<void> {
  const host = new URL(target.url).host;
  const repo = `${freshNamespace('oras')}/bundle`;
  const ref = `${host}/${repo}`;
  const work = tempDir('oras');
  const config = `large ${'x'.repeat(200_000)} file of ${repo}\n`;
  writeFileSync(join(work, 'readme.txt'), `hello from ${repo}\n`);
  writeFileSync(join(work, 'data.bin'), config);

  const pushed = await oras(
    target,
    ['push', `${ref}:v1`, '--artifact-type', ARTIFACT_TYPE, '--format', 'json', 'readme.txt:text/plain', 'data.bin'],
    work,
  );
  const push = JSON.parse(pushed.stdout) as { digest: string };
  const manifest = await fetchBytes(target, `/v2/${repo}/manifests/v1`);
  expect({ status: manifest.status, digest: `sha256:${sha256(manifest.bytes)}` }).toEqual({
    status: 200,
    digest: push.digest,
  });
  const layers = (JSON.parse(manifest.bytes.toString()) as { layers: { digest: string }[] }).layers;
  expect(layers.map((l) => l.digest).sort()).toEqual(
    [`sha256:${sha256(readFileSync(join(work, 'readme.txt')))}`, `sha256:${sha256(config)}`].sort(),
  );

  const out = join(work, 'pulled');
  await oras(target, ['pull', `${ref}:v1`, '-o', out], work);
  expect(sha256(readFileSync(join(out, 'readme.txt')))).toBe(sha256(readFileSync(join(work, 'readme.txt'))));
  expect(sha256(readFileSync(join(out, 'data.bin')))).toBe(sha256(config));

  writeFileSync(join(work, 'signature.txt'), `signed ${push.digest}\n`);
  const attached = await oras(
    target,
    ['attach', `${ref}:v1`, '--artifact-type', SIGNATURE_TYPE, '--format', 'json', 'signature.txt:text/plain'],
    work,
  );
  const attach = JSON.parse(attached.stdout) as { digest: string };
  const discovered = await oras(target, ['discover', `${ref}@${push.digest}`, '--format', 'json'], work);
  const referrers = JSON.parse(discovered.stdout) as {
    referrers?: { digest: string; artifactType: string }[];
    manifests?: { digest: string; artifactType: string }[];
  };
  expect((referrers.referrers ?? referrers.manifests ?? []).map((r) => [r.digest, r.artifactType])).toEqual([
    [attach.digest, SIGNATURE_TYPE],
  ]);
  const signature = await fetchBytes(target, `/v2/${repo}/manifests/${attach.digest}`);
  expect(`sha256:${sha256(signature.bytes)}`).toBe(attach.digest);
  expect(JSON.parse(signature.bytes.toString())).toMatchObject({ subject: { digest: push.digest } });
}

describe('oras CLI', () => {
  it('pushes, pulls, attaches and discovers an artifact anonymously (open mode), bytes and digests checked', async () => {
    await pushPullAttachDiscover({ url: baseUrl(), credentials: null });
  });

  it('does the same with credentials through the token flow (enforced mode)', async () => {
    await pushPullAttachDiscover({ url: enforcedUrl(), credentials: E2E_ADMIN });
  });
});

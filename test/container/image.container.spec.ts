/**
 * The service image on the local container engine (deploy/container): built with the project's
 * scripts (cached in the engine's storage outside the checkout: an unchanged checkout builds
 * nothing), run with the embedded profile on the host's network listening on 127.0.0.1 only, and
 * used as a client would. Podman from Debian here; the machine's Docker engine where it has one.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chartArchive, freePort } from '@wharf/testing';

const run = promisify(execFile);
const dir = join(__dirname, '../../deploy/container');
const container = `wharf-test-${randomBytes(4).toString('hex')}`;

/** A deploy/container script; its stdout, trimmed. */
async function script(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('bash', [join(dir, name), ...args], {
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim();
}

const engine = (...args: string[]): Promise<string> => script('engine.sh', ['cli', ...args]);

let base: string;

beforeAll(async () => {
  // A cold machine installs podman, makes the base image and builds this one: minutes.
  await script('image.sh', ['build']);
  const port = await freePort();
  await script('image.sh', ['run', container], { WHARF_PORT: String(port) });
  base = `http://127.0.0.1:${port}/cnr/api/v1/packages`;
}, 20 * 60_000);

afterAll(async () => {
  await script('image.sh', ['rm', container]);
});

it('takes a push and serves the same chart back', async () => {
  const ns = `ctr-${randomBytes(4).toString('hex')}`;
  const archive = chartArchive({ name: 'web', version: '1.0.0', salt: ns });
  const pushed = await fetch(`${base}/${ns}/web`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ release: '1.0.0', media_type: 'helm', blob: archive.toString('base64') }),
  });
  expect({ status: pushed.status, body: await pushed.json() }).toEqual({ status: 200, body: { status: 'ok' } });

  const pulled = await fetch(`${base}/${ns}/web/1.0.0/helm/pull`);
  expect(pulled.status).toBe(200);
  expect(Buffer.from(await pulled.arrayBuffer()).equals(archive)).toBe(true);
});

it('runs as a user other than root', async () => {
  expect(await engine('exec', container, 'id', '-un')).toBe('node');
  expect(await engine('exec', container, 'id', '-u')).not.toBe('0');
});

it("reports healthy through the image's own HEALTHCHECK", async () => {
  await expect(script('image.sh', ['health', container])).resolves.toBe('');
});

it('leaves no container behind once removed', async () => {
  await script('image.sh', ['rm', container]);
  expect(await engine('ps', '-a', '--filter', `name=^${container}$`, '--format', '{{.Names}}')).toBe('');
});

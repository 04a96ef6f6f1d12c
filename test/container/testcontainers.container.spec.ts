/**
 * testcontainers, the library the integration tiers would start engines with, on the local
 * engine: through podman's Docker API socket (deploy/container/engine.sh service), or the
 * machine's Docker. It starts the service image on the host's network (so all traffic stays on
 * 127.0.0.1) and waits with the image's own readiness check run inside the container.
 *
 * Ryuk, testcontainers' reaper of leftover containers, is an image pulled from Docker Hub: with
 * podman here nothing can be pulled, so it is disabled and this suite stops what it starts.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chartArchive, freePort } from '@wharf/testing';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';

const run = promisify(execFile);
const dir = join(__dirname, '../../deploy/container');

async function script(name: string, args: string[]): Promise<string> {
  const { stdout } = await run('bash', [join(dir, name), ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

let started: StartedTestContainer | undefined;
let socketWasRunning = true;
let base: string;

beforeAll(async () => {
  const image = await script('image.sh', ['build']);
  socketWasRunning = await script('engine.sh', ['service-running']).then(
    () => true,
    () => false,
  );
  // `export DOCKER_HOST=unix://…` with podman; nothing with a real Docker engine.
  const dockerHost = /DOCKER_HOST=(\S+)/.exec(await script('engine.sh', ['service']))?.[1];
  if (dockerHost) {
    process.env.DOCKER_HOST = dockerHost;
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  }
  const port = await freePort();
  const ready = `fetch('http://127.0.0.1:${port}/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  started = await new GenericContainer(image)
    .withNetworkMode('host')
    .withEnvironment({ WHARF_HOST: '127.0.0.1', WHARF_PORT: String(port), WHARF_AUTH_MODE: 'open' })
    .withWaitStrategy(Wait.forSuccessfulCommand(`node -e "${ready}"`))
    .start();
  base = `http://127.0.0.1:${port}/cnr/api/v1/packages`;
}, 20 * 60_000);

afterAll(async () => {
  await started?.stop();
  if (!socketWasRunning) await script('engine.sh', ['service-stop']);
});

it('starts the image through the Docker API and serves a pushed chart back', async () => {
  const ns = `tc-${randomBytes(4).toString('hex')}`;
  const archive = chartArchive({ name: 'api', version: '2.0.0', salt: ns });
  const pushed = await fetch(`${base}/${ns}/api`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ release: '2.0.0', media_type: 'helm', blob: archive.toString('base64') }),
  });
  expect(pushed.status).toBe(200);
  const pulled = await fetch(`${base}/${ns}/api/2.0.0/helm/pull`);
  expect(Buffer.from(await pulled.arrayBuffer()).equals(archive)).toBe(true);
});

it('removes the container when stopped', async () => {
  const id = started!.getId();
  await started!.stop();
  started = undefined;
  expect(await script('engine.sh', ['cli', 'ps', '-a', '--filter', `id=${id}`, '--format', '{{.ID}}'])).toBe('');
});

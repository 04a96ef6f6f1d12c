/**
 * The distributed stack in containers (docker-compose.local.yml, deploy/container/compose.sh):
 * brought up on the local engine on free ports of 127.0.0.1, used through its gateway, checked
 * by a black-box e2e suite run unchanged against it, and removed by `down` without a container,
 * volume or network left behind. The stack's gateway is opened (WHARF_COMPOSE_AUTH_MODE=open)
 * because the protocol suites talk to an open registry (test/support/target.ts).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chartArchive, freePort } from '@wharf/testing';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');
const compose = join(ROOT, 'deploy/container/compose.sh');
/** The black-box suite run against the stack, as it runs against the other profiles. */
const SUITE = 'test/e2e/appr-api.e2e.spec.ts';

const project = `wharf-ctr-${randomBytes(4).toString('hex')}`;
let env: NodeJS.ProcessEnv;
let gateway: string;
let up = false;

async function stack(...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [compose, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

beforeAll(async () => {
  const [g, kafka, mongo, s3, opensearch] = await Promise.all([1, 2, 3, 4, 5].map(() => freePort()));
  env = {
    ...process.env,
    WHARF_COMPOSE_PROJECT: project,
    WHARF_COMPOSE_AUTH_MODE: 'open',
    WHARF_COMPOSE_GATEWAY_PORT: String(g),
    WHARF_COMPOSE_KAFKA_PORT: String(kafka),
    WHARF_COMPOSE_MONGO_PORT: String(mongo),
    WHARF_COMPOSE_S3_PORT: String(s3),
    WHARF_COMPOSE_OPENSEARCH_PORT: String(opensearch),
    WHARF_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
    WHARF_WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
    WHARF_REGISTRY_TOKEN_KEY: randomBytes(32).toString('base64'),
  };
  gateway = `http://127.0.0.1:${g}`;
  up = true;
  // A cold machine makes the base, the service image and the engines' images first: minutes.
  await stack('up');
}, 40 * 60_000);

afterAll(async () => {
  if (up) await stack('down');
}, 5 * 60_000);

it('takes a push through its gateway and serves the same chart back', async () => {
  const ns = `compose-${randomBytes(4).toString('hex')}`;
  const archive = chartArchive({ name: 'app', version: '1.0.0', salt: ns });
  const pushed = await fetch(`${gateway}/cnr/api/v1/packages/${ns}/app`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ release: '1.0.0', media_type: 'helm', blob: archive.toString('base64') }),
  });
  expect({ status: pushed.status, body: await pushed.json() }).toEqual({ status: 200, body: { status: 'ok' } });
  const pulled = await fetch(`${gateway}/cnr/api/v1/packages/${ns}/app/1.0.0/helm/pull`);
  expect(pulled.status).toBe(200);
  expect(Buffer.from(await pulled.arrayBuffer()).equals(archive)).toBe(true);
});

it(
  `passes ${SUITE} unchanged against its gateway`,
  async () => {
    // The e2e globalSetup starts nothing when WHARF_URL is given and no distributed service URL is.
    const suiteEnv: NodeJS.ProcessEnv = { ...process.env, WHARF_URL: gateway };
    for (const key of ['WHARF_SEARCH_URL', 'WHARF_ENFORCED_URL']) delete suiteEnv[key];
    const jest = join(ROOT, 'node_modules/jest/bin/jest.js');
    const result = await run(process.execPath, [jest, SUITE, '--selectProjects', 'e2e', '--ci'], {
      cwd: ROOT,
      env: suiteEnv,
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      ({ stderr }) => ({ code: 0, out: stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, out: e.stderr }),
    );
    const summary = /^Tests:.*$/m.exec(result.out)?.[0];
    const failed = result.out.split('\n').filter((line) => line.startsWith('  ● '));
    expect({ code: result.code, summary, failed }).toEqual({
      code: 0,
      failed: [],
      summary: expect.stringMatching(/^Tests: +\d+ passed, \d+ total$/),
    });
  },
  10 * 60_000,
);

const engine = async (...args: string[]): Promise<string> =>
  (await run('bash', [join(ROOT, 'deploy/container/engine.sh'), 'cli', ...args], { env })).stdout.trim();

/** The host pid of a compose service's container and how often its engine restarted it. */
async function containerState(service: string): Promise<{ pid: number; restarts: number }> {
  const id = await engine(
    'ps',
    '-a',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
    '--format',
    '{{.ID}}',
  );
  const [pid, restarts] = (await engine('inspect', '-f', '{{.State.Pid}} {{.RestartCount}}', id))
    .split(' ')
    .map(Number);
  return { pid: pid!, restarts: restarts! };
}

it(
  'restarts a killed service container by its restart policy; every acknowledged push is readable once',
  async () => {
    const ns = `fault-${randomBytes(4).toString('hex')}`;
    const releases = Array.from({ length: 24 }, (_, i) => `1.0.${i}`);
    const archives = new Map(releases.map((r) => [r, chartArchive({ name: 'app', version: r, salt: ns })]));
    const before = await containerState('metadata');
    const acknowledged: string[] = [];
    for (const [i, release] of releases.entries()) {
      // The metadata service (the writer) dies as in a crash, SIGKILL from outside, mid-stream.
      if (i === 6) process.kill(before.pid, 'SIGKILL');
      // A push that got no answer is sent again until answered: 200 (taken now) or 409 (an earlier,
      // unanswered attempt was taken). Either way the release must then exist exactly once.
      // Bounded so that a service that never comes back fails here rather than at jest's timeout.
      const giveUp = Date.now() + 5 * 60_000;
      for (;;) {
        const status = await fetch(`${gateway}/cnr/api/v1/packages/${ns}/app`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ release, media_type: 'helm', blob: archives.get(release)!.toString('base64') }),
          signal: AbortSignal.timeout(30_000),
        }).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) acknowledged.push(release);
        if (status === 200 || status === 409) break;
        if (Date.now() > giveUp) throw new Error(`push of ${release} not taken in 5 minutes (last status ${status})`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
    const after = await containerState('metadata');
    expect(after.restarts).toBeGreaterThan(before.restarts);
    expect(after.pid).not.toBe(before.pid);
    expect(acknowledged.length).toBeGreaterThan(0);

    for (const release of acknowledged) {
      const pulled = await fetch(`${gateway}/cnr/api/v1/packages/${ns}/app/${release}/helm/pull`);
      expect({ release, status: pulled.status }).toEqual({ release, status: 200 });
      expect(Buffer.from(await pulled.arrayBuffer()).equals(archives.get(release)!)).toBe(true);
    }
    const listed = (await (await fetch(`${gateway}/cnr/api/v1/packages/${ns}/app`)).json()) as { release: string }[];
    expect(listed.map((m) => m.release).sort()).toEqual([...releases].sort());
  },
  15 * 60_000,
);

it(
  'leaves no container, volume or network behind once down',
  async () => {
    // What `left` reports while the stack runs (podman-compose names containers
    // <project>_<service>_1, docker compose <project>-<service>-1).
    const services = ['kafka', 'mongo', 's3', 'opensearch', 'metadata', 'search', 'blob', 'webhooks', 'gateway'];
    const running = (await stack('left'))
      .split('\n')
      .map((n) => n.replace(new RegExp(`^${project}-(.+)-1$`), `${project}_$1_1`));
    expect(running.sort()).toEqual(
      [
        ...services.map((service) => `${project}_${service}_1`),
        ...['mongo-data', 's3-data', 'opensearch-data', 'default'].map((v) => `${project}_${v}`),
      ].sort(),
    );
    await stack('down');
    up = false;
    expect(await stack('left')).toBe('');
  },
  5 * 60_000,
);

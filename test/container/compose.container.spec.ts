/**
 * The distributed stack in containers (docker-compose.local.yml, deploy/container/compose.sh):
 * brought up on the local engine on free ports of 127.0.0.1, used through its gateway, checked
 * by the black-box e2e suites run unchanged against it, and removed by `down` without a container,
 * volume or network left behind. The stack's gateway is opened (WHARF_COMPOSE_AUTH_MODE=open)
 * because the protocol suites talk to an open registry (test/support/target.ts); a second gateway
 * with authentication enforced (compose.enforced.yml) serves the access suites and the runs with
 * credentials (WHARF_ENFORCED_URL), as the e2e setup's second gateway does for deploy/local's stack.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chartArchive, freePort } from '@wharf/testing';
import { E2E_ADMIN } from '../support/target';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');
const compose = join(ROOT, 'deploy/container/compose.sh');

/**
 * The black-box suites run against the stack, unchanged, as scripts/test.sh runs them against the
 * distributed profile: every file of test/e2e (the HTTP API, access, security, OCI), then every
 * file of test/clients (real clients) but the three that start an embedded Wharf of their own
 * and never talk to the gateway under test (EMBEDDED_ONLY). test/embedded starts processes of its
 * own and test/deploy a Kubernetes API server: they are not run either.
 * Two passes of two workers each, one after the other: test/e2e's suites check that refused writes
 * change nothing registry-wide, under a lock their HTTP client takes for every write across
 * workers; the clients write through their own tools, outside that lock, so never beside them.
 */
const EMBEDDED_ONLY = [
  // `wharf import` from a cnr-server and from ChartMuseum (its directory, its S3 bucket) into an embedded data directory.
  'cnr-import.e2e.spec.ts',
  'chartmuseum-import.e2e.spec.ts',
  'chartmuseum-s3-import.e2e.spec.ts',
  // The appr API fuzzed against an embedded, enforced Wharf with a fixed seed.
  'schemathesis.e2e.spec.ts',
];
/**
 * Tests left out by name: the wrong-password limit's, which assume that ten password checks and a
 * hundred and ten refusals take less than one refill of the budget (6 s at the default 10 a
 * minute); the gateway's container on a busy 2-core machine hashes slower, and a refilled guess
 * answers 401 where they expect 429. They run against the other profiles.
 */
const TIMING_BOUND = ['the wrong-password limit'];
const PASSES: { name: string; path: string; ignore: string[]; leaveOut: string[] }[] = [
  { name: 'e2e', path: 'test/e2e/', ignore: [], leaveOut: TIMING_BOUND },
  {
    name: 'clients',
    path: 'test/clients/',
    ignore: EMBEDDED_ONLY.map((file) => `/test/clients/${file}$`),
    leaveOut: [],
  },
];

/**
 * The stack's compose project and host ports: free ones of the machine's, unless given (a shared
 * machine where each run keeps to its own names and ports): WHARF_COMPOSE_PROJECT and the
 * WHARF_COMPOSE_*_PORT variables compose.sh reads.
 */
const project = process.env.WHARF_COMPOSE_PROJECT || `wharf-ctr-${randomBytes(4).toString('hex')}`;
const PORT_VARIABLES = ['GATEWAY', 'ENFORCED', 'KAFKA', 'MONGO', 'S3', 'OPENSEARCH'].map(
  (p) => `WHARF_COMPOSE_${p}_PORT`,
);
let env: NodeJS.ProcessEnv;
let gateway: string;
let enforcedGateway: string;
let up = false;

async function stack(...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [compose, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

beforeAll(async () => {
  const [g, enforced, kafka, mongo, s3, opensearch] = await Promise.all(
    PORT_VARIABLES.map(async (name) => (process.env[name] ? Number(process.env[name]) : freePort())),
  );
  env = {
    ...process.env,
    WHARF_COMPOSE_PROJECT: project,
    WHARF_COMPOSE_OVERRIDE: join(__dirname, 'compose.enforced.yml'),
    WHARF_COMPOSE_AUTH_MODE: 'open',
    WHARF_COMPOSE_GATEWAY_PORT: String(g),
    WHARF_COMPOSE_ENFORCED_PORT: String(enforced),
    WHARF_COMPOSE_KAFKA_PORT: String(kafka),
    WHARF_COMPOSE_MONGO_PORT: String(mongo),
    WHARF_COMPOSE_S3_PORT: String(s3),
    WHARF_COMPOSE_OPENSEARCH_PORT: String(opensearch),
    // The site admin the access suites log in as (test/support/target.ts).
    WHARF_ADMIN_USERNAME: E2E_ADMIN.username,
    WHARF_ADMIN_PASSWORD: E2E_ADMIN.password,
    WHARF_WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
    WHARF_REGISTRY_TOKEN_KEY: randomBytes(32).toString('base64'),
  };
  gateway = `http://127.0.0.1:${g}`;
  enforcedGateway = `http://127.0.0.1:${enforced}`;
  up = true;
  // A cold machine makes the base, the service image and the engines' images first: minutes.
  await stack('up');
  // compose.sh waits for the first gateway's /readyz; the second, enforced one starts beside it.
  await ready(`${enforcedGateway}/readyz`, 'gateway-enforced');
  // The suites' registry-wide counts walk the bucket (blob-census.ts), which may answer 503 while
  // the stack's S3 is still coming up.
  await ready(`${gateway}/_wharf/stats?fresh=true`, 'gateway');
}, 40 * 60_000);

/** Waits (3 minutes at most) for `url` to answer 200; fails with the end of `service`'s log otherwise. */
async function ready(url: string, service: string): Promise<void> {
  const giveUp = Date.now() + 3 * 60_000;
  for (;;) {
    const status = await fetch(url, { signal: AbortSignal.timeout(30_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > giveUp) {
      const log = await stack('cli', 'logs', service).catch((error: unknown) => String(error));
      throw new Error(`${service} not ready in 3 minutes (last status ${status}); its log ends:\n${log.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

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
  // The stack's first push (topics made, consumers joining) may take longer than jest's default.
}, 60_000);

interface JestReport {
  numPassedTests: number;
  testResults: {
    name: string;
    message: string;
    assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
  }[];
}

/** Runs one pass of the suites against the stack's gateways; its files, and what failed (a file that did not run, by its message). */
async function suites(pass: (typeof PASSES)[number]): Promise<{ files: string[]; failed: string[]; passed: number }> {
  // The e2e globalSetup starts nothing when both gateways are given.
  const suiteEnv: NodeJS.ProcessEnv = { ...process.env, WHARF_URL: gateway, WHARF_ENFORCED_URL: enforcedGateway };
  delete suiteEnv.WHARF_SEARCH_URL;
  const out = join(mkdtempSync(join(tmpdir(), 'wharf-compose-e2e-')), 'report.json');
  const jest = join(ROOT, 'node_modules/jest/bin/jest.js');
  const args = [jest, join(ROOT, pass.path), '--selectProjects', 'e2e', '--ci', '--maxWorkers', '2'];
  args.push('--json', '--outputFile', out);
  if (pass.ignore.length > 0) args.push('--testPathIgnorePatterns', ...pass.ignore);
  if (pass.leaveOut.length > 0) args.push('--testNamePattern', `^(?!(${pass.leaveOut.join('|')}) )`);
  await run(process.execPath, args, { cwd: ROOT, env: suiteEnv, maxBuffer: 256 * 1024 * 1024 }).catch(() => null);
  const report = JSON.parse(readFileSync(out, 'utf8')) as JestReport;
  return {
    files: report.testResults.map((r) => r.name.slice(ROOT.length + 1)).sort(),
    failed: report.testResults.flatMap((r) => [
      ...r.assertionResults
        .filter((a) => a.status === 'failed')
        .map((a) => `${r.name}: ${a.fullName}\n${a.failureMessages.join('\n').slice(0, 2000)}`),
      ...(r.assertionResults.length === 0 ? [`${r.name}: ${r.message.slice(0, 2000)}`] : []),
    ]),
    passed: report.numPassedTests,
  };
}

for (const pass of PASSES) {
  it(
    `passes the ${pass.name} suites unchanged against its gateways`,
    async () => {
      const result = await suites(pass);
      expect({ failed: result.failed, ran: result.files.length > 0 && result.passed > 0 }).toEqual({
        failed: [],
        ran: true,
      });
      console.log(`${pass.name}: ${result.passed} tests passed in ${result.files.join(', ')}`);
    },
    30 * 60_000,
  );
}

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
    const services = [
      ...['kafka', 'mongo', 's3', 'opensearch', 'metadata', 'search', 'blob', 'webhooks', 'gateway'],
      'gateway-enforced',
    ];
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

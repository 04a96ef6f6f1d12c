/**
 * A dependency that is down makes the gateway answer 503 service-unavailable with Retry-After and
 * the API's JSON error body, within a bounded time, never a hang and never a 500. Reads of
 * packages, charts and tarballs do not depend on the metadata or blob service at all: the gateway
 * reads the projections from MongoDB and the tarballs from S3, and stores tarballs in S3 itself.
 * The compiled gateway and metadata service run as processes of their own on the real engines;
 * the metadata service is killed (SIGKILL) and started again, the search service is a closed
 * port, no blob service runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { chartArchive, deleteKafkaPrefix, eventually, freePort, uniqueName } from '@wharf/testing';
import { ROOT, WharfProcess, startWharf } from '../support/wharf-process';

const BOUND_MS = 5_000;

describe('a dependency outage, seen through the gateway', () => {
  const run = uniqueName('o');
  let dataDir: string;
  let env: Record<string, string>;
  let metadataPort: number;
  let metadata: WharfProcess | undefined;
  let gateway: WharfProcess | undefined;

  const startMetadata = () =>
    startWharf(
      { ...env, WHARF_PORT: String(metadataPort), WHARF_DATA_DIR: join(dataDir, 'metadata') },
      120_000,
      'metadata',
    );

  beforeAll(async () => {
    // The compiled services (the e2e tier builds them too); type errors elsewhere do not stop the emit.
    spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
      { stdio: 'ignore' },
    );
    if (!existsSync(join(ROOT, 'dist', 'services', 'gateway', 'src', 'main.js')))
      throw new Error('the build produced no gateway');
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-outage-'));
    metadataPort = await freePort();
    env = {
      WHARF_PROFILE: 'distributed',
      WHARF_AUTH_MODE: 'open',
      WHARF_KAFKA_BROKERS: process.env.WHARF_KAFKA_BROKERS!,
      WHARF_KAFKA_TOPIC_PREFIX: `${run}.`,
      WHARF_KAFKA_PARTITIONS: '2',
      WHARF_MONGO_URL: process.env.WHARF_MONGO_URL!,
      WHARF_MONGO_DATABASE: `wharf_${run}`,
      WHARF_S3_ENDPOINT: process.env.WHARF_S3_ENDPOINT!,
      WHARF_S3_REGION: process.env.WHARF_S3_REGION!,
      WHARF_S3_ACCESS_KEY_ID: process.env.WHARF_S3_ACCESS_KEY_ID!,
      WHARF_S3_SECRET_ACCESS_KEY: process.env.WHARF_S3_SECRET_ACCESS_KEY!,
      WHARF_S3_BUCKET: `wharf-${run}`,
      // Nothing listens there.
      WHARF_SEARCH_URL: `http://127.0.0.1:${await freePort()}`,
      WHARF_DEPENDENCY_TIMEOUT_SECONDS: '3',
    };
    metadata = await startMetadata();
    gateway = await startWharf({ ...env, WHARF_DATA_DIR: join(dataDir, 'gateway') }, 120_000, 'gateway');
  }, 300_000);

  afterAll(async () => {
    await gateway?.kill();
    await metadata?.kill();
    const mongo = await new MongoClient(process.env.WHARF_MONGO_URL!).connect();
    await mongo.db(`wharf_${run}`).dropDatabase();
    await mongo.close();
    await deleteKafkaPrefix(process.env.WHARF_KAFKA_BROKERS!.split(','), `${run}.`);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A request, timed. */
  async function call(method: string, path: string, body?: unknown) {
    const started = Date.now();
    const res = await fetch(`${gateway!.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, ms: Date.now() - started };
  }

  async function expectUnavailable(method: string, path: string, body?: unknown) {
    const res = await call(method, path, body);
    expect({ path, status: res.status }).toEqual({ path, status: 503 });
    expect(res.ms).toBeLessThan(BOUND_MS);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const error = JSON.parse(res.text);
    expect(error).toMatchObject({ code: 'service-unavailable', error: { code: 'service-unavailable' } });
    expect(res.text).not.toMatch(/ECONNREFUSED|at .*\.js:\d+|127\.0\.0\.1/);
  }

  const archive = (version: string) => chartArchive({ name: 'app', version });
  const push = (version: string) =>
    call('POST', '/cnr/api/v1/packages/ns/app', {
      release: version,
      media_type: 'helm',
      blob: archive(version).toString('base64'),
    });

  it('should answer 503 with Retry-After at once for a search service that is down, and push without any blob service', async () => {
    await expectUnavailable('GET', '/cnr/api/v1/packages/search?q=app');

    expect((await push('1.0.0')).status).toBe(200);
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it('should serve packages, charts and tarballs with the metadata service down, refuse pushes with 503, and take them again once it is back', async () => {
    await metadata?.kill('SIGKILL');
    metadata = undefined;

    expect((await call('GET', '/cnr/api/v1/packages?namespace=ns')).text).toContain('ns/app');
    expect((await call('GET', '/cnr/api/v1/packages/ns/app/1.0.0/helm')).status).toBe(200);
    const pulled = await fetch(`${gateway!.url}/cnr/api/v1/packages/ns/app/1.0.0/helm/pull`);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(archive('1.0.0'))).toBe(true);
    expect((await call('GET', '/helm/ns/index.yaml')).text).toMatch(/version: 1\.0\.0/);
    expect((await call('GET', '/readyz')).status).toBe(200);
    // No writer takes the command: 503 once the reply times out (WHARF_DEPENDENCY_TIMEOUT_SECONDS).
    await expectUnavailable('POST', '/cnr/api/v1/packages/ns/app', {
      release: '2.0.0',
      media_type: 'helm',
      blob: archive('2.0.0').toString('base64'),
    });

    metadata = await startMetadata();

    // The refused command expired unapplied: the same push is new, not a duplicate.
    await eventually(async () => expect((await push('2.0.0')).status).toBe(200), 60_000);
    expect((await call('GET', '/cnr/api/v1/packages/ns/app')).text).toContain('2.0.0');
  }, 180_000);
});

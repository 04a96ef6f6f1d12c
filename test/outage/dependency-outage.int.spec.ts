/**
 * A dependency that is down makes the gateway answer 503 service-unavailable with Retry-After and
 * the API's JSON error body, within a bounded time, never a hang and never a 500. Reads of
 * packages and charts do not depend on the metadata service at all: the gateway reads its
 * projections from MongoDB. The compiled gateway and metadata service run as processes of their
 * own on the real engines; the metadata service is killed (SIGKILL), the search and blob
 * services are closed ports.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { chartArchive, deleteKafkaPrefix, freePort, uniqueName } from '@wharf/testing';
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
      // Nothing listens there.
      WHARF_SEARCH_URL: `http://127.0.0.1:${await freePort()}`,
      WHARF_BLOB_URL: `http://127.0.0.1:${await freePort()}`,
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

  it('should answer 503 with Retry-After at once for the services that are down', async () => {
    expect((await call('GET', '/cnr/api/v1/packages')).status).toBe(200);
    await expectUnavailable('GET', '/cnr/api/v1/packages/search?q=app');
    const blob = chartArchive({ name: 'app', version: '1.0.0' }).toString('base64');
    // A valid push gets as far as storing the blob, whose service is down.
    await expectUnavailable('POST', '/cnr/api/v1/packages/ns/app', { release: '1.0.0', media_type: 'helm', blob });
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it('should answer reads of packages and charts with the metadata service down (they go to MongoDB)', async () => {
    await metadata?.kill('SIGKILL');
    metadata = undefined;

    expect((await call('GET', '/cnr/api/v1/packages')).status).toBe(200);
    expect((await call('GET', '/cnr/api/v1/packages/ns/app')).status).toBe(404);
    expect((await call('GET', '/cnr/api/v1/packages/ns/app/1.0.0/helm')).status).toBe(404);
    expect((await call('GET', '/cnr/api/v1/packages?namespace=ns')).status).toBe(200);
    const index = await call('GET', '/helm/ns/index.yaml');
    expect({ status: index.status, apiVersion: /apiVersion: v1/.test(index.text) }).toEqual({
      status: 200,
      apiVersion: true,
    });
    expect((await call('GET', '/readyz')).status).toBe(200);
  });
});

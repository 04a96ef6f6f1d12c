/**
 * `npm run import` into a running distributed stack: the releases go to the metadata service's
 * writers over the command bus and their blobs to S3, and the services fold them as they fold
 * pushes: read back through the gateway (list, pull bytes, search, the Helm index). An import
 * killed mid-way and run again leaves every release exactly once in the events topic, and every
 * engine agrees with the log.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoAccountStore } from '@wharf/adapters/account-store-mongo';
import { chartArchive, eventually } from '@wharf/testing';
import { report, runTool } from '../support/tool-process';
import { DistributedStack } from './support/distributed-stack';
import { expectEnginesAgreeWithLog } from './support/log-checks';
import { sha256 } from './support/push-stream';

jest.setTimeout(300_000);

const runId = `i${Date.now().toString(36)}`;
const work = mkdtempSync(join(tmpdir(), `wharf-import-${runId}-`));
const stack = new DistributedStack({ runId, logDir: join(work, 'logs') });
const NS = `imp${runId}`;
const PACKAGES = ['alpha', 'beta', 'gamma'];
const PER_PACKAGE = 400;

beforeAll(() => stack.up());
afterAll(() => stack.down());

const get = (path: string) => fetch(`${stack.url()}${path}`);

it('should import a directory of charts through the writers, once even when killed mid-way, and serve every release through the gateway', async () => {
  const charts = join(work, 'charts');
  mkdirSync(charts);
  const archives = new Map<string, Buffer>();
  for (let i = 0; i < PER_PACKAGE * PACKAGES.length; i++) {
    const name = PACKAGES[i % PACKAGES.length]!;
    const version = `1.${Math.floor(i / PACKAGES.length)}.0`;
    const bytes = chartArchive({ name, version, salt: runId, description: `${name} imported chart` });
    archives.set(`${name}@${version}`, bytes);
    writeFileSync(join(charts, `${name}-${version}.tgz`), bytes);
  }
  writeFileSync(join(charts, 'corrupt.tgz'), Buffer.from('not a gzip stream'));
  const env = { ...stack.env, WHARF_PROFILE: 'distributed', WHARF_LOG_LEVEL: 'warn', WHARF_DATA_DIR: work };
  const args = ['--charts', charts, '--namespace', NS];
  const total = archives.size;

  const killed = await runTool('import', args, env, (line) => {
    if (!line.startsWith('{"progress"')) return false;
    const { progress } = JSON.parse(line) as { progress: { imported: number } };
    return progress.imported > 0 && progress.imported < total;
  });
  expect(killed.signal).toBe('SIGKILL');
  const again = await runTool('import', args, env);

  expect(again.code).toBe(1); // the corrupt chart, reported and skipped
  expect(again.stderr).toContain('corrupt.tgz');
  const second = report(again);
  expect(second.skipped).toBeGreaterThan(0);
  expect(second.imported + second.skipped).toBe(total);
  expect(second.failed).toBe(1);

  const list = (await (await get(`/cnr/api/v1/packages?namespace=${NS}`)).json()) as {
    name: string;
    releases: string[];
  }[];
  expect(list.map((p) => [p.name, p.releases.length])).toEqual(PACKAGES.map((p) => [`${NS}/${p}`, PER_PACKAGE]));
  for (const key of ['alpha@1.0.0', 'beta@1.200.0', `gamma@1.${PER_PACKAGE - 1}.0`]) {
    const [name, version] = key.split('@') as [string, string];
    const pulled = Buffer.from(
      await (await get(`/cnr/api/v1/packages/${NS}/${name}/${version}/helm/pull`)).arrayBuffer(),
    );
    expect(sha256(pulled)).toBe(sha256(archives.get(key)!));
  }
  const index = await (await get(`/helm/${NS}/index.yaml`)).text();
  expect(index.match(/^ {6}version: /gm)).toHaveLength(total);
  expect(index).toContain(`digest: ${sha256(archives.get('alpha@1.0.0')!)}`);
  await eventually(async () => {
    const found = (await (await get(`/cnr/api/v1/packages/search?q=beta`)).json()) as string[];
    expect(found).toContain(`${NS}/beta`);
  }, 30_000);

  // Exactly once in the events topic; MongoDB and OpenSearch equal to the fold of the log.
  const { eventCount } = await expectEnginesAgreeWithLog(stack, {
    brokers: stack.env.WHARF_KAFKA_BROKERS!.split(','),
    acknowledged: [...archives.keys()].map((key) => {
      const [name, release] = key.split('@') as [string, string];
      return { pkg: `${NS}/${name}`, release };
    }),
    searchWithinMs: 60_000,
    noDeadLetters: true,
  });
  expect(eventCount).toBe(total);
});

it('should verify the engines against the log, and write accounts to MongoDB (wharf, distributed)', async () => {
  const env = { ...stack.env, WHARF_PROFILE: 'distributed', WHARF_LOG_LEVEL: 'warn', WHARF_DATA_DIR: work };
  const verified = await runTool('verify', [], env);
  expect([verified.code, verified.stdout]).toEqual([0, expect.stringContaining('"ok":true')]);
  expect(JSON.parse(verified.stdout)).toMatchObject({
    profile: 'distributed',
    ok: true,
    packages: PACKAGES.length,
    blobsChecked: PER_PACKAGE * PACKAGES.length,
  });

  const user = `u${runId}`;
  const created = await runTool('users', ['create', user], env, undefined, 'a-long-enough-password\n');
  expect(created.code).toBe(0);
  const taken = await runTool('users', ['create', user], env, undefined, 'a-long-enough-password\n');
  expect([taken.code, taken.stderr]).toEqual([1, `wharf: account-exists: the name '${user}' is already taken\n`]);
  expect((await runTool('limits', ['set', user, '--max-blob-bytes', '1000'], env)).code).toBe(0);
  const shown = await runTool('limits', ['show', user], env);
  expect(JSON.parse(shown.stdout)).toMatchObject({ namespace: user, limits: { max_blob_bytes: 1000 } });
  // In the gateways' account store, with its audit trail.
  const accounts = await MongoAccountStore.connect({
    url: stack.env.WHARF_MONGO_URL!,
    database: stack.env.WHARF_MONGO_DATABASE!,
  });
  try {
    const history = await accounts.history(user, { limit: 10 });
    expect(history.map((e) => [e.type, e.actor])).toEqual([
      ['NamespaceLimitsSet', '-'],
      ['UserRegistered', '-'],
    ]);
  } finally {
    await accounts.close();
  }
});

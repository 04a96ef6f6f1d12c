/**
 * Migration from a real ChartMuseum (v0.16.3, install.sh's `chartmuseum`) whose storage is an S3
 * bucket (`--storage amazon`, a prefix, `--depth 1`) on the local S3 engine (versitygw), fed by
 * the real `helm cm-push` and by its upload API (a signed chart with its .prov). Then `wharf
 * import --from-chartmuseum s3://<bucket>/<prefix> --depth 1` (the compiled CLI, as a process,
 * credentials from the AWS variables) into an embedded data directory, twice (the second run
 * changes nothing), a corrupt object in the bucket reported and skipped; the embedded server is
 * started on the directory and the real helm pulls every chart from Wharf, compared byte for
 * byte with what ChartMuseum serves, provenance included.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { eventually, freePort } from '@wharf/testing';
import {
  BackendEndpoints,
  releaseBackendEndpoints,
  resolveBackendEndpoints,
} from '../../libs/testing/src/backends/backend-endpoints';
import { ToolRun, report, runTool } from '../support/tool-process';
import { WharfProcess, startWharf } from '../support/wharf-process';
import { CACHE, ensureInstalled, sha256, tempDir } from './support/clients';
import { HELM_INSTALL_TIMEOUT_MS, HelmHome, signingKey } from './support/helm-home';

const CHARTMUSEUM = join(CACHE, 'bin', 'chartmuseum');
const bucket = `cm-import-${randomBytes(4).toString('hex')}`;
const prefix = 'charts/museum';
let backends: BackendEndpoints;
let s3: S3Client;

beforeAll(async () => {
  ensureInstalled('helm', 'chartmuseum');
  backends = await resolveBackendEndpoints();
  s3 = new S3Client({
    endpoint: backends.s3.endpoint,
    region: backends.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: backends.s3.accessKeyId, secretAccessKey: backends.s3.secretAccessKey },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}, HELM_INSTALL_TIMEOUT_MS);

afterAll(async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const objects = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
  if (objects.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  s3.destroy();
  await releaseBackendEndpoints();
});

describe('wharf import from a real ChartMuseum on S3', () => {
  let cm: ReturnType<typeof spawn> | undefined;
  let wharf: WharfProcess | undefined;

  afterEach(async () => {
    cm?.kill('SIGKILL');
    await wharf?.kill('SIGKILL');
  });

  it('imports its bucket, under a prefix, once; helm pulls the same bytes and provenance from Wharf', async () => {
    const aws = {
      AWS_ACCESS_KEY_ID: backends.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: backends.s3.secretAccessKey,
      AWS_REGION: backends.s3.region,
    };
    const port = await freePort();
    cm = spawn(
      CHARTMUSEUM,
      [
        '--port',
        String(port),
        '--listen-host',
        '127.0.0.1',
        '--storage',
        'amazon',
        '--storage-amazon-bucket',
        bucket,
        '--storage-amazon-prefix',
        prefix,
        '--storage-amazon-region',
        backends.s3.region,
        '--storage-amazon-endpoint',
        backends.s3.endpoint,
        '--storage-amazon-force-path-style',
        'true',
        '--depth',
        '1',
      ],
      { env: { ...process.env, ...aws }, stdio: 'ignore' },
    );
    const cmUrl = `http://127.0.0.1:${port}`;
    await eventually(async () => expect((await fetch(`${cmUrl}/health`)).status).toBe(200), 20_000);

    const helm = new HelmHome();
    const key = signingKey(helm.dir);
    await helm.repoAdd('team-a', `${cmUrl}/team-a`);
    await helm.repoAdd('team-b', `${cmUrl}/team-b`);
    for (const version of ['1.0.0', '1.1.0-rc.1'])
      await helm.ok(['cm-push', await helm.packageChart('web', version), 'team-a']);
    await helm.ok(['cm-push', await helm.packageChart('db', '2.0.0'), 'team-b']);
    const signed = await helm.packageChart('signed', '0.1.0', { sign: key });
    const form = new FormData();
    form.append('chart', new Blob([readFileSync(signed)]), 'signed-0.1.0.tgz');
    form.append('prov', new Blob([readFileSync(`${signed}.prov`)]), 'signed-0.1.0.tgz.prov');
    expect((await fetch(`${cmUrl}/api/team-a/charts`, { method: 'POST', body: form })).status).toBe(201);
    // The layout is ChartMuseum's, in the bucket under its prefix: nothing else wrote there.
    const stored = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(
      (stored.Contents ?? [])
        .map((o) => o.Key)
        .filter((k) => k!.endsWith('.tgz'))
        .sort(),
    ).toEqual([
      `${prefix}/team-a/signed-0.1.0.tgz`,
      `${prefix}/team-a/web-1.0.0.tgz`,
      `${prefix}/team-a/web-1.1.0-rc.1.tgz`,
      `${prefix}/team-b/db-2.0.0.tgz`,
    ]);
    // What ChartMuseum never indexes but a bucket may hold: reported and skipped.
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/team-b/corrupt-1.0.0.tgz`, Body: 'not a gzip stream' }),
    );

    const data = join(tempDir('cm-s3-import'), 'data');
    const args = [
      '--from-chartmuseum',
      `s3://${bucket}/${prefix}`,
      '--depth',
      '1',
      '--s3-endpoint',
      backends.s3.endpoint,
    ];
    const importInto = (): Promise<ToolRun> =>
      runTool('import', args, { ...aws, WHARF_DATA_DIR: data, WHARF_PROFILE: 'embedded', WHARF_LOG_LEVEL: 'warn' });
    const first = await importInto();
    expect(report(first)).toMatchObject({ imported: 4, skipped: 0, failed: 1, conflicts: 0 });
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(`s3://${bucket}/${prefix}/team-b/corrupt-1.0.0.tgz`);
    expect(first.stderr).not.toContain(backends.s3.secretAccessKey);
    const again = await importInto();
    expect(report(again)).toMatchObject({ imported: 0, skipped: 4, failed: 1, conflicts: 0 });

    wharf = await startWharf({ WHARF_DATA_DIR: data });
    await helm.repoAdd('wharf-a', `${wharf.url}/helm/team-a`);
    await helm.repoAdd('wharf-b', `${wharf.url}/helm/team-b`);
    await helm.ok(['repo', 'update']);
    const pull = async (repo: string, chart: string, version: string) => {
      const out = join(helm.dir, 'pulled', repo, `${chart}-${version}`);
      mkdirSync(out, { recursive: true });
      await helm.ok(['pull', `${repo}/${chart}`, '--version', version, '--prov', '-d', out]);
      return out;
    };
    for (const [repo, chart, version] of [
      ['team-a', 'web', '1.0.0'],
      ['team-a', 'web', '1.1.0-rc.1'],
      ['team-a', 'signed', '0.1.0'],
      ['team-b', 'db', '2.0.0'],
    ] as const) {
      const file = `${chart}-${version}.tgz`;
      const source = readFileSync(join(await pull(repo, chart, version), file));
      const imported = readFileSync(join(await pull(repo.replace('team', 'wharf'), chart, version), file));
      expect({ file, sha256: sha256(imported) }).toEqual({ file, sha256: sha256(source) });
    }
    const prov = readFileSync(`${signed}.prov`);
    const dir = await pull('wharf-a', 'signed', '0.1.0');
    expect(readFileSync(join(dir, 'signed-0.1.0.tgz.prov')).equals(prov)).toBe(true);
  }, 180_000);
});

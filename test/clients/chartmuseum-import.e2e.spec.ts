/**
 * Migration from a real ChartMuseum (v0.16.3, built from the Go module proxy by install.sh,
 * component `chartmuseum`), multitenant (`--depth 1`) on local storage, fed by the real `helm
 * cm-push` and by its own upload API (a signed chart with its .prov). Then `wharf import` (the
 * compiled CLI, as a process) into an embedded data directory, from its HTTP repository
 * (--from-helm-repo, twice: the second run changes nothing) and from its storage directory
 * (--from-chartmuseum --depth 1, where a corrupt archive is reported and skipped); the embedded
 * server is started on the directory and the real helm pulls every chart from Wharf, compared
 * byte for byte with what ChartMuseum serves, provenance included.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { eventually, freePort } from '@wharf/testing';
import { ToolRun, report, runTool } from '../support/tool-process';
import { WharfProcess, startWharf } from '../support/wharf-process';
import { CACHE, ensureInstalled, sha256, tempDir } from './support/clients';
import { HELM_INSTALL_TIMEOUT_MS, HelmHome, signingKey } from './support/helm-home';

const CHARTMUSEUM = join(CACHE, 'bin', 'chartmuseum');

const importInto = (dataDir: string, args: string[]): Promise<ToolRun> =>
  runTool('import', args, { WHARF_DATA_DIR: dataDir, WHARF_PROFILE: 'embedded', WHARF_LOG_LEVEL: 'warn' });

beforeAll(() => ensureInstalled('helm', 'chartmuseum'), HELM_INSTALL_TIMEOUT_MS);

describe('wharf import from a real ChartMuseum', () => {
  let cm: ReturnType<typeof spawn> | undefined;
  let wharf: WharfProcess | undefined;

  afterEach(async () => {
    cm?.kill('SIGKILL');
    await wharf?.kill('SIGKILL');
  });

  it('imports its charts by URL and from its storage; helm pulls the same bytes and provenance from Wharf', async () => {
    const work = tempDir('cm-import');
    const storage = join(work, 'storage');
    const port = await freePort();
    cm = spawn(CHARTMUSEUM, ['--port', String(port), '--listen-host', '127.0.0.1', '--storage', 'local'], {
      env: { ...process.env, STORAGE_LOCAL_ROOTDIR: storage, DEPTH: '1' },
      stdio: 'ignore',
    });
    const cmUrl = `http://127.0.0.1:${port}`;
    await eventually(async () => expect((await fetch(`${cmUrl}/health`)).status).toBe(200), 20_000);

    // Fed as its users feed it: helm cm-push, and the upload API with a provenance file.
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
    // What ChartMuseum never indexes but a storage may hold: reported and skipped.
    writeFileSync(join(storage, 'team-b', 'corrupt-1.0.0.tgz'), 'not a gzip stream');

    const data = join(work, 'data');
    const byUrl = ['--from-helm-repo', `${cmUrl}/team-a`, '--namespace', 'via-url', '--provenance'];
    const first = await importInto(data, byUrl);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(report(first)).toMatchObject({ imported: 3, skipped: 0, failed: 0, conflicts: 0 });
    const events = async () => {
      const log = new SqliteEventLog({ path: join(data, 'events.db') });
      try {
        return await log.count();
      } finally {
        await log.close();
      }
    };
    const afterFirst = await events();
    const again = await importInto(data, byUrl);
    expect(again.code).toBe(0);
    expect(report(again)).toMatchObject({ imported: 0, skipped: 3, failed: 0, conflicts: 0 });
    expect(await events()).toBe(afterFirst);

    const fromStorage = await importInto(data, ['--from-chartmuseum', storage, '--depth', '1']);
    expect(fromStorage.code).toBe(1);
    expect(report(fromStorage)).toMatchObject({ imported: 4, skipped: 0, failed: 1, conflicts: 0 });
    expect(fromStorage.stderr).toContain('corrupt-1.0.0.tgz');

    wharf = await startWharf({ WHARF_DATA_DIR: data });
    const pulls: [repo: string, chart: string, version: string][] = [
      ['team-a', 'web', '1.0.0'],
      ['team-a', 'web', '1.1.0-rc.1'],
      ['team-a', 'signed', '0.1.0'],
      ['team-b', 'db', '2.0.0'],
    ];
    await helm.repoAdd('via-url', `${wharf.url}/helm/via-url`);
    await helm.repoAdd('store-a', `${wharf.url}/helm/team-a`);
    await helm.repoAdd('store-b', `${wharf.url}/helm/team-b`);
    await helm.ok(['repo', 'update']);
    const pull = async (repo: string, chart: string, version: string) => {
      const out = join(helm.dir, 'pulled', repo, `${chart}-${version}`);
      mkdirSync(out, { recursive: true });
      await helm.ok(['pull', `${repo}/${chart}`, '--version', version, '--prov', '-d', out]);
      return out;
    };
    for (const [repo, chart, version] of pulls) {
      const file = `${chart}-${version}.tgz`;
      const source = readFileSync(join(await pull(repo, chart, version), file));
      const targets = [repo === 'team-a' ? 'via-url' : 'store-b', ...(repo === 'team-a' ? ['store-a'] : [])];
      for (const target of targets) {
        const dir = await pull(target, chart, version);
        expect({ target, file, sha256: sha256(readFileSync(join(dir, file))) }).toEqual({
          target,
          file,
          sha256: sha256(source),
        });
      }
    }
    // Every version keeps the time ChartMuseum gives it (its index's `created`), both ways.
    const created = async (url: string) => {
      const index = parse(await (await fetch(url)).text()) as {
        entries: Record<string, { name: string; version: string; created: string }[]>;
      };
      return Object.fromEntries(
        Object.values(index.entries)
          .flat()
          .map((v) => [`${v.name}@${v.version}`, new Date(v.created.replace(/(\.\d{3})\d+/, '$1')).toISOString()]),
      );
    };
    const createdAtSource = await created(`${cmUrl}/team-a/index.yaml`);
    expect(Object.keys(createdAtSource)).toHaveLength(3);
    expect(await created(`${wharf.url}/helm/via-url/index.yaml`)).toEqual(createdAtSource);
    // From the storage: each file's modification time, what ChartMuseum reports once it builds its
    // index from the storage (a restart); its upload answer above stamped it a moment before writing.
    const modified = Object.fromEntries(
      Object.keys(createdAtSource).map((key) => [
        key,
        statSync(join(storage, 'team-a', `${key.replace('@', '-')}.tgz`)).mtime.toISOString(),
      ]),
    );
    expect(await created(`${wharf.url}/helm/team-a/index.yaml`)).toEqual(modified);
    // The signed chart's provenance came along both ways and verifies with the signer's key.
    const prov = readFileSync(`${signed}.prov`);
    for (const target of ['via-url', 'store-a']) {
      const dir = await pull(target, 'signed', '0.1.0');
      expect(readFileSync(join(dir, 'signed-0.1.0.tgz.prov')).equals(prov)).toBe(true);
      mkdirSync(join(dir, 'verified'));
      const verified = await helm.ok([
        'pull',
        `${target}/signed`,
        '--version',
        '0.1.0',
        '--verify',
        '--keyring',
        key.pubring,
        '-d',
        join(dir, 'verified'),
      ]);
      expect(verified.stdout + verified.stderr).toMatch(/Signed by: Wharf E2E/);
    }
  }, 180_000);
});

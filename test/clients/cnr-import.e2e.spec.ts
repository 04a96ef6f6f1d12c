/**
 * Migration from the App Registry's reference server: cnr-server 0.2.7.post2 under gunicorn
 * (installed and patched by bench/install.sh, outside the repository) on its filesystem
 * database, fed through its own API (pushes, channels). Then `wharf import --from-cnr` (the
 * compiled CLI, as a process) into an embedded data directory, twice (the second run changes
 * nothing); the embedded server is started on the directory and the real appr client pulls
 * every release from both servers, compared byte for byte; the channels read the same.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { chartArchive, eventually, freePort } from '@wharf/testing';
import { ToolRun, report, runTool } from '../support/tool-process';
import { ROOT, WharfProcess, startWharf } from '../support/wharf-process';
import { CLIENTS_DIR, INSTALL_TIMEOUT_MS, VENV, ensureInstalled, run, sha256, tempDir } from './support/clients';

const BENCH_CACHE = process.env.WHARF_BENCH_CACHE || join(homedir(), '.cache', 'wharf-bench');
const GUNICORN = join(BENCH_CACHE, 'cnr', 'venv', 'bin', 'gunicorn');

const importInto = (dataDir: string, args: string[]): Promise<ToolRun> =>
  runTool('import', args, { WHARF_DATA_DIR: dataDir, WHARF_PROFILE: 'embedded', WHARF_LOG_LEVEL: 'warn' });

beforeAll(() => {
  ensureInstalled('appr');
  execFileSync('bash', [join(ROOT, 'bench', 'install.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
}, INSTALL_TIMEOUT_MS);

describe('wharf import from a real cnr-server', () => {
  let cnr: ReturnType<typeof spawn> | undefined;
  let wharf: WharfProcess | undefined;

  afterEach(async () => {
    cnr?.kill('SIGKILL');
    await wharf?.kill('SIGKILL');
  });

  it('imports its filesystem database, channels included; appr pulls the same bytes from Wharf', async () => {
    const work = tempDir('cnr-import');
    const database = join(work, 'cnr-db');
    mkdirSync(database);
    const port = await freePort();
    cnr = spawn(GUNICORN, ['-w', '1', '-b', `127.0.0.1:${port}`, '--log-level', 'warning', 'cnr.api.wsgi:app'], {
      cwd: database,
      env: { ...process.env, CNR_DB_CLASS: 'cnr.models.kv.filesystem.db:CnrDB', DATABASE_URL: database },
      stdio: 'ignore',
    });
    const cnrUrl = `http://127.0.0.1:${port}`;
    const api = `${cnrUrl}/cnr/api/v1/packages`;
    await eventually(async () => expect((await fetch(`${api}?namespace=none`)).status).toBe(200), 20_000);

    const releases = ['1.0.0', '1.1.0', '2.0.0-rc.1'];
    for (const release of releases) {
      const blob = chartArchive({ name: 'web', version: release }).toString('base64');
      const pushed = await fetch(`${api}/acme/web`, {
        method: 'POST',
        body: JSON.stringify({ blob, release, media_type: 'helm' }),
      });
      expect(pushed.status).toBe(200);
    }
    for (const [channel, release] of [
      ['stable', '1.0.0'],
      ['stable', '1.1.0'],
      ['beta', '2.0.0-rc.1'],
    ] as const)
      expect((await fetch(`${api}/acme/web/channels/${channel}/${release}`, { method: 'POST' })).status).toBe(200);

    const data = join(work, 'data');
    const first = await importInto(data, ['--from-cnr', database]);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(report(first)).toMatchObject({ imported: 3, skipped: 0, failed: 0, conflicts: 0 });
    const again = await importInto(data, ['--from-cnr', database, '--namespace', 'acme']);
    expect(again.code).toBe(0);
    expect(report(again)).toMatchObject({ imported: 0, skipped: 3, failed: 0, conflicts: 0 });

    wharf = await startWharf({ WHARF_DATA_DIR: data });
    const home = tempDir('appr-home');
    const appr = async (ref: string) => {
      const dest = tempDir('appr-pull');
      const r = await run(
        join(VENV('appr'), 'bin', 'python'),
        [join(CLIENTS_DIR, 'python', 'appr_py3.py'), 'pull', ref, '-t', 'helm', '--tarball', '--dest', dest],
        { cwd: home, env: { HOME: home, TMPDIR: home, APPR_DEBUG: 'false' } },
      );
      expect({ ref, code: r.code, stderr: r.stderr }).toEqual({ ref, code: 0, stderr: expect.any(String) });
      return readFileSync(join(dest, readdirSync(dest)[0]!));
    };
    for (const ref of [...releases.map((r) => `@${r}`), ':stable', ':beta']) {
      const source = await appr(`${cnrUrl}/acme/web${ref}`);
      const imported = await appr(`${wharf.url}/acme/web${ref}`);
      expect({ ref, sha256: sha256(imported) }).toEqual({ ref, sha256: sha256(source) });
    }
    const channels = async (url: string) =>
      ((await (await fetch(`${url}/cnr/api/v1/packages/acme/web/channels`)).json()) as { name: string }[]).sort(
        (a, b) => a.name.localeCompare(b.name),
      );
    expect(await channels(wharf.url)).toEqual(await channels(cnrUrl));
    // Each release keeps the time cnr-server created it (its naive UTC, read as UTC).
    const createdAt = async (url: string, release: string) => {
      const shown = (await (await fetch(`${url}/cnr/api/v1/packages/acme/web/${release}/helm`)).json()) as {
        created_at: string;
      };
      return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(shown.created_at) ? shown.created_at : `${shown.created_at}Z`)
        .toISOString()
        .slice(0, 23);
    };
    for (const release of releases)
      expect({ release, createdAt: await createdAt(wharf.url, release) }).toEqual({
        release,
        createdAt: await createdAt(cnrUrl, release),
      });
  }, 180_000);
});

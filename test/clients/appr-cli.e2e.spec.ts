/**
 * The `appr` CLI (PyPI appr 0.7.4, the reference client) against Wharf, as a child process:
 * push with a channel, pull by release, by channel and by digest, show, list, channel
 * add/remove/delete, delete-package. Every pull is checked by its bytes: the .tgz the CLI writes
 * must be byte-identical to what Wharf serves for that release, its gunzipped sha256 must be the
 * manifest's content.digest, and its files must be the chart that was pushed.
 *
 * appr 0.7.4 is Python-2 code; it runs here through python/appr_py3.py (docs/clients.md).
 * Sign-up and login run against the registry with authentication enforced (WHARF_ENFORCED_URL):
 * the token the CLI saves is sent verbatim, and opens a private package no one else sees.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { enforcedUrl } from '../support/target';
import {
  CACHE,
  CLIENTS_DIR,
  INSTALL_TIMEOUT_MS,
  VENV,
  contentDigest,
  ensureInstalled,
  freshNamespace,
  getBytes,
  registry,
  run,
  sha256,
  tempDir,
  tgzFiles,
} from './support/clients';

interface Manifest {
  package: string;
  release: string;
  content: { digest: string; size: number };
}
interface Channel {
  name: string;
  current: string;
  releases: string[];
}

const PKG = 'demo';
const CHART_1 = 'apiVersion: v1\nname: demo\nversion: 1.0.0\ndescription: appr CLI compatibility\n';
const CHART_2 = 'apiVersion: v1\nname: demo\nversion: 1.1.0\ndescription: appr CLI compatibility\n';
const TEMPLATE = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  k: v\n';

let home: string;
let chartDir: string;
let ns: string;
let target: string;

function appr(args: string[], cwd = home) {
  return run(join(VENV('appr'), 'bin', 'python'), [join(CLIENTS_DIR, 'python', 'appr_py3.py'), ...args], {
    cwd,
    // The CLI keeps its config and auth under ~/.appr and packs into $TMPDIR: both private here.
    env: { HOME: home, TMPDIR: home, APPR_DEBUG: 'false' },
  });
}
async function apprOk(args: string[], cwd = home) {
  const r = await appr(args, cwd);
  if (r.code !== 0) throw new Error(`appr ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}
async function apprJson<T>(args: string[]): Promise<T> {
  return JSON.parse((await apprOk([...args, '--output', 'json'])).stdout) as T;
}

/** The one file `appr pull --tarball --dest DIR` wrote. */
async function pullTarball(ref: string): Promise<Buffer> {
  const dest = tempDir('appr-pull');
  const r = await apprOk(['pull', `${target}${ref}`, '-t', 'helm', '--tarball', '--dest', dest]);
  const files = readdirSync(dest);
  expect(files).toHaveLength(1);
  expect(r.stdout).toContain(join(dest, files[0]!));
  return readFileSync(join(dest, files[0]!));
}

async function serverTgz(release: string): Promise<Buffer> {
  const res = await getBytes(`/cnr/api/v1/packages/${ns}/${PKG}/${release}/helm/pull`);
  expect(res.status).toBe(200);
  return res.bytes;
}

async function manifest(release: string): Promise<Manifest> {
  const all = await apprJson<Manifest[]>(['show', target, '-v', release, '-t', 'helm']);
  expect(all).toHaveLength(1);
  return all[0]!;
}

beforeAll(() => {
  ensureInstalled('appr');
  home = tempDir('appr-home');
  chartDir = join(home, 'chart');
  mkdirSync(join(chartDir, 'templates'), { recursive: true });
  writeFileSync(join(chartDir, 'templates', 'cm.yaml'), TEMPLATE);
  ns = freshNamespace('appr');
  target = `${registry()}/${ns}/${PKG}`;
}, INSTALL_TIMEOUT_MS);

describe('appr 0.7.4 as released', () => {
  it('cannot start on this Python: its urllib3<1.22 pin imports collections.Mapping', () => {
    const record = readFileSync(join(CACHE, 'appr', 'as-released.txt'), 'utf8');
    expect(record).toContain("ImportError: cannot import name 'Mapping' from 'collections'");
  });
});

describe('appr CLI against Wharf (runs in order)', () => {
  let tgz1: Buffer;

  it('version', async () => {
    const v = await apprJson<Record<string, unknown>>(['version', registry()]);
    expect(JSON.stringify(v)).toContain('0.7.4');
  });

  it('push -c stable, then push a second release', async () => {
    writeFileSync(join(chartDir, 'Chart.yaml'), CHART_1);
    const first = await apprOk(['push', target, '-t', 'helm', '-c', 'stable'], chartDir);
    expect(first.stdout).toContain(`package: ${ns}/${PKG} (1.0.0 | helm) pushed`);
    expect(first.stdout).toContain("Release '1.0.0' added to 'stable'");
    writeFileSync(join(chartDir, 'Chart.yaml'), CHART_2);
    await apprOk(['push', target, '-t', 'helm'], chartDir);
    // A second push of the same release is refused (409) and the CLI fails.
    const again = await appr(['push', target, '-t', 'helm'], chartDir);
    expect(again.code).not.toBe(0);
    expect(again.stdout + again.stderr).toContain('package-exists');
  });

  it('show: one manifest per release, with the pushed chart behind content.digest', async () => {
    const all = await apprJson<Manifest[]>(['show', target]);
    expect(all.map((m) => m.release).sort()).toEqual(['1.0.0', '1.1.0']);
    const m1 = await manifest('1.0.0');
    tgz1 = await serverTgz('1.0.0');
    expect(m1.content.digest).toBe(contentDigest(tgz1));
    expect(m1.content.size).toBe(tgz1.length);
  });

  it('pull by release: the bytes Wharf holds, the files that were pushed', async () => {
    const pulled = await pullTarball('@1.0.0');
    expect(sha256(pulled)).toBe(sha256(tgz1));
    expect(contentDigest(pulled)).toBe((await manifest('1.0.0')).content.digest);
    const path = join(home, 'pulled-1.0.0.tgz');
    writeFileSync(path, pulled);
    expect(tgzFiles(path)).toEqual({ 'demo/Chart.yaml': CHART_1, 'demo/templates/cm.yaml': TEMPLATE });
  });

  it('pull by release, extracted (the default, via the pull JSON)', async () => {
    const dest = tempDir('appr-extract');
    await apprOk(['pull', `${target}@1.1.0`, '-t', 'helm', '--dest', dest]);
    const root = join(dest, `${ns}_${PKG}_1.1.0`, 'demo');
    expect(readFileSync(join(root, 'Chart.yaml'), 'utf8')).toBe(CHART_2);
    expect(readFileSync(join(root, 'templates', 'cm.yaml'), 'utf8')).toBe(TEMPLATE);
  });

  it('pull by channel', async () => {
    expect(sha256(await pullTarball(':stable'))).toBe(sha256(tgz1));
  });

  it('pull by digest (@sha256:<content.digest>)', async () => {
    const { digest } = (await manifest('1.0.0')).content;
    expect(sha256(await pullTarball(`@sha256:${digest}`))).toBe(sha256(tgz1));
  });

  it('list', async () => {
    const entries = await apprJson<Array<{ name: string; default: string; releases: string[]; manifests: string[] }>>([
      'list',
      registry(),
      '-o',
      ns,
    ]);
    expect(entries).toEqual([
      expect.objectContaining({
        name: `${ns}/${PKG}`,
        default: '1.1.0',
        releases: ['1.1.0', '1.0.0'],
        manifests: ['helm'],
      }),
    ]);
    const text = await apprOk(['list', registry(), '-o', ns]);
    expect(text.stdout).toContain(`${ns}/${PKG}`);
  });

  it('channel: list, add a release, pull it through the channel, remove it, delete a channel', async () => {
    expect(await apprJson<Channel[]>(['channel', target])).toEqual([
      { name: 'stable', current: '1.0.0', releases: ['1.0.0'] },
    ]);
    expect(await apprJson<Channel>(['channel', target, '-c', 'beta', '--set-release', '-v', '1.1.0'])).toEqual({
      name: 'beta',
      current: '1.1.0',
      releases: ['1.1.0'],
    });
    expect(await apprJson<Channel[]>(['channel', target, '-c', 'beta'])).toEqual([
      { name: 'beta', current: '1.1.0', releases: ['1.1.0'] },
    ]);
    expect(sha256(await pullTarball(':beta'))).toBe(sha256(await serverTgz('1.1.0')));
    expect(
      await apprJson<Record<string, unknown>>(['channel', target, '-c', 'stable', '--set-release', '-v', '1.1.0']),
    ).toEqual({
      name: 'stable',
      current: '1.1.0',
      releases: ['1.1.0', '1.0.0'],
    });
    expect(
      await apprJson<Record<string, unknown>>(['channel', target, '-c', 'stable', '--remove-release', '-v', '1.1.0']),
    ).toEqual(expect.objectContaining({ status: 'deleted', name: 'stable', release: '1.1.0' }));
    expect(sha256(await pullTarball(':stable'))).toBe(sha256(tgz1));
    expect(await apprJson<Record<string, unknown>>(['channel', target, '-c', 'beta', '--delete'])).toEqual(
      expect.objectContaining({ channel: 'beta', action: 'delete' }),
    );
    expect((await apprJson<Channel[]>(['channel', target])).map((c) => c.name)).toEqual(['stable']);
    const gone = await appr(['pull', `${target}:beta`, '-t', 'helm', '--tarball', '--dest', tempDir('appr-gone')]);
    expect(gone.code).not.toBe(0);
  });

  it('delete-package: the release is gone, the other one still pulls', async () => {
    expect(await apprJson<Record<string, unknown>>(['delete-package', target, '-v', '1.0.0', '-t', 'helm'])).toEqual(
      expect.objectContaining({ status: 'deleted', release: '1.0.0' }),
    );
    const gone = await appr(['pull', `${target}@1.0.0`, '-t', 'helm', '--tarball', '--dest', tempDir('appr-gone')]);
    expect(gone.code).not.toBe(0);
    expect(gone.stdout + gone.stderr).toMatch(/404|not-found/);
    expect(sha256(await pullTarball('@1.1.0'))).toBe(sha256(await serverTgz('1.1.0')));
    // Deleting 1.0.0 also took it out of "stable", its only release, so the channel went too.
    expect(await apprJson<Channel[]>(['channel', target])).toEqual([]);
  });
});

describe('appr CLI sign-up and login against a registry that enforces authentication (runs in order)', () => {
  const user = freshNamespace('apprcli');
  const password = 'appr-cli-password';
  let enforced: string;
  let userHome: string;
  let strangerHome: string;
  let own: string;
  const as =
    (h: string) =>
    (args: string[], cwd = h) =>
      run(join(VENV('appr'), 'bin', 'python'), [join(CLIENTS_DIR, 'python', 'appr_py3.py'), ...args], {
        cwd,
        env: { HOME: h, TMPDIR: h, APPR_DEBUG: 'false' },
      });

  beforeAll(() => {
    enforced = new URL(enforcedUrl()).origin;
    own = `${enforced}/${user}/${PKG}`;
    userHome = tempDir('appr-user');
    strangerHome = tempDir('appr-stranger');
  });

  it('login -s signs up and saves a token the CLI then sends', async () => {
    const r = await as(userHome)(['login', '-s', '-u', user, '-p', password, '-e', `${user}@example.test`, enforced]);
    expect({ code: r.code, out: r.stdout + r.stderr }).toEqual({
      code: 0,
      out: expect.stringContaining('Registration complete'),
    });
    const saved = readFileSync(join(userHome, '.appr', 'auths.yaml'), 'utf8');
    expect(saved).toMatch(/wharf\.[A-Za-z0-9_-]+\./);
    expect(saved).not.toContain(password);
  });

  it('push into the own namespace with the saved token; anonymous push is refused', async () => {
    writeFileSync(join(chartDir, 'Chart.yaml'), CHART_1);
    const pushed = await as(userHome)(['push', own, '-t', 'helm'], chartDir);
    expect({ code: pushed.code, out: pushed.stdout }).toEqual({
      code: 0,
      out: expect.stringContaining(`package: ${user}/${PKG} (1.0.0 | helm) pushed`),
    });
    const stranger = await as(strangerHome)(['push', own, '-t', 'helm', '-f'], chartDir);
    expect(stranger.code).not.toBe(0);
    expect(stranger.stdout + stranger.stderr).toMatch(/401|unauthorized/);
  });

  it('a private package pulls with the token and is not found without it', async () => {
    const login = await fetch(`${enforced}/cnr/api/v1/users/login`, {
      method: 'POST',
      body: JSON.stringify({ user: { username: user, password } }),
    });
    const { token } = (await login.json()) as { token: string };
    const set = await fetch(`${enforced}/cnr/api/v1/packages/${user}/${PKG}/visibility`, {
      method: 'PUT',
      headers: { authorization: token },
      body: JSON.stringify({ visibility: 'private' }),
    });
    expect(set.status).toBe(200);
    const dest = tempDir('appr-private');
    const mine = await as(userHome)(['pull', `${own}@1.0.0`, '-t', 'helm', '--tarball', '--dest', dest]);
    expect(mine.code).toBe(0);
    expect(readdirSync(dest)).toHaveLength(1);
    const theirs = await as(strangerHome)([
      'pull',
      `${own}@1.0.0`,
      '-t',
      'helm',
      '--tarball',
      '--dest',
      tempDir('appr-denied'),
    ]);
    expect(theirs.code).not.toBe(0);
    expect(theirs.stdout + theirs.stderr).toMatch(/404|not-found/);
  });

  it('login with a wrong password fails; with the right one a fresh token works', async () => {
    const wrong = await as(strangerHome)(['login', '-u', user, '-p', 'not-the-password', enforced]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toMatch(/401|unauthorized/);
    const right = await as(strangerHome)(['login', '-u', user, '-p', password, enforced]);
    expect({ code: right.code, out: right.stdout + right.stderr }).toEqual({
      code: 0,
      out: expect.stringContaining('Login succeeded'),
    });
    const shown = await as(strangerHome)(['show', own, '--output', 'json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)[0]).toMatchObject({ package: `${user}/${PKG}`, release: '1.0.0' });
  });
});

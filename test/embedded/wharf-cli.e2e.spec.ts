/**
 * `wharf`, the admin CLI, as a process (the compiled bin's code) on an embedded data directory:
 * accounts it writes are the API's (a user it creates logs in, one it disables is refused, each
 * change is in the audit trail), bad input writes nothing, `verify` finds a corrupted blob and a
 * projection that drifted from the log (mended by `replay`), `gc --dry-run` deletes nothing and `gc` does,
 * `retention run` deletes what `retention preview` named (refused while the server holds the data).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAccountStore } from '@wharf/adapters/account-store-sqlite';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { chartArchive, eventually } from '@wharf/testing';
import { ToolRun, runTool } from '../support/tool-process';
import { WharfProcess, startWharf } from '../support/wharf-process';

const PASSWORD = 'correct-horse-battery';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const json = (run: ToolRun) => JSON.parse(run.stdout.trim().split('\n').pop()!);

describe('wharf (embedded)', () => {
  let work: string;
  let data: string;
  let server: WharfProcess | undefined;
  const wharf = (args: string[], stdin?: string, env: Record<string, string> = {}) =>
    runTool(args[0]!, args.slice(1), { WHARF_DATA_DIR: data, WHARF_PROFILE: 'embedded', ...env }, undefined, stdin);

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'wharf-cli-'));
    data = join(work, 'data');
  });

  afterEach(async () => {
    await server?.kill('SIGTERM');
    server = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it('should write accounts the API reads, through audited events, and refuse bad input writing nothing', async () => {
    const created = await wharf(['users', 'create', 'alice'], `${PASSWORD}\n`);
    expect(created.code).toBe(0);
    expect(json(created)).toEqual({ kind: 'user', name: 'alice', site_admin: false, disabled: false, tokens: [] });
    expect(created.stdout + created.stderr).not.toContain(PASSWORD);
    expect((await wharf(['users', 'make-admin', 'alice'])).code).toBe(0);
    expect((await wharf(['orgs', 'create', 'acme', '--owner', 'alice'])).code).toBe(0);
    const lines = async (args: string[]) =>
      (await wharf(args)).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    expect(await lines(['users', 'list'])).toEqual([{ name: 'alice', kind: 'user' }]);
    expect(await lines(['orgs', 'list'])).toEqual([{ name: 'acme', kind: 'organization' }]);

    const short = await wharf(['users', 'create', 'bob'], 'short\n');
    expect([short.code, short.stderr]).toEqual([2, 'wharf: a password must have 8 to 1024 characters\n']);
    const taken = await wharf(['users', 'create', 'alice'], `${PASSWORD}\n`);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('account-exists');

    server = await startWharf({ WHARF_DATA_DIR: data, WHARF_AUTH_MODE: 'enforced' });
    const whoami = () =>
      fetch(`${server!.url}/cnr/api/v1/user`, {
        headers: { authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` },
      });
    const answer = await whoami();
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ username: 'alice', site_admin: true });
    // While the server runs: the account store takes writers from several processes.
    expect((await wharf(['users', 'disable', 'alice'])).code).toBe(0);
    await eventually(async () => expect((await whoami()).status).toBe(401));
    await server.kill('SIGTERM');
    server = undefined;

    const accounts = new SqliteAccountStore({ path: join(data, 'accounts.db') });
    try {
      expect(await accounts.get('bob')).toBeNull();
      const history = await accounts.history('alice', { limit: 10 });
      expect(history.map((e) => [e.type, e.actor])).toEqual([
        ['UserDisabled', '-'],
        ['SiteAdminSet', '-'],
        ['UserRegistered', '-'],
      ]);
    } finally {
      await accounts.close();
    }
  }, 90_000);

  it('should verify a sound registry, and report a corrupted blob and a drifted projection with status 1', async () => {
    const charts = join(work, 'charts');
    mkdirSync(charts);
    const archives = ['alpha', 'beta'].map((name) => chartArchive({ name, version: '1.0.0', description: name }));
    archives.forEach((bytes, i) => writeFileSync(join(charts, `${i}.tgz`), bytes));
    expect((await wharf(['import', '--charts', charts, '--namespace', 'fsck'])).code).toBe(0);

    const sound = await wharf(['verify']);
    expect(sound.code).toBe(0);
    expect(json(sound)).toMatchObject({ ok: true, packages: 2, namespaces: 1, blobsChecked: 2, problems: [] });

    const digest = sha256(archives[0]!);
    writeFileSync(join(data, 'blobs', 'sha256', digest.slice(0, 2), digest), Buffer.from('bit rot'));
    const metadata = new SqliteMetadataStore({ path: join(data, 'metadata.db') });
    try {
      // A view written behind the log's back: a visibility no event gave it.
      const view = (await metadata.get('fsck/beta'))!;
      expect(await metadata.put({ ...view, sequence: view.sequence + 1, visibility: 'private' }, view.sequence)).toBe(
        true,
      );
    } finally {
      await metadata.close();
    }

    const broken = await wharf(['verify']);
    expect(broken.code).toBe(1);
    expect(json(broken).problems).toEqual([
      expect.objectContaining({ check: 'metadata', subject: 'fsck/beta' }),
      expect.objectContaining({ check: 'blobs', subject: expect.stringContaining(digest) }),
    ]);
    expect(broken.stderr).toContain('{"progress":{"phase":"folding"');

    // The drift is mended from the log; the blob's bytes come back only from a backup.
    const replayed = await wharf(['replay', 'metadata']);
    expect([replayed.code, json(replayed)]).toEqual([0, expect.objectContaining({ projection: 'metadata' })]);
    const mended = await wharf(['verify']);
    expect(json(mended).problems).toEqual([expect.objectContaining({ check: 'blobs' })]);
  }, 90_000);

  it('should say what gc would delete on a dry run, delete nothing, then delete only the unreferenced blob', async () => {
    const charts = join(work, 'charts');
    mkdirSync(charts);
    writeFileSync(join(charts, 'kept.tgz'), chartArchive({ name: 'kept', version: '1.0.0' }));
    expect((await wharf(['import', '--charts', charts, '--namespace', 'gc'])).code).toBe(0);
    const blobs = new FsBlobStore(join(data, 'blobs'));
    const orphan = Buffer.from('referenced by no release');
    try {
      await blobs.put(orphan, sha256(orphan));
    } finally {
      await blobs.close();
    }
    const path = join(data, 'blobs', 'sha256', sha256(orphan).slice(0, 2), sha256(orphan));
    const noGrace = { WHARF_BLOB_GC_GRACE_SECONDS: '0' };
    await new Promise((resolve) => setTimeout(resolve, 20)); // stored strictly before the pass's cutoff

    const dry = await wharf(['gc', '--dry-run'], undefined, noGrace);
    expect(dry.code).toBe(0);
    expect(json(dry)).toMatchObject({ ran: true, scanned: 2, deleted: 1, freedBytes: orphan.length, dryRun: true });
    expect(existsSync(path)).toBe(true);

    const real = await wharf(['gc'], undefined, noGrace);
    expect(json(real)).toMatchObject({ ran: true, scanned: 2, deleted: 1, dryRun: false });
    expect(existsSync(path)).toBe(false);
    expect((await wharf(['verify'])).code).toBe(0);
  }, 90_000);

  it('should set a retention policy, run exactly its preview, and refuse a run while the server holds the data', async () => {
    const charts = join(work, 'charts');
    mkdirSync(charts);
    for (const version of ['1.0.0', '1.1.0', '1.2.0'])
      writeFileSync(join(charts, `web-${version}.tgz`), chartArchive({ name: 'web', version }));
    expect((await wharf(['users', 'create', 'alice'], `${PASSWORD}\n`)).code).toBe(0);
    expect((await wharf(['import', '--charts', charts, '--namespace', 'alice'])).code).toBe(0);

    const set = await wharf(['retention', 'set', 'alice', 'keep-one', '--keep-last', '1']);
    expect([set.code, json(set)]).toEqual([
      0,
      expect.objectContaining({ policy: expect.objectContaining({ id: 'keep-one', keep_last: 1 }) }),
    ]);
    const releases = (run: ToolRun) => (json(run).deleted as { release: string }[]).map((d) => d.release);
    const preview = await wharf(['retention', 'preview', 'alice']);
    expect([preview.code, releases(preview)]).toEqual([0, ['1.1.0', '1.0.0']]);

    server = await startWharf({ WHARF_DATA_DIR: data });
    const held = await wharf(['retention', 'run', 'alice']);
    expect(held.code).toBe(2);
    expect(held.stderr).toContain('in use by a running Wharf server');
    await server.kill('SIGTERM');
    server = undefined;

    const run = await wharf(['retention', 'run', 'alice']);
    expect([run.code, releases(run), json(run).skipped]).toEqual([0, ['1.1.0', '1.0.0'], []]);
    server = await startWharf({ WHARF_DATA_DIR: data });
    const listed = (await (await fetch(`${server.url}/cnr/api/v1/packages?namespace=alice`)).json()) as {
      name: string;
      releases: string[];
    }[];
    expect(listed.map((p) => [p.name, p.releases])).toEqual([['alice/web', ['1.2.0']]]);
  }, 90_000);
});

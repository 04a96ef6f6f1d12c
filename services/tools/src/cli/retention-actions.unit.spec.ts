/**
 * `wharf retention` on an embedded data directory, end to end in this process: the gateway's
 * use cases over the profile's own SQLite files, so the CLI answers what the API answers. A run
 * deletes exactly what the preview named; a run is refused, with nothing deleted, while a server
 * holds the directory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAccountStore } from '@wharf/adapters/account-store-sqlite';
import { DATA_DIR_LOCK_FILE, DataDirLockedError } from '@wharf/adapters/sqlite';
import { WharfConfig, loadConfig } from '@wharf/config';
import { parseRetentionSettings } from '@wharf/domain';
import { AccountDirectory, AccountWriter } from '@wharf/gateway';
import { pushRelease } from '@wharf/testing';
import { openImportTarget } from '../import-targets';
import { RetentionAdmin } from './retention-actions';

describe('wharf retention (embedded data directory)', () => {
  jest.setTimeout(60_000);
  let dir: string;
  let config: WharfConfig;
  let printed: Record<string, unknown>[];
  const out = (json: object) => void printed.push(json as Record<string, unknown>);

  async function admin<T>(work: (r: RetentionAdmin) => Promise<T>, forRun = false): Promise<T> {
    const r = await RetentionAdmin.open(config, out, forRun);
    try {
      return await work(r);
    } finally {
      await r.close();
    }
  }
  const last = () => printed[printed.length - 1]!;
  const releasesOf = (json: Record<string, unknown>, field = 'deleted') =>
    (json[field] as { package: string; release: string; policy: string }[]).map(
      (d) => `${d.package}@${d.release}:${d.policy}`,
    );

  beforeEach(async () => {
    printed = [];
    dir = mkdtempSync(join(tmpdir(), 'wharf-retention-cli-'));
    config = loadConfig({ WHARF_DATA_DIR: dir, WHARF_RETENTION_DEFAULT_POLICY: '{"keep_last": 2}' });
    const accounts = new SqliteAccountStore({ path: join(dir, 'accounts.db') });
    const writer = new AccountWriter(accounts, new AccountDirectory(accounts));
    for (const org of ['acme', 'other']) await writer.execute(org, { type: 'CreateOrganization', owner: 'alice' }, '-');
    await accounts.close();
    const target = await openImportTarget(config);
    for (const pkg of ['acme/web', 'other/web'])
      for (const release of ['1.0.0', '1.1.0', '1.2.0'])
        await target.commands.execute(pushRelease({ package: pkg, release, meta: { commandId: `${pkg}@${release}` } }));
    await target.settle();
    await target.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("should set a policy, preview it, and run exactly the preview; the site's default elsewhere", async () => {
    await admin((r) => r.set('acme', 'keep-one', parseRetentionSettings({ keep_last: 1 })));
    expect(last()).toMatchObject({ namespace: 'acme', policy: { id: 'keep-one', keep_last: 1 } });
    await admin((r) => r.show('acme'));
    expect(last()).toMatchObject({ in_force: 'own', policies: [{ id: 'keep-one' }] });
    await admin((r) => r.show('other'));
    expect(last()).toMatchObject({ in_force: 'site-default', policies: [] });

    await admin((r) => r.preview('acme'));
    const preview = releasesOf(last());
    expect(preview).toEqual(['acme/web@1.1.0:keep-one', 'acme/web@1.0.0:keep-one']);
    await admin((r) => r.preview('other'));
    expect(releasesOf(last())).toEqual(['other/web@1.0.0:site-default']);

    await admin((r) => r.run('acme'), true);
    expect(last()).toMatchObject({ dry_run: false, skipped: [] });
    expect(releasesOf(last())).toEqual(preview);
    await admin((r) => r.preview('acme'));
    expect(releasesOf(last())).toEqual([]);

    await admin((r) => r.delete('acme', 'keep-one'));
    await admin((r) => r.show('acme'));
    expect(last()).toMatchObject({ in_force: 'site-default', policies: [] });
  });

  it('should refuse a run while a server holds the data directory, deleting nothing', async () => {
    await admin((r) => r.set('acme', 'keep-one', parseRetentionSettings({ keep_last: 1 })));
    // A server (another live process: this one's parent) holds the directory.
    writeFileSync(join(dir, DATA_DIR_LOCK_FILE), JSON.stringify({ pid: process.ppid, role: 'server', since: '' }));
    await expect(admin((r) => r.run('acme'), true)).rejects.toBeInstanceOf(DataDirLockedError);
    rmSync(join(dir, DATA_DIR_LOCK_FILE));
    await admin((r) => r.preview('acme'));
    expect(releasesOf(last())).toHaveLength(2);
  });

  it("should show, set and delete the site's default, which then takes the configuration's place", async () => {
    await admin((r) => r.siteDefault());
    expect(last()).toEqual({
      site_default: { source: 'configuration', policy: expect.objectContaining({ id: 'site-default', keep_last: 2 }) },
    });
    await admin((r) => r.setSiteDefault(parseRetentionSettings({ keep_last: 0 })));
    expect(last()).toEqual({
      site_default: { source: 'api', policy: expect.objectContaining({ id: 'site-default', keep_last: 0 }) },
    });
    // other has no policy: the default set here (keep none) runs there, not the configuration's (keep two).
    await admin((r) => r.preview('other'));
    expect(releasesOf(last())).toEqual([
      'other/web@1.2.0:site-default',
      'other/web@1.1.0:site-default',
      'other/web@1.0.0:site-default',
    ]);
    await admin((r) => r.deleteSiteDefault());
    expect(last()).toEqual({ site_default: { source: 'none', policy: null } });
    await admin((r) => r.show('other'));
    expect(last()).toMatchObject({ in_force: 'none' });
    await admin((r) => r.preview('other'));
    expect(releasesOf(last())).toEqual([]);
    await expect(admin((r) => r.deleteSiteDefault())).rejects.toMatchObject({ code: 'retention-policy-not-found' });
    // The site's stream is no namespace.
    await expect(admin((r) => r.show('_site'))).rejects.toMatchObject({ code: 'account-not-found' });
  });
});

/**
 * `npm run import` and `npm run export` into and out of an embedded data directory, as processes
 * (the compiled tools), then read back over HTTP by the embedded server started on the
 * directory: pulls byte for byte, search, the Helm index. An import killed mid-way and run again
 * leaves every release exactly once; bad charts are reported and skipped; a running server's
 * directory is refused, and so is starting a server while an import holds it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { chartArchive, eventually, gzipArchive } from '@wharf/testing';
import { ToolRun, report, runTool as runToolWith } from '../support/tool-process';
import { WharfProcess, startWharf } from '../support/wharf-process';
import { call } from './embedded-http';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

const runTool = (
  tool: 'import' | 'export',
  args: string[],
  dataDir: string,
  killWhen?: (line: string) => boolean,
): Promise<ToolRun> =>
  runToolWith(tool, args, { WHARF_DATA_DIR: dataDir, WHARF_PROFILE: 'embedded', WHARF_LOG_LEVEL: 'warn' }, killWhen);

describe('npm run import and export (embedded)', () => {
  let work: string;
  let wharf: WharfProcess | undefined;

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'wharf-import-'));
  });

  afterEach(async () => {
    await wharf?.kill('SIGKILL');
    wharf = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it('should import a directory of charts once, even when killed mid-way and run again, and serve every release', async () => {
    const charts = join(work, 'charts');
    mkdirSync(charts);
    const archives = new Map<string, Buffer>();
    for (let i = 0; i < 3000; i++) {
      const name = ['alpha', 'beta'][i % 2]!;
      const version = `1.${Math.floor(i / 2)}.0`;
      const bytes = chartArchive({ name, version, keywords: ['imported'], description: `${name} chart` });
      archives.set(`${name}@${version}`, bytes);
      writeFileSync(join(charts, `${name}-${version}.tgz`), bytes);
    }
    writeFileSync(join(charts, 'corrupt.tgz'), Buffer.from('not a gzip stream'));
    writeFileSync(join(charts, 'no-chart-yaml.tgz'), gzipArchive([{ name: 'x/values.yaml', content: 'a: 1\n' }]));
    const data = join(work, 'data');
    const args = ['--charts', charts, '--namespace', 'imp'];

    const killed = await runTool('import', args, data, (line) => {
      if (!line.startsWith('{"progress"')) return false;
      const { progress } = JSON.parse(line) as { progress: { imported: number; total: number } };
      return progress.imported > 0 && progress.imported < 3000;
    });
    expect(killed.signal).toBe('SIGKILL');
    const again = await runTool('import', args, data);

    expect(again.code).toBe(1); // the two bad charts
    const second = report(again);
    expect(second.skipped).toBeGreaterThan(0);
    expect(second.imported + second.skipped).toBe(3000);
    expect(second.failed).toBe(2);
    expect(again.stderr).toContain('corrupt.tgz');
    expect(again.stderr).toContain('no-chart-yaml.tgz');
    // Exactly once: one ReleasePublished per chart in the log, nothing else.
    const log = new SqliteEventLog({ path: join(data, 'events.db') });
    expect(await log.count()).toBe(3000);
    await log.close();

    wharf = await startWharf({ WHARF_DATA_DIR: data });
    const url = wharf.url;
    const list = (await call(url, 'GET', '/api/v1/packages?namespace=imp')).json();
    expect(list.map((p: { name: string; releases: string[] }) => [p.name, p.releases.length])).toEqual([
      ['imp/alpha', 1500],
      ['imp/beta', 1500],
    ]);
    for (const key of ['alpha@1.0.0', 'beta@1.750.0', 'beta@1.1499.0']) {
      const [name, version] = key.split('@') as [string, string];
      const pulled = await call(url, 'GET', `/api/v1/packages/imp/${name}/${version}/helm/pull`);
      expect(sha256(pulled.bytes)).toBe(sha256(archives.get(key)!));
    }
    expect((await call(url, 'GET', '/api/v1/packages/search?q=beta')).json()).toEqual(['imp/beta']);
    const index = await fetch(`${url}/helm/imp/index.yaml`).then((r) => r.text());
    expect(index.match(/^ {6}version: /gm)).toHaveLength(3000);
    expect(index).toContain(`digest: ${sha256(archives.get('beta@1.1499.0')!)}`);
  }, 180_000);

  it('should round-trip an export: releases, digests, metadata, channels and visibility', async () => {
    const source = join(work, 'source');
    wharf = await startWharf({ WHARF_DATA_DIR: source });
    const archive = (version: string) => chartArchive({ name: 'app', version });
    for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
      const pushed = await call(wharf.url, 'POST', '/api/v1/packages/exp/app', {
        release: version,
        media_type: 'helm',
        blob: archive(version).toString('base64'),
        metadata: { version },
        ...(version === '1.0.0' ? { visibility: 'private' } : {}),
      });
      expect(pushed.status).toBe(200);
    }
    await call(wharf.url, 'POST', '/api/v1/packages/exp/app/channels/stable/2.0.0');
    await call(wharf.url, 'POST', '/api/v1/packages/exp/app/channels/stable/1.0.0');
    await call(wharf.url, 'POST', '/api/v1/packages/exp/app/channels/beta/2.0.0');
    const shown = async (url: string) =>
      Promise.all(
        ['1.0.0', '1.1.0', '2.0.0'].map(async (v) =>
          (await call(url, 'GET', `/api/v1/packages/exp/app/${v}/helm`)).json(),
        ),
      );
    const channels = async (url: string) => (await call(url, 'GET', '/api/v1/packages/exp/app/channels')).json();
    const before = { manifests: await shown(wharf.url), channels: await channels(wharf.url) };

    // The server keeps running: an export only reads.
    const exported = await runTool('export', ['--out', join(work, 'export'), '--namespace', 'exp'], source);
    expect(exported.code).toBe(0);
    await wharf.kill('SIGKILL');
    const target = join(work, 'target');
    const imported = await runTool('import', ['--from-export', join(work, 'export')], target);
    expect(imported.code).toBe(0);
    expect(report(imported)).toMatchObject({ imported: 3, skipped: 0, conflicts: 0, failed: 0 });

    wharf = await startWharf({ WHARF_DATA_DIR: target });
    const url = wharf.url;
    const strip = (manifests: Record<string, unknown>[]) => manifests.map(({ created_at: _, ...m }) => m);
    expect(strip(await shown(wharf.url))).toEqual(strip(before.manifests));
    expect(await channels(wharf.url)).toEqual(before.channels);
    const list = (await call(wharf.url, 'GET', '/api/v1/packages?namespace=exp')).json();
    expect(list[0].visibility).toBe('private');
    await eventually(
      async () => expect((await call(url, 'GET', '/api/v1/packages/search?q=app')).json()).toEqual(['exp/app']),
      10_000,
    );
  }, 120_000);

  it('should refuse a data directory a running server holds, and a server start while an import holds it', async () => {
    const data = join(work, 'data');
    const charts = join(work, 'charts');
    mkdirSync(charts);
    writeFileSync(join(charts, 'app-1.0.0.tgz'), chartArchive({ name: 'app', version: '1.0.0' }));
    wharf = await startWharf({ WHARF_DATA_DIR: data });

    const refused = await runTool('import', ['--charts', charts, '--namespace', 'lock'], data);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/in use by a running Wharf server \(process \d+/);
    expect((await call(wharf.url, 'GET', '/api/v1/packages?namespace=lock')).json()).toEqual([]);
    await wharf.kill('SIGKILL');
    wharf = undefined;

    // The killed server's lock is stale: the import takes it over.
    const run = await runTool('import', ['--charts', charts, '--namespace', 'lock'], data);
    expect(run.code).toBe(0);
    expect(report(run)).toMatchObject({ imported: 1 });

    // A server stopped with SIGTERM gives the lock back (the stores' shutdown hook runs, not app.close).
    const stopped = await startWharf({ WHARF_DATA_DIR: data });
    expect(existsSync(join(data, 'wharf.lock'))).toBe(true);
    await stopped.kill('SIGTERM');
    expect(existsSync(join(data, 'wharf.lock'))).toBe(false);

    // A lock held by a live import (this process stands in for it): the server refuses to start.
    writeFileSync(join(data, 'wharf.lock'), JSON.stringify({ pid: process.pid, role: 'import', since: 'now' }));
    await expect(startWharf({ WHARF_DATA_DIR: data }, 20_000)).rejects.toThrow(/in use by a running import/);
  }, 90_000);

  it('should refuse a missing directory and bad usage with status 2, writing nothing', async () => {
    const data = join(work, 'data');
    const missing = await runTool('import', ['--charts', join(work, 'nothere'), '--namespace', 'x'], data);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such directory');
    expect(existsSync(data)).toBe(false);
    const usage = await runTool('import', ['--charts', work], data);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--namespace');
    const notExport = await runTool('import', ['--from-export', work], data);
    expect(notExport.code).toBe(2);
    expect(notExport.stderr).toContain('not a complete Wharf export');
  });
});

/**
 * `wharf import --from-helm-repo` as a process (the compiled CLI) into an embedded data
 * directory, from a Helm repository served by this process. As a mirror (`--every`): each round
 * imports what the index added since, a round whose index cannot be read is reported and the
 * next one goes on, SIGTERM ends it with the last round's status, every release imported
 * exactly once. Once: an unreachable repository is refused (status 2, nothing written), a chart
 * whose bytes are not the index's digest is reported and skipped.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { chartArchive } from '@wharf/testing';
import { report, runTool } from '../support/tool-process';
import { ROOT } from '../support/wharf-process';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('wharf import --from-helm-repo --every (embedded)', () => {
  let work: string;
  let server: Server;
  let child: ChildProcess | undefined;

  beforeEach(() => (work = mkdtempSync(join(tmpdir(), 'wharf-mirror-'))));
  afterEach(async () => {
    child?.kill('SIGKILL');
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  it('imports what each round finds new, survives an unreadable index, and stops on SIGTERM', async () => {
    const charts = new Map<string, Buffer>([
      ['/charts/web-1.0.0.tgz', chartArchive({ name: 'web', version: '1.0.0' })],
    ]);
    let indexUp = true;
    const index = () =>
      'apiVersion: v1\nentries:\n  web:\n' +
      [...charts]
        .map(([path, tgz]) => {
          const version = /web-(.*)\.tgz$/.exec(path)![1];
          return `    - name: web\n      version: ${version}\n      digest: ${sha256(tgz)}\n      urls: [${path.slice(1)}]\n`;
        })
        .join('');
    server = createServer((req, res) => {
      if (req.url === '/index.yaml') return indexUp ? res.end(index()) : res.writeHead(503).end();
      const tgz = charts.get(req.url ?? '');
      res.writeHead(tgz ? 200 : 404).end(tgz);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const data = join(work, 'data');

    child = spawn(
      process.execPath,
      [
        '-r',
        join(ROOT, 'scripts', 'dist-paths.js'),
        join(ROOT, 'dist', 'services', 'tools', 'src', 'cli', 'wharf.js'),
        'import',
        '--from-helm-repo',
        url,
        '--namespace',
        'mirror',
        '--every',
        '1',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, WHARF_DATA_DIR: data, WHARF_PROFILE: 'embedded', WHARF_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const reports: Record<string, number>[] = [];
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // The index came back, with a new release.
      if (!indexUp && stderr.includes('"round":2')) {
        charts.set('/charts/web-1.1.0.tgz', chartArchive({ name: 'web', version: '1.1.0' }));
        indexUp = true;
      }
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const lines = stdout.split('\n');
      stdout = lines.pop()!;
      for (const line of lines) {
        const report = JSON.parse(line) as Record<string, number>;
        reports.push(report);
        if (report.round === 1) indexUp = false;
        if (report.round === 3) child!.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((resolve) => child!.once('exit', (c) => resolve(c)));

    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.stringContaining('cannot read index.yaml: HTTP 503') });
    expect(reports.map(({ round, imported, skipped, failed }) => ({ round, imported, skipped, failed }))).toEqual([
      { round: 1, imported: 1, skipped: 0, failed: 0 },
      { round: 3, imported: 1, skipped: 1, failed: 0 },
    ]);
    const log = new SqliteEventLog({ path: join(data, 'events.db') });
    try {
      expect(await log.count()).toBe(2);
    } finally {
      await log.close();
    }
  }, 60_000);

  it('refuses a repository it cannot reach with status 2, writing nothing, and reports a chart whose digest does not match', async () => {
    const good = chartArchive({ name: 'web', version: '1.0.0' });
    const bad = chartArchive({ name: 'web', version: '1.1.0' });
    server = createServer((req, res) => {
      if (req.url === '/index.yaml')
        return res.end(
          'apiVersion: v1\nentries:\n  web:\n' +
            `    - {name: web, version: 1.0.0, digest: ${sha256(good)}, urls: [web-1.0.0.tgz]}\n` +
            `    - {name: web, version: 1.1.0, digest: ${sha256(good)}, urls: [web-1.1.0.tgz]}\n`,
        );
      res.end(req.url === '/web-1.0.0.tgz' ? good : bad);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const env = { WHARF_DATA_DIR: join(work, 'data'), WHARF_PROFILE: 'embedded', WHARF_LOG_LEVEL: 'warn' };

    const unreachable = await runTool('import', ['--from-helm-repo', 'http://127.0.0.1:1', '--namespace', 'm'], env);
    expect({ code: unreachable.code, stderr: unreachable.stderr }).toEqual({
      code: 2,
      stderr: expect.stringContaining('http://127.0.0.1:1: cannot read index.yaml: fetch failed'),
    });
    expect(existsSync(join(work, 'data'))).toBe(false);

    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const mismatch = await runTool('import', ['--from-helm-repo', url, '--namespace', 'm'], env);
    expect(mismatch.code).toBe(1);
    expect(report(mismatch)).toMatchObject({ imported: 1, failed: 1 });
    expect(mismatch.stderr).toContain(`web@1.1.0 (${url}/web-1.1.0.tgz)`);
    expect(mismatch.stderr).toContain("is not the index's");
  }, 60_000);
});

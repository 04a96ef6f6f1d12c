/**
 * Acknowledged means durable, for the embedded profile: whatever was answered 200 is there
 * after the process is killed with SIGKILL and started again on the same data directory, and
 * the restart applies nothing twice. Also: events in the log that never reached the metadata
 * projection (a crash between append and apply) are applied before the server listens.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chartArchive, eventually } from '@wharf/testing';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { validateForProduce } from '@wharf/contracts';
import { WharfProcess, startWharf } from '../support/wharf-process';
import { call } from './embedded-http';

const NS = 'restart';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('embedded profile restart', () => {
  let dataDir: string;
  let wharf: WharfProcess | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-restart-'));
  });

  afterEach(async () => {
    await wharf?.kill('SIGKILL');
    wharf = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should keep every acknowledged write across SIGKILL and apply nothing twice', async () => {
    wharf = await startWharf({ WHARF_DATA_DIR: dataDir });
    const archives = ['1.0.0', '1.1.0', '2.0.0-rc.1'].map((version) => ({
      version,
      bytes: chartArchive({ name: 'app', version, keywords: ['durable'] }),
    }));
    for (const { version, bytes } of archives) {
      const res = await call(wharf.url, 'POST', `/api/v1/packages/${NS}/app`, {
        release: version,
        media_type: 'helm',
        blob: bytes.toString('base64'),
      });
      expect(res.status).toBe(200);
    }
    expect((await call(wharf.url, 'POST', `/api/v1/packages/${NS}/app/channels/stable/1.1.0`)).status).toBe(200);
    expect((await call(wharf.url, 'DELETE', `/api/v1/packages/${NS}/app/1.0.0/helm`)).status).toBe(200);
    const before = (await call(wharf.url, 'GET', '/_wharf/stats?fresh=true')).json();

    await wharf.kill('SIGKILL');
    wharf = await startWharf({ WHARF_DATA_DIR: dataDir });

    const url = wharf.url;
    // Search is eventually consistent, also after a restart.
    await eventually(
      async () => expect((await call(url, 'GET', '/_wharf/stats?fresh=true')).json()).toEqual(before),
      10_000,
    );
    const list = (await call(wharf.url, 'GET', `/api/v1/packages?namespace=${NS}`)).json();
    expect(list.map((p: { name: string; releases: string[] }) => [p.name, p.releases])).toEqual([
      [`${NS}/app`, ['2.0.0-rc.1', '1.1.0']],
    ]);
    const manifest = (await call(wharf.url, 'GET', `/api/v1/packages/${NS}/app/1.1.0/helm`)).json();
    expect(manifest.content.digest).toBe(sha256(gunzipSync(archives[1].bytes)));
    expect(manifest.channels).toEqual(['stable']);
    const pulled = await call(wharf.url, 'GET', `/api/v1/packages/${NS}/app/1.1.0/helm/pull`);
    expect(sha256(pulled.bytes)).toBe(sha256(archives[1].bytes));
    expect((await call(wharf.url, 'GET', `/api/v1/packages/${NS}/app/1.0.0/helm`)).status).toBe(404);
    await eventually(
      async () => expect((await call(url, 'GET', '/api/v1/packages/search?q=app')).json()).toEqual([`${NS}/app`]),
      10_000,
    );
    const retry = await call(wharf.url, 'POST', `/api/v1/packages/${NS}/app`, {
      release: '1.1.0',
      media_type: 'helm',
      blob: archives[1].bytes.toString('base64'),
    });
    expect(retry.status).toBe(409);
  });

  it('should apply events the projection never saw before it starts listening', async () => {
    wharf = await startWharf({ WHARF_DATA_DIR: dataDir });
    const first = chartArchive({ name: 'late', version: '1.0.0' });
    expect(
      (
        await call(wharf.url, 'POST', `/api/v1/packages/${NS}/late`, {
          release: '1.0.0',
          media_type: 'helm',
          blob: first.toString('base64'),
        })
      ).status,
    ).toBe(200);
    const manifest = (await call(wharf.url, 'GET', `/api/v1/packages/${NS}/late/1.0.0/helm`)).json();
    await wharf.kill('SIGKILL');
    wharf = undefined;

    // As if the process died right after appending: the event is in the log, not in metadata.db.
    const log = new SqliteEventLog({ path: join(dataDir, 'events.db') });
    await log.append(`${NS}/late`, 1, [
      validateForProduce({
        type: 'ReleaseAddedToChannel',
        version: 1,
        id: randomUUID(),
        occurredAt: new Date().toISOString(),
        correlationId: randomUUID(),
        causationId: randomUUID(),
        package: `${NS}/late`,
        sequence: 2,
        data: { channel: 'beta', release: '1.0.0' },
      }),
    ]);
    await log.close();

    wharf = await startWharf({ WHARF_DATA_DIR: dataDir });
    const channel = await call(wharf.url, 'GET', `/api/v1/packages/${NS}/late/channels/beta`);
    expect(channel.status).toBe(200);
    expect(channel.json()).toEqual({ name: 'beta', current: '1.0.0', releases: ['1.0.0'] });
    const again = (await call(wharf.url, 'GET', `/api/v1/packages/${NS}/late/1.0.0/helm`)).json();
    expect(again).toEqual({ ...manifest, channels: ['beta'] });
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteWebhookDeliveryStore } from '@wharf/adapters/webhook-deliveries-sqlite';
import type { StoredEvent } from '@wharf/contracts';
import type { AccountView, WebhookRecord } from '@wharf/domain';
import type { AccountStore, EventLog } from '@wharf/ports';
import { eventEnvelopes, releaseDeleted, releasePublished } from '@wharf/testing';
import type { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEnqueuer } from './webhook-enqueuer';
import type { WebhookServiceSettings } from './webhook-settings';

const webhook = (over: Partial<WebhookRecord> = {}): WebhookRecord => ({
  id: 'w1',
  url: 'https://ci.example/hook',
  events: ['release.published', 'release.deleted', 'package.deleted'],
  package: null,
  active: true,
  secrets: [{ sealed: 'sealed', until: null }],
  createdAt: '2000-01-01T00:00:00.000Z',
  updatedAt: '2000-01-01T00:00:00.000Z',
  ...over,
});

describe('WebhookEnqueuer', () => {
  let dir: string;
  let store: SqliteWebhookDeliveryStore;
  let webhooks: WebhookRecord[];
  let woken: number;
  let enqueuer: WebhookEnqueuer;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-enqueuer-'));
    store = new SqliteWebhookDeliveryStore({ path: join(dir, 'webhooks.db') });
    webhooks = [webhook()];
    woken = 0;
    const accounts = { get: async (ns: string) => ({ namespace: ns, webhooks }) as unknown as AccountView };
    enqueuer = new WebhookEnqueuer(
      {} as EventLog,
      accounts as unknown as AccountStore,
      store,
      { baseUrl: 'https://registry.example', apiPrefix: '/cnr' } as WebhookServiceSettings,
      { wake: () => void woken++ } as unknown as WebhookDispatcher,
    );
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = (pkg: string, after: number, events: Parameters<typeof eventEnvelopes>[2]) =>
    eventEnvelopes(pkg, after, events).map((e, i) => ({ ...e, position: String(after + i) }) as StoredEvent);
  const queued = async (id = 'w1') =>
    (await store.list(id, { limit: 100 })).reverse().map((d) => [d.eventType, JSON.parse(d.body).subject]);

  it('should enqueue each matching CloudEvent once, even when the batch is handed over again', async () => {
    const batch = stored('acme/web', 0, [
      releasePublished({ release: '1.0.0' }),
      releasePublished({ release: '1.1.0' }),
    ]);
    await enqueuer.handle(batch);
    await enqueuer.handle(batch);
    expect(await queued()).toEqual([
      ['io.wharf.release.published', 'acme/web@1.0.0'],
      ['io.wharf.release.published', 'acme/web@1.1.0'],
    ]);
    expect(woken).toBe(1);
  });

  it("should tell a package's deletion across batches from the manifests it counted", async () => {
    await enqueuer.handle(
      stored('acme/web', 0, [releasePublished({ release: '1.0.0' }), releasePublished({ release: '2.0.0' })]),
    );
    await enqueuer.handle(stored('acme/web', 2, [releaseDeleted('1.0.0')]));
    await enqueuer.handle(stored('acme/web', 3, [releaseDeleted('2.0.0')]));
    expect((await queued()).slice(2)).toEqual([
      ['io.wharf.release.deleted', 'acme/web@1.0.0'],
      ['io.wharf.release.deleted', 'acme/web@2.0.0'],
      ['io.wharf.package.deleted', 'acme/web'],
    ]);
  });

  it('should enqueue nothing for events before the subscription, of other kinds or packages, or while paused', async () => {
    webhooks = [
      webhook({ id: 'late', createdAt: '2100-01-01T00:00:00.000Z' }),
      webhook({ id: 'other-package', package: 'api' }),
      webhook({ id: 'deletes-only', events: ['release.deleted'] }),
      webhook({ id: 'paused', active: false }),
      webhook({ id: 'web', package: 'web' }),
    ];
    await enqueuer.handle(stored('acme/web', 0, [releasePublished({ release: '1.0.0' })]));
    for (const id of ['late', 'other-package', 'deletes-only', 'paused'])
      expect([id, await queued(id)]).toEqual([id, []]);
    expect(await queued('web')).toEqual([['io.wharf.release.published', 'acme/web@1.0.0']]);
  });
});

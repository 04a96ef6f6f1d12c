import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteWebhookDeliveryStore } from '@wharf/adapters/webhook-deliveries-sqlite';
import { WebhookSecretBox } from '@wharf/adapters/webhook-secret-box';
import type { JsonLogger } from '@wharf/config';
import type { AccountView, WebhookRecord } from '@wharf/domain';
import type { AccountStore } from '@wharf/ports';
import { RecordingMetrics, newDelivery } from '@wharf/testing';
import { WebhookDispatcher } from './webhook-dispatcher';
import type { WebhookServiceSettings } from './webhook-settings';

const MAX_ATTEMPTS = 3;

describe('WebhookDispatcher', () => {
  let dir: string;
  let store: SqliteWebhookDeliveryStore;
  let receiver: Server;
  let dispatcher: WebhookDispatcher;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-dispatcher-'));
    store = new SqliteWebhookDeliveryStore({ path: join(dir, 'webhooks.db') });
  });

  afterEach(async () => {
    await dispatcher?.onApplicationShutdown();
    await new Promise((resolve) => receiver?.close(resolve));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A receiver on 127.0.0.1 that answers each request with the next status of `statuses`. */
  async function listen(statuses: number[]): Promise<string> {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(statuses.shift() ?? 204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  }

  /** A port nothing listens on: connections to it are refused. */
  async function closedPort(): Promise<number> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
  }

  it('should count each attempt as delivered, retried or failed (retries used up), and time every one', async () => {
    const box = new WebhookSecretBox(randomBytes(32));
    const hook = (id: string, url: string): WebhookRecord => ({
      id,
      url,
      events: ['release.published'],
      package: null,
      active: true,
      secrets: [{ sealed: box.seal('whsec_test'), until: null }],
      createdAt: '2000-01-01T00:00:00.000Z',
      updatedAt: '2000-01-01T00:00:00.000Z',
    });
    const webhooks = [
      hook('flaky', `${await listen([500, 503])}/hook`),
      hook('dead', `http://127.0.0.1:${await closedPort()}/hook`),
    ];
    const accounts = { get: async (ns: string) => ({ namespace: ns, webhooks }) as unknown as AccountView };
    const metrics = new RecordingMetrics();
    dispatcher = new WebhookDispatcher(
      store,
      accounts as unknown as AccountStore,
      box,
      {
        secretKey: null,
        allowPrivateAddresses: true,
        timeoutMs: 5_000,
        maxAttempts: MAX_ATTEMPTS,
        backoff: { baseMs: 1, maxMs: 2 },
        shard: { index: 0, count: 1 },
        whenFailing: 'wait',
        retentionDays: 0,
        baseUrl: 'http://registry.example',
        apiPrefix: '/cnr',
      } satisfies WebhookServiceSettings,
      { event: () => {} } as unknown as JsonLogger,
      metrics,
    );
    await store.enqueue(
      [newDelivery({ subscription: 'flaky', eventId: 'e1' }), newDelivery({ subscription: 'dead', eventId: 'e2' })],
      [],
    );
    dispatcher.start();
    for (;;) {
      const health = await store.health(['flaky', 'dead']);
      if (health.get('flaky')!.pending === 0 && health.get('dead')!.failingSince !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await dispatcher.onApplicationShutdown();
    const counted = (outcome: string) => metrics.counted.filter((line) => line === `webhook ${outcome}`).length;
    expect([counted('delivered'), counted('retried'), counted('failed')]).toEqual([1, 2 + (MAX_ATTEMPTS - 1), 1]);
    expect(metrics.webhookSeconds).toHaveLength(3 + MAX_ATTEMPTS);
    for (const seconds of metrics.webhookSeconds) expect(seconds).toBeGreaterThanOrEqual(0);
  });
});

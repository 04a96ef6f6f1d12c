import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWebhookDeliveryStoreContract } from '@wharf/testing';
import { SqliteWebhookDeliveryStore } from './webhook-deliveries-sqlite.adapter';

describeWebhookDeliveryStoreContract('webhook-deliveries-sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-webhooks-'));
  return {
    subject: new SqliteWebhookDeliveryStore({ path: join(dir, 'webhooks.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

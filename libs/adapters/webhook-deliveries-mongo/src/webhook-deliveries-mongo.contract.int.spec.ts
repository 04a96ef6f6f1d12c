import { MongoClient } from 'mongodb';
import { describeWebhookDeliveryStoreContract, uniqueName } from '@wharf/testing';
import { MongoWebhookDeliveryStore } from './webhook-deliveries-mongo.adapter';

function mongoUrl(): string {
  const url = process.env.WHARF_MONGO_URL;
  if (!url) throw new Error('WHARF_MONGO_URL is not set: run through the jest "int" project');
  return url;
}

describeWebhookDeliveryStoreContract(
  'webhook-deliveries-mongo',
  async () => {
    const database = uniqueName('wharf_webhooks_');
    return {
      subject: await MongoWebhookDeliveryStore.connect({
        url: mongoUrl(),
        database,
        clientOptions: { serverSelectionTimeoutMS: 10_000 },
      }),
      cleanup: async () => {
        const admin = await new MongoClient(mongoUrl(), { serverSelectionTimeoutMS: 10_000 }).connect();
        try {
          await admin.db(database).dropDatabase();
        } finally {
          await admin.close();
        }
      },
    };
  },
  { testTimeoutMs: 60_000 },
);

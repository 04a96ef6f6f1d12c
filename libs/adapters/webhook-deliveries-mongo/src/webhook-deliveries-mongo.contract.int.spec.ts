import { describeWebhookDeliveryStoreContract } from '@wharf/testing';
import { closeAdminClient, dropDatabase, mongoUrl, uniqueDatabase } from '../../mongo/src/mongo.test-support';
import { MongoWebhookDeliveryStore } from './webhook-deliveries-mongo.adapter';

afterAll(closeAdminClient);

describeWebhookDeliveryStoreContract(
  'webhook-deliveries-mongo',
  async () => {
    const database = uniqueDatabase('wharf_webhooks_');
    return {
      subject: await MongoWebhookDeliveryStore.connect({
        url: mongoUrl(),
        database,
        clientOptions: { serverSelectionTimeoutMS: 10_000 },
      }),
      cleanup: () => dropDatabase(database),
    };
  },
  { testTimeoutMs: 60_000 },
);

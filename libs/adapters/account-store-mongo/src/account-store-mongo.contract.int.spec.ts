import { describeAccountStoreContract } from '@wharf/testing';
import { closeAdminClient, dropDatabase, mongoUrl, uniqueDatabase } from '../../mongo/src/mongo.test-support';
import { MongoAccountStore } from './account-store-mongo.adapter';

afterAll(closeAdminClient);

describeAccountStoreContract(
  'account-store-mongo',
  async () => {
    const database = uniqueDatabase('wharf_accounts_');
    return {
      subject: await MongoAccountStore.connect({
        url: mongoUrl(),
        database,
        clientOptions: { serverSelectionTimeoutMS: 10_000 },
      }),
      cleanup: () => dropDatabase(database),
    };
  },
  { testTimeoutMs: 60_000 },
);

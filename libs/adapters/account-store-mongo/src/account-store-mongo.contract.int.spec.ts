import { MongoClient } from 'mongodb';
import { describeAccountStoreContract, uniqueName } from '@wharf/testing';
import { MongoAccountStore } from './account-store-mongo.adapter';

function mongoUrl(): string {
  const url = process.env.WHARF_MONGO_URL;
  if (!url) throw new Error('WHARF_MONGO_URL is not set: run through the jest "int" project');
  return url;
}

describeAccountStoreContract(
  'account-store-mongo',
  async () => {
    const database = uniqueName('wharf_accounts_');
    return {
      subject: await MongoAccountStore.connect({
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

import { describeMetadataStoreContract } from '@wharf/testing';
import { MongoMetadataStore } from './metadata-mongo.adapter';
import { closeAdminClient, dropDatabase, mongoUrl, uniqueDatabase } from '../../mongo/src/mongo.test-support';

afterAll(closeAdminClient);

describeMetadataStoreContract(
  'metadata-mongo',
  async () => {
    const database = uniqueDatabase();
    return {
      subject: await MongoMetadataStore.connect({
        url: mongoUrl(),
        database,
        clientOptions: { serverSelectionTimeoutMS: 10_000 },
      }),
      cleanup: () => dropDatabase(database),
    };
  },
  { testTimeoutMs: 60_000 },
);

import { describeChartIndexStoreContract, uniqueName } from '@wharf/testing';
import { closeAdminClient, dropDatabase, mongoUrl } from '../../mongo/src/mongo.test-support';
import { MongoChartIndexStore } from './chart-index-mongo.adapter';

afterAll(closeAdminClient);

describeChartIndexStoreContract(
  'chart-index-mongo',
  async () => {
    const database = uniqueName('wharf_charts_');
    return {
      subject: await MongoChartIndexStore.connect({
        url: mongoUrl(),
        database,
        clientOptions: { serverSelectionTimeoutMS: 10_000 },
      }),
      cleanup: () => dropDatabase(database),
    };
  },
  { testTimeoutMs: 60_000 },
);

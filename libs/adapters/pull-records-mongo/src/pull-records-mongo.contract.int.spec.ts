import { describePullRecordsContract } from '@wharf/testing';
import { closeAdminClient, dropDatabase, mongoUrl, uniqueDatabase } from '../../mongo/src/mongo.test-support';
import { MongoPullRecordStore } from './pull-records-mongo.adapter';

afterAll(closeAdminClient);

describePullRecordsContract(
  'pull-records-mongo',
  async () => {
    const database = uniqueDatabase('wharf_pulls_');
    const connect = () =>
      MongoPullRecordStore.connect({ url: mongoUrl(), database, clientOptions: { serverSelectionTimeoutMS: 10_000 } });
    return {
      subject: await connect(),
      reopen: connect,
      cleanup: () => dropDatabase(database),
    };
  },
  { testTimeoutMs: 60_000 },
);

import { MongoClient } from 'mongodb';
import { MongoAccountStore } from '@wharf/adapters/account-store-mongo';
import { MongoChartIndexStore } from '@wharf/adapters/chart-index-mongo';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { DependencyUnavailableError, isOutage } from '@wharf/ports';
import { uniqueName } from '@wharf/testing';

function mongoUrl(): string {
  const url = process.env.WHARF_MONGO_URL;
  if (!url) throw new Error('WHARF_MONGO_URL is not set: run through the jest "int" project');
  return url;
}

/** A store whose client is gone answers as if MongoDB were down: the driver's own error, translated by the adapter. */
describe.each<[string, (database: string) => Promise<{ close(): Promise<void> }>, (store: never) => Promise<unknown>]>([
  [
    'metadata-mongo',
    (database) =>
      MongoMetadataStore.connect({ url: mongoUrl(), database, clientOptions: { serverSelectionTimeoutMS: 10_000 } }),
    (store: MongoMetadataStore) => store.get('ns/app'),
  ],
  [
    'chart-index-mongo',
    (database) =>
      MongoChartIndexStore.connect({ url: mongoUrl(), database, clientOptions: { serverSelectionTimeoutMS: 10_000 } }),
    (store: MongoChartIndexStore) => store.read('ns'),
  ],
  [
    'account-store-mongo',
    (database) =>
      MongoAccountStore.connect({ url: mongoUrl(), database, clientOptions: { serverSelectionTimeoutMS: 10_000 } }),
    (store: MongoAccountStore) => store.get('ns'),
  ],
])('%s, when MongoDB cannot be reached', (_name, connect, read) => {
  const database = uniqueName('wharf_outage_');

  afterAll(async () => {
    const admin = await new MongoClient(mongoUrl(), { serverSelectionTimeoutMS: 10_000 }).connect();
    try {
      await admin.db(database).dropDatabase();
    } finally {
      await admin.close();
    }
  });

  it("rejects with the ports' DependencyUnavailableError, the driver's error as its cause", async () => {
    const store = await connect(database);
    await store.close();

    const error = await read(store as never).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ dependency: 'MongoDB', cause: { name: expect.stringMatching(/^Mongo/) } });
    expect(isOutage(error)).toBe(true);
  });
});

import { MongoClient } from 'mongodb';
import { MongoAccountStore } from '@wharf/adapters/account-store-mongo';
import { MongoChartIndexStore } from '@wharf/adapters/chart-index-mongo';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { freePort, uniqueName } from '@wharf/testing';
import { MongoConnectionOptions, connectMongo } from './mongo-connection';

function mongoUrl(): string {
  const url = process.env.WHARF_MONGO_URL;
  if (!url) throw new Error('WHARF_MONGO_URL is not set: run through the jest "int" project');
  return url;
}

/** Every Mongo adapter opens its connection through connectMongo. */
const ADAPTERS: [string, (options: MongoConnectionOptions) => Promise<{ close(): Promise<void> }>][] = [
  ['metadata-mongo', (options) => MongoMetadataStore.connect(options)],
  ['chart-index-mongo', (options) => MongoChartIndexStore.connect(options)],
  ['account-store-mongo', (options) => MongoAccountStore.connect(options)],
];

describe('connectMongo', () => {
  let connects: jest.SpyInstance;
  let closes: jest.SpyInstance;

  beforeEach(() => {
    connects = jest.spyOn(MongoClient.prototype, 'connect');
    closes = jest.spyOn(MongoClient.prototype, 'close');
  });
  afterEach(() => jest.restoreAllMocks());

  it('refuses a collection prefix that could reach other collections, before connecting', async () => {
    await expect(
      connectMongo({ url: mongoUrl(), database: 'd', collectionPrefix: 'a.b' }, async () => 1),
    ).rejects.toThrow(/invalid collectionPrefix "a.b"/);
    expect(connects).not.toHaveBeenCalled();
  });

  it('refuses a missing database name, before connecting', async () => {
    await expect(connectMongo({ url: mongoUrl(), database: '' }, async () => 1)).rejects.toThrow(/database name/);
    expect(connects).not.toHaveBeenCalled();
  });

  it('closes the client when connecting fails', async () => {
    const url = `mongodb://127.0.0.1:${await freePort()}`;
    const open = jest.fn(async () => 1);

    await expect(
      connectMongo({ url, database: 'd', clientOptions: { serverSelectionTimeoutMS: 200 } }, open),
    ).rejects.toThrow();
    expect(open).not.toHaveBeenCalled();
    expect(closes).toHaveBeenCalledTimes(1);
  });

  it("closes the client when the store's setup fails, and rethrows its error", async () => {
    let opened: MongoClient | undefined;
    const failure = new Error('init failed');

    await expect(
      connectMongo(
        { url: mongoUrl(), database: uniqueName('wharf_conn_'), clientOptions: { serverSelectionTimeoutMS: 10_000 } },
        async ({ client }) => {
          opened = client;
          throw failure;
        },
      ),
    ).rejects.toBe(failure);
    expect(opened).toBeDefined();
    expect(closes.mock.contexts).toEqual([opened]);
  });

  it('hands over the connected client, the database and the prefix, and leaves the client open', async () => {
    const database = uniqueName('wharf_conn_');
    const connection = await connectMongo(
      { url: mongoUrl(), database, collectionPrefix: 'p_', clientOptions: { serverSelectionTimeoutMS: 10_000 } },
      async (c) => c,
    );
    try {
      expect(connection.prefix).toBe('p_');
      expect(connection.db.databaseName).toBe(database);
      expect(closes).not.toHaveBeenCalled();
      expect(await connection.db.command({ ping: 1 })).toMatchObject({ ok: 1 });
    } finally {
      await connection.client.close();
    }
  });

  describe.each(ADAPTERS)('%s', (_name, connect) => {
    it('refuses a collection prefix that could reach other collections', async () => {
      await expect(connect({ url: mongoUrl(), database: 'd', collectionPrefix: '../x' })).rejects.toThrow(
        /invalid collectionPrefix/,
      );
      expect(connects).not.toHaveBeenCalled();
    });

    it('closes its client when connecting fails', async () => {
      const url = `mongodb://127.0.0.1:${await freePort()}`;

      await expect(connect({ url, database: 'd', clientOptions: { serverSelectionTimeoutMS: 200 } })).rejects.toThrow();
      expect(closes).toHaveBeenCalledTimes(1);
    });
  });
});

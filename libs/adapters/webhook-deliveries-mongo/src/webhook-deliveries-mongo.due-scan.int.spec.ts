/**
 * What the due scan reads: the lanes' order fields of every pending delivery, and the bodies of
 * the deliveries it hands out only, so a failing subscription's backlog costs a tick its keys,
 * never its bodies.
 */
import { Collection, Document, FindCursor } from 'mongodb';
import { newDelivery } from '@wharf/testing';
import { closeAdminClient, dropDatabase, mongoUrl, uniqueDatabase } from '../../mongo/src/mongo.test-support';
import { MongoWebhookDeliveryStore } from './webhook-deliveries-mongo.adapter';

afterAll(closeAdminClient);

const BODY_BYTES = 16 * 1024;

describe('MongoWebhookDeliveryStore due scan', () => {
  let store: MongoWebhookDeliveryStore;
  const database = uniqueDatabase('wharf_webhooks_scan_');

  beforeAll(async () => {
    store = await MongoWebhookDeliveryStore.connect({
      url: mongoUrl(),
      database,
      clientOptions: { serverSelectionTimeoutMS: 10_000 },
    });
  });

  afterAll(async () => {
    await store.close();
    await dropDatabase(database);
  });

  it('should read the bodies of the deliveries it hands out, not of every pending one', async () => {
    const backlog = Array.from({ length: 40 }, (_, i) =>
      newDelivery({ subscription: 'w1', package: `acme/p${i % 4}`, body: `"${'x'.repeat(BODY_BYTES)}${i}"` }),
    );
    await store.enqueue(backlog, []);
    let bodyBytesRead = 0;
    const find = Collection.prototype.find;
    const spy = jest.spyOn(Collection.prototype, 'find').mockImplementation(function (
      this: Collection<Document>,
      ...args: Parameters<typeof find>
    ) {
      const cursor = find.apply(this, args) as FindCursor<Document>;
      const toArray = cursor.toArray.bind(cursor);
      cursor.toArray = async () => {
        const documents = await toArray();
        for (const d of documents) if (typeof d.body === 'string') bodyBytesRead += d.body.length;
        return documents;
      };
      return cursor;
    } as typeof find);
    try {
      const due = await store.due(new Date(Date.UTC(2030, 0, 1)).toISOString(), 2, new Set());
      expect(due).toHaveLength(2);
      expect(due.every((d) => d.body.length > BODY_BYTES)).toBe(true);
      expect(bodyBytesRead).toBe(due.reduce((sum, d) => sum + d.body.length, 0));
    } finally {
      spy.mockRestore();
    }
  });
});

/**
 * Smoke test of the MongoDB-wire server through the official mongodb driver
 * (the client Wharf's services use): insert/find and a unique index that
 * rejects a duplicate key with error 11000.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient, MongoServerError } from 'mongodb';
import { requireBackendEndpoints } from '../../libs/testing/src/backends/backend-endpoints';

interface PackageDoc {
  namespace: string;
  name: string;
  version: string;
  digest: string;
  labels: string[];
}

// Generous: the first call may wait for a freshly started server.
const TIMEOUT_MS = 120_000;
describe('smoke: MongoDB wire (mongodb driver)', () => {
  const { mongo: endpoint } = requireBackendEndpoints();
  const dbName = `wharf_smoke_${randomUUID().slice(0, 8)}`;
  const client = new MongoClient(endpoint.url, { serverSelectionTimeoutMS: 10_000 });

  beforeAll(async () => {
    await client.connect();
  }, TIMEOUT_MS);

  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  }, TIMEOUT_MS);

  it(
    'inserts, finds and enforces a unique index',
    async () => {
      const packages = client.db(dbName).collection<PackageDoc>('packages');
      const indexName = await packages.createIndex({ namespace: 1, name: 1, version: 1 }, { unique: true });
      const indexes = await packages.indexes();
      expect(indexes.find((i) => i.name === indexName)?.unique).toBe(true);

      const doc: PackageDoc = { namespace: 'acme', name: 'web', version: '1.0.0', digest: 'sha256:aa', labels: ['a'] };
      const inserted = await packages.insertOne({ ...doc });
      expect(inserted.acknowledged).toBe(true);
      await packages.insertMany([
        { ...doc, version: '1.1.0', digest: 'sha256:bb' },
        { ...doc, name: 'api', digest: 'sha256:cc', labels: ['a', 'b'] },
      ]);

      const found = await packages.findOne({ namespace: 'acme', name: 'web', version: '1.0.0' });
      expect(found).toMatchObject(doc);
      expect(found?._id).toEqual(inserted.insertedId);

      const webVersions = await packages
        .find({ namespace: 'acme', name: 'web' }, { projection: { _id: 0, version: 1 } })
        .sort({ version: -1 })
        .toArray();
      expect(webVersions).toEqual([{ version: '1.1.0' }, { version: '1.0.0' }]);
      expect(await packages.countDocuments({ labels: 'b' })).toBe(1);

      const duplicate = packages.insertOne({ ...doc, digest: 'sha256:dd' });
      await expect(duplicate).rejects.toBeInstanceOf(MongoServerError);
      await expect(duplicate).rejects.toMatchObject({ code: 11000 });
      expect(await packages.countDocuments({})).toBe(3);
    },
    TIMEOUT_MS,
  );
});

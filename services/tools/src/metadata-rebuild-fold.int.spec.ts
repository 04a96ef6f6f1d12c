/**
 * The metadata replay's bulk fold (metadata-rebuild-fold.ts, `MongoMetadataStore.putRebuilt`)
 * against the projector's own path, on the real engine: the same log, in the same batches
 * (packages spanning batches), folded into a rebuild's generation both ways; every document of
 * the generation (versions, heads, rows) must be equal, and after the switch each package reads
 * as the view the writer folded.
 */
import { Collection, MongoClient } from 'mongodb';
import type { StoredEvent } from '@wharf/contracts';
import { MongoMetadataStore, generationCollectionNames } from '@wharf/adapters/metadata-mongo';
import { KeyedMutex, MetadataProjector, PackageProjection, PackageWriter } from '@wharf/metadata';
import { InMemoryEventLog, InMemoryMetadataStore, eventually, uniqueName } from '@wharf/testing';
import { MetadataRebuildFold } from './metadata-rebuild-fold';
import { foldIntoMetadata } from './replay-targets';
import { writeHistory } from './replay-scenario.test-support';

const mongoUrl = () => {
  const url = process.env.WHARF_MONGO_URL;
  if (!url) throw new Error("WHARF_MONGO_URL is not set (the int project's globalSetup sets it)");
  return url;
};

/** A history through a package writer on in-memory ports: its events in log order, and the views. */
async function history(packages: string[]) {
  const log = new InMemoryEventLog();
  const store = new InMemoryMetadataStore();
  const locks = new KeyedMutex();
  const projection = new PackageProjection(store);
  const writer = new PackageWriter(log, store, projection, new MetadataProjector(log, projection, locks), locks);
  const views = await writeHistory(writer, packages, 4);
  const events: StoredEvent[] = [];
  const subscription = await log.subscribe({ group: 'collect', batchSize: 10_000 }, async (batch) => {
    events.push(...batch);
  });
  await eventually(async () => expect(await subscription.lag()).toBe(0));
  await subscription.stop();
  return { events, views };
}

describe('MetadataRebuildFold (bulk writes of a rebuild, FerretDB/MongoDB)', () => {
  const ns = uniqueName('ns');
  const packages = Array.from({ length: 12 }, (_, i) => `${ns}/app${i}`);
  const databases: string[] = [];
  const stores: MongoMetadataStore[] = [];
  let mongo: MongoClient;

  beforeAll(async () => {
    mongo = await new MongoClient(mongoUrl()).connect();
  });

  afterAll(async () => {
    for (const store of stores) await store.close();
    for (const database of databases) await mongo.db(database).dropDatabase();
    await mongo?.close();
  });

  /** A store on a database of its own, and a rebuild of it. */
  async function rebuildOnFreshDatabase() {
    const database = uniqueName('wharf_bulk_');
    databases.push(database);
    const store = await MongoMetadataStore.connect({ url: mongoUrl(), database, generationCacheMs: 0 });
    stores.push(store);
    return { database, store, rebuild: await store.rebuild() };
  }

  /** Every document of the generation's three collections, each sorted by `_id`. */
  async function generationDocuments(database: string, generation: number) {
    const names = generationCollectionNames('', generation);
    const all = async (collection: string) =>
      (await mongo.db(database).collection(collection).find({}).toArray()).sort((a, b) =>
        String(a._id) < String(b._id) ? -1 : 1,
      );
    return { versions: await all(names.versions), heads: await all(names.heads), rows: await all(names.rows) };
  }

  it("should store exactly the documents the projector path stores, batch for batch, and read back the writer's views", async () => {
    const { events, views } = await history(packages);
    // Batches of 23 events: most packages' histories (12 to 16 events) span two or three batches.
    const batches = Array.from({ length: Math.ceil(events.length / 23) }, (_, i) => events.slice(i * 23, i * 23 + 23));
    expect(batches.length).toBeGreaterThan(packages.length / 2);

    const slow = await rebuildOnFreshDatabase();
    for (const batch of batches) await foldIntoMetadata(slow.rebuild.store, batch);
    const carrying = await rebuildOnFreshDatabase();
    const carryingFold = new MetadataRebuildFold();
    for (const batch of batches) await carryingFold.apply(carrying.rebuild.store as MongoMetadataStore, batch);
    // Carrying nothing: every package seen before is read back from the generation.
    const reading = await rebuildOnFreshDatabase();
    const readingFold = new MetadataRebuildFold(0);
    for (const batch of batches) {
      await readingFold.apply(reading.rebuild.store as MongoMetadataStore, batch);
      // A batch delivered again (a consumer that did not commit) changes nothing.
      await readingFold.apply(reading.rebuild.store as MongoMetadataStore, batch);
    }

    const expected = await generationDocuments(slow.database, 1);
    expect(expected.versions.length).toBeGreaterThan(packages.length);
    expect(expected.versions.filter((v) => v.current === false).length).toBeGreaterThan(0);
    expect(await generationDocuments(carrying.database, 1)).toEqual(expected);
    expect(await generationDocuments(reading.database, 1)).toEqual(expected);

    for (const built of [slow, carrying, reading]) {
      await built.rebuild.switchOver();
      for (const pkg of packages) expect(await built.store.get(pkg)).toEqual(views.get(pkg));
    }
  });

  it('should store the head pointers of packages whose first write failed between their versions and their heads', async () => {
    const { events } = await history(packages);
    // The first batch holds each package's first two events, so every package it stores has later events.
    const seen = new Map<string, number>();
    const first: StoredEvent[] = [];
    const rest: StoredEvent[] = [];
    for (const event of events) {
      const count = seen.get(event.package) ?? 0;
      seen.set(event.package, count + 1);
      (count < 2 ? first : rest).push(event);
    }
    const batches = [
      first,
      ...Array.from({ length: Math.ceil(rest.length / 23) }, (_, i) => rest.slice(i * 23, i * 23 + 23)),
    ];
    expect(new Set(rest.map((e) => e.package)).size).toBe(packages.length);

    const slow = await rebuildOnFreshDatabase();
    for (const batch of batches) await foldIntoMetadata(slow.rebuild.store, batch);

    const failing = await rebuildOnFreshDatabase();
    const fold = new MetadataRebuildFold();
    const store = failing.rebuild.store as MongoMetadataStore;
    const headsName = generationCollectionNames('', 1).heads;
    const bulkWrite = Collection.prototype.bulkWrite;
    let failed = 0;
    const spy = jest.spyOn(Collection.prototype, 'bulkWrite').mockImplementation(function (
      this: Collection,
      ...args: Parameters<Collection['bulkWrite']>
    ) {
      if (this.collectionName === headsName && failed === 0) {
        failed++;
        return Promise.reject(new Error('the heads bulk write fails once'));
      }
      return bulkWrite.apply(this, args);
    });
    try {
      // The first batch stores its versions, then fails on the heads; delivered again, it is read back.
      await expect(fold.apply(store, batches[0]!)).rejects.toThrow(/fails once/);
      for (const batch of batches) await fold.apply(store, batch);
    } finally {
      spy.mockRestore();
    }
    expect(failed).toBe(1);
    expect(await generationDocuments(failing.database, 1)).toEqual(await generationDocuments(slow.database, 1));
  });

  it('should refuse a put whose expected sequence is not the stored one, and write only to a rebuild', async () => {
    const { store, rebuild } = await rebuildOnFreshDatabase();
    const fresh = rebuild.store as MongoMetadataStore;
    const { events } = await history([`${ns}/refused`]);
    await new MetadataRebuildFold().apply(fresh, events.slice(0, 3));
    const view = await fresh.get(`${ns}/refused`);
    const again = { view: { ...view!, sequence: view!.sequence + 1 }, changes: { published: [], deleted: [] } };
    await expect(fresh.putRebuilt([{ ...again, expectedSequence: 0 }])).rejects.toThrow();
    await expect(store.putRebuilt([{ ...again, expectedSequence: view!.sequence }])).rejects.toThrow(
      /rebuild's generation only/,
    );
    expect(await fresh.get(`${ns}/refused`)).toEqual(view);
  });
});

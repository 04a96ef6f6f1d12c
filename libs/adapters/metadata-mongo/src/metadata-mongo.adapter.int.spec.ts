/**
 * What the contract suite does not cover for this adapter: documents FerretDB/MongoDB would
 * refuse or misread (keys with `.` and `$`), filters that look like patterns or operators, the
 * indexes made at boot, and the compare-and-set under concurrent updates (which a plain
 * conditional update does not give on FerretDB v1), and what each operation asks of the server
 * (FerretDB v1 scans a collection for every filter but `_id` equality).
 */
import { MongoClient } from 'mongodb';
import type { CommandStartedEvent, Document } from 'mongodb';
import {
  PackageView,
  emptyPackageView,
  headFieldsOf,
  headFieldsOfHead,
  findManifest,
  helmManifestDigestOf,
  packageHead,
  summarizePackage,
} from '@wharf/domain';
import { DependencyUnavailableError } from '@wharf/ports';
import { packageView, packageViewAfter, releaseDeleted, releasePublished, uniqueName } from '@wharf/testing';
import {
  DIGESTS_COLLECTION,
  METADATA_COLLECTION,
  METADATA_INDEXES,
  MongoMetadataStore,
  PackageRowDocument,
  RETIRED_METADATA_INDEXES,
  ROWS_COLLECTION,
  ROWS_INDEX,
  digestId,
  PackageVersionDocument,
  literalPattern,
  rowId,
} from './metadata-mongo.adapter';
import {
  adminClient,
  closeAdminClient,
  dropDatabase,
  mongoUrl,
  uniqueDatabase,
} from '../../mongo/src/mongo.test-support';
import { MongoGenerations } from '@wharf/adapters/mongo';

const TIMEOUT = 60_000;

describe('MongoMetadataStore (adapter specifics)', () => {
  let database: string;
  let store: MongoMetadataStore;
  const connect = (collectionPrefix?: string) =>
    MongoMetadataStore.connect({
      url: mongoUrl(),
      database,
      collectionPrefix,
      clientOptions: { serverSelectionTimeoutMS: 10_000 },
    });
  const versions = async (prefix = '') =>
    (await adminClient()).db(database).collection<PackageVersionDocument>(`${prefix}${METADATA_COLLECTION}`);
  const headsCollection = async () => (await adminClient()).db(database).collection('package_heads');
  /** A package's first two views: one release, then two. */
  const firstTwoViews = (pkg: string) => ({
    v1: packageView(pkg, [releasePublished()]),
    v2: packageView(pkg, [releasePublished(), releasePublished({ release: '2.0.0' })]),
  });
  const listed = async (filter: Parameters<MongoMetadataStore['list']>[0]) =>
    (await store.list(filter)).map((s) => s.package);

  /** A command the store sent: its name, collection (prefix and generation pointer aside) and filters. */
  interface SentCommand {
    name: string;
    collection: string;
    filters: Document[];
  }
  /** A second store on the same database that records every command it sends after connecting. */
  const observedStore = async (): Promise<{ observed: MongoMetadataStore; sent: SentCommand[] }> => {
    const connectSpy = jest.spyOn(MongoClient.prototype, 'connect');
    try {
      const observed = await MongoMetadataStore.connect({
        url: mongoUrl(),
        database,
        clientOptions: { serverSelectionTimeoutMS: 10_000, monitorCommands: true },
      });
      const client = connectSpy.mock.contexts[0] as MongoClient;
      const sent: SentCommand[] = [];
      client.on('commandStarted', (event: CommandStartedEvent) => {
        const collection = String(event.command[event.commandName]);
        if (collection.endsWith('projection_generations')) return;
        const statements: Document[] = event.command.updates ?? event.command.deletes ?? [];
        const filters = event.command.filter ? [event.command.filter] : statements.map((statement) => statement.q);
        sent.push({ name: event.commandName, collection, filters });
      });
      return { observed, sent };
    } finally {
      connectSpy.mockRestore();
    }
  };
  const onlyById = (sent: SentCommand[]) =>
    sent.every((command) => command.filters.every((filter) => Object.keys(filter).join() === '_id'));

  beforeEach(async () => {
    database = uniqueDatabase();
    store = await connect();
  }, TIMEOUT);

  afterEach(async () => {
    await store.close();
    await dropDatabase(database);
  }, TIMEOUT);

  afterAll(closeAdminClient);

  it(
    'should round-trip a view whose metadata and chart annotations have keys with dots, dollars and odd characters, exactly',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const metadata = JSON.parse(
        '{"a.b":{"$gt":"","c.d.e":[{"$where":"1"},{"$set":{"x.y":null}}]},"$":1,"$$":"$","...":".","":"empty key",' +
          '"nul\\u0000key":"nul\\u0000value","__proto__":{"constructor":"x"},"unicode ✓":"\\ud83d\\udea2","big":1e300,"neg":-0.5}',
      );
      const view = packageView(pkg, [releasePublished({ release: '1.0.0', metadata })]);
      view.manifests[0].chart!.annotations = {
        'artifacthub.io/changes': '- kind: added\n  description: x',
        'artifacthub.io/links': '[]',
        $schema: 'https://example.com',
      };

      expect(await store.put(view, 0)).toBe(true);

      const got = await store.get(pkg);
      expect(got).toEqual(view);
      expect(JSON.stringify(got)).toBe(JSON.stringify(view));
      expect(await store.list({ namespace: view.namespace, limit: 10 })).toEqual([summarizePackage(view)]);
    },
    TIMEOUT,
  );

  it(
    'should match nameContains literally, including regular-expression syntax, and never read a filter as an operator',
    async () => {
      const ns = uniqueName('ns');
      for (const name of ['a.b-c_d', 'axb-c_d', 'plain'])
        expect(await store.put(packageView(`${ns}/${name}`, [releasePublished()]), 0)).toBe(true);

      expect(await listed({ namespace: ns, nameContains: '.', limit: 10 })).toEqual([`${ns}/a.b-c_d`]);
      expect(await listed({ namespace: ns, nameContains: 'a.b-c', limit: 10 })).toEqual([`${ns}/a.b-c_d`]);
      expect(await listed({ namespace: ns, nameContains: '-c_', limit: 10 })).toEqual([
        `${ns}/a.b-c_d`,
        `${ns}/axb-c_d`,
      ]);
      for (const pattern of [
        '.*',
        '[',
        ']',
        '[a-z]',
        'a.b-c_d$',
        '(?i)PLAIN',
        '\\Qplain\\E',
        '\\',
        '//',
        '{1}',
        'p{0,1}lain|x',
        '\0',
        'pl\0ain',
      ]) {
        expect(await listed({ namespace: ns, nameContains: pattern, limit: 10 })).toEqual([]);
      }
      for (const everything of ['', '/']) {
        expect(await listed({ namespace: ns, nameContains: everything, limit: 10 })).toEqual([
          `${ns}/a.b-c_d`,
          `${ns}/axb-c_d`,
          `${ns}/plain`,
        ]);
      }
      for (const value of ['$where', '{"$ne":null}', '.*', `${ns}.*`, '\0']) {
        expect(await listed({ namespace: value, limit: 10 })).toEqual([]);
        expect(await listed({ namespace: ns, mediaType: value, limit: 10 })).toEqual([]);
      }
      expect(
        (await listed({ visibleNamespaces: ['$where', '.*', '\0'], limit: 1000 })).filter((p) => p.startsWith(ns)),
      ).toHaveLength(3);
    },
    TIMEOUT,
  );

  it('should escape every ASCII punctuation character and NUL for the pattern', () => {
    expect(literalPattern('a.b*c')).toBe('a\\.b\\*c');
    expect(literalPattern('[x]{1}(y)|^$?+\\/')).toBe('\\[x\\]\\{1\\}\\(y\\)\\|\\^\\$\\?\\+\\\\\\/');
    expect(literalPattern('n\0l é')).toBe('n\\x00l é');
  });

  it(
    'should create its indexes at connect, and leave them as they are when init runs again or another store connects',
    async () => {
      const indexesNow = async () =>
        (await (await versions()).indexes())
          .map((i) => ({ name: i.name, key: i.key, unique: Boolean(i.unique) }))
          .sort((a, b) => a.name!.localeCompare(b.name!));
      const created = await indexesNow();
      for (const spec of METADATA_INDEXES) {
        expect(created).toContainEqual({ name: spec.name, key: spec.key, unique: Boolean(spec.unique) });
      }
      expect(created.find((i) => i.name === 'package_previous_sequence_unique')?.unique).toBe(true);
      expect(created.find((i) => i.name === 'package_sequence_unique')?.unique).toBe(true);

      await store.init();
      await store.init();
      const others = await Promise.all([connect(), connect()]);
      await Promise.all(others.map((s) => s.close()));

      expect(await indexesNow()).toEqual(created);
      const pkg = `${uniqueName('ns')}/app`;
      expect(await store.put(packageView(pkg, [releasePublished()]), 0)).toBe(true);
      expect(await store.count()).toBe(1);
    },
    TIMEOUT,
  );

  it(
    'should drop the indexes earlier versions created and nothing queries, also when several instances start at once',
    async () => {
      const collection = await versions();
      await collection.createIndex({ current: 1, active: 1, package: 1 }, { name: 'listing' });
      await collection.createIndex({ mediaTypes: 1, package: 1 }, { name: 'listing_by_media_type' });

      // two instances starting at once both find them
      const others = await Promise.all([connect(), connect(), connect()]);
      await Promise.all(others.map((s) => s.close()));
      await store.init();

      const names = (await collection.indexes()).map((i) => i.name);
      for (const retired of RETIRED_METADATA_INDEXES) expect(names).not.toContain(retired);
      for (const spec of METADATA_INDEXES) expect(names).toContain(spec.name);
    },
    TIMEOUT,
  );

  it(
    'should refuse to start on an index of its name with other options',
    async () => {
      const otherDatabase = uniqueDatabase();
      try {
        await (
          await adminClient()
        )
          .db(otherDatabase)
          .collection(METADATA_COLLECTION)
          .createIndex({ package: 1, previousSequence: 1 }, { name: 'package_previous_sequence_unique' });

        await expect(
          MongoMetadataStore.connect({
            url: mongoUrl(),
            database: otherDatabase,
            clientOptions: { serverSelectionTimeoutMS: 10_000 },
          }),
        ).rejects.toThrow(/package_previous_sequence_unique/);
      } finally {
        await dropDatabase(otherDatabase);
      }
    },
    TIMEOUT,
  );

  it(
    'should keep stores with different collection prefixes apart in one database',
    async () => {
      const other = await connect('tenant2_');
      try {
        const pkg = `${uniqueName('ns')}/app`;
        const mine = packageView(pkg, [releasePublished()]);
        const theirs = packageView(pkg, [releasePublished({ release: '2.0.0' })]);

        expect(await store.put(mine, 0)).toBe(true);
        expect(await other.put(theirs, 0)).toBe(true);

        expect(await store.get(pkg)).toEqual(mine);
        expect(await other.get(pkg)).toEqual(theirs);
        expect(await other.count()).toBe(1);
        expect(await (await versions('tenant2_')).countDocuments({})).toBe(1);
      } finally {
        await other.close();
      }
      await expect(MongoMetadataStore.connect({ url: mongoUrl(), database, collectionPrefix: 'a.b' })).rejects.toThrow(
        /collectionPrefix/,
      );
    },
    TIMEOUT,
  );

  it(
    'should let exactly one of concurrent updates with the same expectedSequence win',
    async () => {
      const ns = uniqueName('ns');
      for (let p = 0; p < 5; p++) {
        const pkg = `${ns}/app${p}`;
        const first = packageView(pkg, [releasePublished()]);
        expect(await store.put(first, 0)).toBe(true);
        const candidates = Array.from({ length: 6 }, (_, i) =>
          packageView(pkg, [releasePublished(), releasePublished({ release: `2.${i}.0` })]),
        );

        const results = await Promise.all(candidates.map((view) => store.put(view, first.sequence)));

        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.get(pkg)).toEqual(candidates[results.indexOf(true)]);
      }
      expect(await store.list({ namespace: ns, limit: 100 })).toHaveLength(5);
      expect(await store.count()).toBe(5);
    },
    TIMEOUT,
  );

  it(
    'should store every sequence exactly once when several writers race along the same chain',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const chain = Array.from({ length: 12 }, (_, i) =>
        packageView(
          pkg,
          Array.from({ length: i + 1 }, (_, k) => releasePublished({ release: `1.${k}.0` })),
        ),
      );
      const writer = async () => {
        let wins = 0;
        for (;;) {
          const stored = (await store.get(pkg))?.sequence ?? 0;
          if (stored >= chain.length) return wins;
          if (await store.put(chain[stored], stored)) wins++;
        }
      };

      const wins = await Promise.all(Array.from({ length: 4 }, writer));

      expect(wins.reduce((a, b) => a + b, 0)).toBe(chain.length);
      expect(await store.get(pkg)).toEqual(chain[chain.length - 1]);
      expect(await store.list({ nameContains: pkg, limit: 10 })).toEqual([summarizePackage(chain[chain.length - 1])]);
      const docs = await (await versions()).find({ package: pkg }).sort({ sequence: 1 }).toArray();
      expect(docs.map((d) => [d.previousSequence, d.sequence])).toEqual(chain.map((v, i) => [i, v.sequence]));
      expect(docs.filter((d) => d.current).map((d) => d.sequence)).toEqual([chain.length]);
    },
    TIMEOUT,
  );

  it(
    'should list and get only the newest version when a writer stopped before retiring the one it replaced',
    async () => {
      const ns = uniqueName('ns');
      const pkg = `${ns}/app`;
      const first = packageView(pkg, [releasePublished()]);
      expect(await store.put(first, 0)).toBe(true);
      // What a writer that died between its insert and the retire leaves behind: an emptied view.
      const emptied = packageView(pkg, [releasePublished(), releaseDeleted()]);
      await (
        await versions()
      ).insertOne({
        _id: `${pkg}@${first.sequence}`,
        package: pkg,
        previousSequence: first.sequence,
        sequence: emptied.sequence,
        current: true,
        active: false,
        namespace: emptied.namespace,
        visibility: emptied.visibility,
        mediaTypes: [],
        view: JSON.stringify(emptied),
        summary: JSON.stringify(summarizePackage(emptied)),
      });

      expect(await store.get(pkg)).toEqual(emptied);
      expect(
        await store.put(packageView(pkg, [releasePublished(), releasePublished({ release: '2.0.0' })]), first.sequence),
      ).toBe(false);
      expect(await listed({ namespace: ns, limit: 10 })).toEqual([]);
      expect(await store.count()).toBe(0);
      expect(await (await versions()).countDocuments({ package: pkg, current: true })).toBe(1);
    },
    TIMEOUT,
  );

  it(
    'should read the newest version when the head hint is stale, and store the next one after it',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const { v1, v2 } = firstTwoViews(pkg);
      expect(await store.put(v1, 0)).toBe(true);
      expect(await store.put(v2, v1.sequence)).toBe(true);
      const heads = await headsCollection();
      // As if the writer of v2 died before moving the hint: it still names the first version.
      await heads.updateOne({ _id: pkg } as never, { $set: { sequence: v1.sequence, version: `${pkg}@0` } });

      expect(await store.get(pkg)).toEqual(v2);
      expect(await store.put(packageView(pkg, [releasePublished()]), v1.sequence)).toBe(false);
      const v3 = packageView(pkg, [
        releasePublished(),
        releasePublished({ release: '2.0.0' }),
        releasePublished({ release: '3.0.0' }),
      ]);
      expect(await store.put(v3, v2.sequence)).toBe(true);
      expect(await store.get(pkg)).toEqual(v3);
    },
    TIMEOUT,
  );

  it(
    'should refuse invalid bounds and a view that does not advance the sequence instead of guessing',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const view: PackageView = packageView(pkg, [releasePublished()]);
      expect(await store.put(view, 0)).toBe(true);

      expect(await store.list({ limit: 0 })).toEqual([]);
      await expect(store.list({ limit: -1 })).rejects.toThrow(RangeError);
      await expect(store.list({ limit: 1.5 })).rejects.toThrow(RangeError);
      await expect(store.list({ limit: 10, offset: -1 })).rejects.toThrow(RangeError);
      await expect(store.put(view, view.sequence)).rejects.toThrow(RangeError);
      await expect(store.put(view, -1)).rejects.toThrow(RangeError);
      expect(await store.get(pkg)).toEqual(view);
    },
    TIMEOUT,
  );

  it(
    'should switch a rebuild over with the pointer document, seen by other instances within generationCacheMs, and drop the previous generation at the next rebuild',
    async () => {
      // FerretDB v1.24 refuses renameCollection with dropTarget (NotImplemented), hence generations.
      const other = await MongoMetadataStore.connect({
        url: mongoUrl(),
        database,
        generationCacheMs: 2000,
        clientOptions: { serverSelectionTimeoutMS: 10_000 },
      });
      try {
        const pkg = `${uniqueName('ns')}/app`;
        const old = packageView(pkg, [releasePublished()]);
        expect(await store.put(old, 0)).toBe(true);
        expect(await other.get(pkg)).toEqual(old);
        const rebuild = await store.rebuild();
        const rebuilt = packageView(pkg, [releasePublished(), releasePublished({ release: '2.0.0' })]);
        expect(await rebuild.store.put(rebuilt, 0)).toBe(true);
        const indexNames = async (collection: string) =>
          (await (await adminClient()).db(database).collection(collection).indexes()).map((i) => i.name).sort();
        // A rebuild's indexes are made at its switch, over the whole generation at once.
        expect(await indexNames('package_versions_g1')).toEqual(['_id_']);

        expect(await rebuild.switchOver()).toBe(1000);
        expect(await indexNames('package_versions_g1')).toEqual(
          ['_id_', ...METADATA_INDEXES.map((index) => index.name)].sort(),
        );
        expect(await indexNames('package_rows_g1')).toEqual(['_id_', ROWS_INDEX.name].sort());

        expect(await store.get(pkg)).toEqual(rebuilt);
        // The other instance still trusts the generation it read, for at most its cache time.
        expect(await other.get(pkg)).toEqual(old);
        await new Promise((resolve) => setTimeout(resolve, 2050));
        expect(await other.get(pkg)).toEqual(rebuilt);
        const names = async () =>
          (await (await adminClient()).db(database).listCollections({}, { nameOnly: true }).toArray())
            .map((c) => c.name)
            .sort();
        expect(await names()).toEqual([
          'package_digests',
          'package_digests_g1',
          'package_heads',
          'package_heads_g1',
          'package_rows',
          'package_rows_g1',
          'package_versions',
          'package_versions_g1',
          'projection_generations',
        ]);

        const next = await store.rebuild();
        // (A generation's collections appear with their first write; its digests' with the layout's mark.)
        expect(await names()).toEqual([
          'package_digests_g1',
          'package_digests_g2',
          'package_heads_g1',
          'package_rows_g1',
          'package_versions_g1',
          'projection_generations',
        ]);
        expect(await next.store.put(old, 0)).toBe(true);
        expect(await names()).toEqual([
          'package_digests_g1',
          'package_digests_g2',
          'package_heads_g1',
          'package_heads_g2',
          'package_rows_g1',
          'package_rows_g2',
          'package_versions_g1',
          'package_versions_g2',
          'projection_generations',
        ]);
        await next.abort();
        expect(await names()).toEqual([
          'package_digests_g1',
          'package_heads_g1',
          'package_rows_g1',
          'package_versions_g1',
          'projection_generations',
        ]);
        expect(await store.get(pkg)).toEqual(rebuilt);
      } finally {
        await other.close();
      }
    },
    TIMEOUT,
  );

  it(
    'should read a head with two lookups by _id (the head, and the successor it does not have), then by the successor lookup alone while it holds that head, a release with one more until it is kept at that head, and a whole view with a lookup by _id per row until it is cached',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const { v1, v2 } = firstTwoViews(pkg);
      expect(await store.put(v1, 0)).toBe(true);
      expect(await store.put(v2, v1.sequence)).toBe(true);
      const { observed, sent } = await observedStore();
      const lookups = [
        { name: 'find', collection: 'package_heads', filters: [{ _id: pkg }] },
        { name: 'find', collection: 'package_versions', filters: [{ _id: `${pkg}@${v2.sequence}` }] },
      ];
      // Once the head is held: the successor it does not have, the one lookup that says it is still the newest.
      const successor = lookups.slice(1);
      try {
        expect(await observed.getHead(pkg)).toEqual(packageHead(v2));
        expect(sent.splice(0)).toEqual(lookups);

        expect(await observed.getRelease(pkg, '2.0.0', 'helm')).toEqual({
          head: packageHead(v2),
          manifest: v2.manifests[1],
        });
        expect(sent.splice(0)).toEqual([
          ...successor,
          { name: 'find', collection: 'package_rows', filters: [{ _id: rowId(pkg, '2.0.0', 'helm') }] },
        ]);
        // The same release at the same head again: the successor lookup alone, the row kept from the last read.
        expect(await observed.getRelease(pkg, '2.0.0', 'helm')).toEqual({
          head: packageHead(v2),
          manifest: v2.manifests[1],
        });
        expect(sent.splice(0)).toEqual(successor);

        // By digest: the digest's document and the row, by `_id`; then, at the same head, the successor lookup alone.
        const digest = helmManifestDigestOf(v2.manifests[1]!)!;
        for (const reads of [
          [...successor, { name: 'find', collection: 'package_digests', filters: [{ _id: digestId(pkg, digest) }] }],
          successor,
        ]) {
          expect(await observed.getRelease(pkg, { helmManifestDigest: digest }, 'helm')).toEqual({
            head: packageHead(v2),
            manifest: v2.manifests[1],
          });
          expect(sent.splice(0)).toEqual(reads);
        }

        expect(await observed.get(pkg)).toEqual(v2);
        // Every row by key, never a filter FerretDB v1 answers by scanning the collection.
        expect(sent.splice(0)).toEqual([
          ...successor,
          ...packageHead(v2).releases.flatMap((r) =>
            r.mediaTypes.map((t) => ({
              name: 'find',
              collection: 'package_rows',
              filters: [{ _id: rowId(pkg, r.release, t) }],
            })),
          ),
        ]);
        expect(await observed.get(pkg)).toEqual(v2);
        expect(sent.splice(0)).toEqual(successor);

        // A later head (2.0.0 published again, changed): the row is read again, never the one kept.
        const { view: v3, changes } = packageViewAfter(v2, [
          releasePublished({ release: '2.0.0', metadata: { changed: true } }),
        ]);
        expect(await store.put(v3, v2.sequence, changes)).toBe(true);
        const again = await observed.getRelease(pkg, '2.0.0', 'helm');
        expect(again?.manifest).toEqual(v3.manifests.find((m) => m.release === '2.0.0'));
        expect(again?.manifest?.metadata).toEqual({ changed: true });
        // Another process's put is seen at once: the successor lookup finds it, the chain is
        // followed to the version with none, and the row is read at that head.
        expect(sent.splice(0)).toEqual([
          ...successor,
          { name: 'find', collection: 'package_versions', filters: [{ _id: `${pkg}@${v3.sequence}` }] },
          { name: 'find', collection: 'package_rows', filters: [{ _id: rowId(pkg, '2.0.0', 'helm') }] },
        ]);
        expect(await observed.getHead(pkg)).toEqual(packageHead(v3));
        expect(await observed.get(pkg)).toEqual(v3);
      } finally {
        await observed.close();
      }
    },
    TIMEOUT,
  );

  it(
    'should give a writer the whole view of a package it created or moved on without reading its rows',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const { observed, sent } = await observedStore();
      try {
        const first = packageViewAfter(emptyPackageView(pkg), [releasePublished()]);
        expect(await observed.put(first.view, 0, first.changes)).toBe(true);
        const second = packageViewAfter(first.view, [releasePublished({ release: '2.0.0' })]);
        expect(await observed.put(second.view, first.view.sequence, second.changes)).toBe(true);
        sent.length = 0;

        expect(await observed.get(pkg)).toEqual(second.view);

        expect(sent.map((command) => `${command.name} ${command.collection}`)).toEqual([
          'find package_heads',
          'find package_versions',
        ]);
      } finally {
        await observed.close();
      }
    },
    TIMEOUT,
  );

  it(
    'should parse a head once per sequence, and the next one after a put',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const { v1, v2 } = firstTwoViews(pkg);
      expect(await store.put(v1, 0)).toBe(true);
      const reader = await connect();
      try {
        const first = await reader.getHead(pkg);
        expect(await reader.getHead(pkg)).toBe(first);
        expect((await reader.getRelease(pkg, '1.0.0', 'helm'))?.head).toBe(first);

        expect(await store.put(v2, v1.sequence)).toBe(true);

        expect(await reader.getHead(pkg)).toEqual(packageHead(v2));
      } finally {
        await reader.close();
      }
    },
    TIMEOUT,
  );

  it(
    'should refuse to answer a release whose row is newer than the head, and answer none the head does not hold',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const { v1 } = firstTwoViews(pkg);
      expect(await store.put(v1, 0)).toBe(true);
      const rows = (await adminClient()).db(database).collection<PackageRowDocument>(ROWS_COLLECTION);
      // What a put leaves between its rows and its head: a forced 1.0.0 and a new 2.0.0, at sequence 2.
      const forced = { ...v1.manifests[0], metadata: 'forced' };
      for (const manifest of [forced, { ...forced, release: '2.0.0' }])
        await rows.replaceOne(
          { _id: rowId(pkg, manifest.release, 'helm') },
          {
            package: pkg,
            release: manifest.release,
            mediaType: 'helm',
            sequence: v1.sequence + 1,
            manifest: JSON.stringify(manifest),
          },
          { upsert: true },
        );

      await expect(store.getRelease(pkg, '1.0.0', 'helm')).rejects.toThrow(DependencyUnavailableError);
      expect(await store.getRelease(pkg, '2.0.0', 'helm')).toEqual({ head: packageHead(v1), manifest: null });
      // A whole view is no mixture either (a reader with no view of its own cached): refused, not
      // answered with the newer 1.0.0; and once the row is the head's again, answered.
      const reader = await MongoMetadataStore.connectReader({ url: mongoUrl(), database });
      try {
        await expect(reader.get(pkg)).rejects.toThrow(DependencyUnavailableError);
        await rows.replaceOne(
          { _id: rowId(pkg, '1.0.0', 'helm') },
          {
            package: pkg,
            release: '1.0.0',
            mediaType: 'helm',
            sequence: v1.sequence,
            manifest: JSON.stringify(v1.manifests[0]),
          },
        );
        expect(await reader.get(pkg)).toEqual(v1);
        // A row the head names that is gone (deleted by a put that moved the head on since): refused, not a 500.
        await rows.deleteOne({ _id: rowId(pkg, '1.0.0', 'helm') });
        const fresh = await MongoMetadataStore.connectReader({ url: mongoUrl(), database });
        try {
          await expect(fresh.get(pkg)).rejects.toThrow(DependencyUnavailableError);
        } finally {
          await fresh.close();
        }
      } finally {
        await reader.close();
      }
    },
    TIMEOUT,
  );

  it(
    'should read a package stored before rows from its view, and write all its rows at its next put',
    async () => {
      const ns = uniqueName('ns');
      const pkg = `${ns}/app`;
      const { v1 } = firstTwoViews(pkg);
      // As the adapter before rows stored it: the version and the head carry the whole view.
      await (
        await versions()
      ).insertOne({
        _id: `${pkg}@0`,
        package: pkg,
        previousSequence: 0,
        sequence: v1.sequence,
        current: true,
        active: true,
        namespace: ns,
        visibility: 'public',
        mediaTypes: ['helm'],
        view: JSON.stringify(v1),
        summary: JSON.stringify(summarizePackage(v1)),
      });
      await (
        await headsCollection()
      ).insertOne({ _id: pkg, sequence: v1.sequence, version: `${pkg}@0`, view: JSON.stringify(v1) } as never);

      expect(await store.get(pkg)).toEqual(v1);
      expect(await store.getHead(pkg)).toEqual(packageHead(v1));
      expect(await store.getRelease(pkg, '1.0.0', 'helm')).toEqual({
        head: packageHead(v1),
        manifest: v1.manifests[0],
      });
      expect(await listed({ namespace: ns, limit: 10 })).toEqual([pkg]);

      const next = packageViewAfter(v1, [releasePublished({ release: '2.0.0' })]);
      // A head and its changes cannot be stored onto a view without rows (the writer then puts the view).
      expect(await store.putHead(packageHead(next.view), v1.sequence, next.changes)).toBe(false);
      expect(await store.get(pkg)).toEqual(v1);
      expect(await store.put(next.view, v1.sequence, next.changes)).toBe(true);

      const fresh = await connect();
      try {
        expect(await fresh.get(pkg)).toEqual(next.view);
        expect(await fresh.getRelease(pkg, '1.0.0', 'helm')).toEqual({
          head: packageHead(next.view),
          manifest: v1.manifests[0],
        });
      } finally {
        await fresh.close();
      }
      expect(await (await headsCollection()).findOne({ _id: pkg } as never)).not.toHaveProperty('view');
    },
    TIMEOUT,
  );

  it(
    'should store the next version of a package after one read of its head, with every filter on _id alone, retiring the version it replaced',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const v1 = packageView(pkg, [releasePublished(), releasePublished({ release: '2.0.0' })]);
      expect(await store.put(v1, 0)).toBe(true);
      const { view: v2, changes } = packageViewAfter(v1, [
        releasePublished({ release: '3.0.0' }),
        releaseDeleted('2.0.0'),
      ]);
      const { observed, sent } = await observedStore();
      try {
        expect(await observed.put(v2, v1.sequence, changes)).toBe(true);
        expect(sent.map((command) => `${command.name} ${command.collection}`)).toEqual([
          'find package_heads',
          'update package_rows',
          'update package_digests',
          'insert package_versions',
          'update package_heads',
          'delete package_rows',
          'update package_versions',
        ]);
        expect(onlyById(sent)).toBe(true);
        // One row written (3.0.0), with its digest, and one deleted (2.0.0): not the package's other rows.
        expect(sent[1].filters).toEqual([{ _id: rowId(pkg, '3.0.0', 'helm') }]);
        expect(sent[2].filters).toEqual([
          { _id: digestId(pkg, helmManifestDigestOf(findManifest(v2, '3.0.0', 'helm')!)!) },
        ]);
        expect(sent[5].filters).toEqual([{ _id: rowId(pkg, '2.0.0', 'helm') }]);
      } finally {
        await observed.close();
      }
      const docs = await (await versions()).find({ package: pkg }).sort({ sequence: 1 }).toArray();
      expect(docs.map((d) => [d.sequence, d.current, typeof d.head])).toEqual([
        [v1.sequence, false, 'undefined'],
        [v2.sequence, true, 'string'],
      ]);
    },
    TIMEOUT,
  );

  it(
    'should store the next version without reading the head again when it has just read or written the version it replaces',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const { v1, v2 } = firstTwoViews(pkg);
      const v3 = packageView(pkg, [
        releasePublished(),
        releasePublished({ release: '2.0.0' }),
        releasePublished({ release: '3.0.0' }),
      ]);
      expect(await store.put(v1, 0)).toBe(true);
      const { observed, sent } = await observedStore();
      try {
        expect(await observed.get(pkg)).toEqual(v1);
        sent.length = 0;
        expect(await observed.put(v2, v1.sequence)).toBe(true); // the writer's read, then its put
        expect(await observed.put(v3, v2.sequence)).toBe(true); // its own last write
        expect(sent.map((command) => `${command.name} ${command.collection}`)).toEqual([
          ...['update package_rows', 'update package_digests', 'insert package_versions'],
          ...['update package_heads', 'update package_versions'],
          ...['update package_rows', 'update package_digests', 'insert package_versions'],
          ...['update package_heads', 'update package_versions'],
        ]);
        // another process moved the package on from v3: the exclusive insert still refuses a second successor
        const releases = (n: number) =>
          Array.from({ length: n }, (_, i) => releasePublished({ release: `${i + 1}.0.0` }));
        expect(await store.put(packageView(pkg, releases(4)), v3.sequence)).toBe(true);
        sent.length = 0;
        expect(await observed.put(packageView(pkg, releases(5)), v3.sequence)).toBe(false);
        expect(sent.map((command) => `${command.name} ${command.collection}`)).toEqual([
          'update package_rows',
          'update package_digests',
          'insert package_versions',
        ]);
      } finally {
        await observed.close();
      }
      expect((await store.get(pkg))?.sequence).toBe(4);
    },
    TIMEOUT,
  );

  it(
    'should list with one query, judging each package by its newest version and retiring by _id a superseded one it meets',
    async () => {
      const ns = uniqueName('ns');
      const pkg = `${ns}/app`;
      const other = packageView(`${ns}/other`, [releasePublished()]);
      const first = packageView(pkg, [releasePublished()]);
      expect(await store.put(other, 0)).toBe(true);
      expect(await store.put(first, 0)).toBe(true);
      // A newer, private version whose writer died before retiring the public one it replaced.
      const hidden: PackageView = {
        ...packageView(pkg, [releasePublished(), releasePublished({ release: '2.0.0' })]),
        visibility: 'private',
      };
      await (
        await versions()
      ).insertOne({
        _id: `${pkg}@${first.sequence}`,
        package: pkg,
        previousSequence: first.sequence,
        sequence: hidden.sequence,
        current: true,
        active: true,
        namespace: ns,
        visibility: 'private',
        mediaTypes: ['helm'],
        view: JSON.stringify(hidden),
        summary: JSON.stringify(summarizePackage(hidden)),
      });
      const { observed, sent } = await observedStore();
      try {
        expect(await observed.list({ namespace: ns, visibleNamespaces: [], limit: 10 })).toEqual([
          summarizePackage(other),
        ]);
        expect(sent.map((command) => `${command.name} ${command.collection}`)).toEqual([
          'find package_versions',
          'update package_versions',
        ]);
        expect(sent[1].filters).toEqual([{ _id: `${pkg}@0` }]);
        expect(await observed.list({ namespace: ns, visibleNamespaces: [ns], limit: 10 })).toEqual([
          summarizePackage(hidden),
          summarizePackage(other),
        ]);
      } finally {
        await observed.close();
      }
      expect(await (await versions()).countDocuments({ package: pkg, current: true })).toBe(1);
    },
    TIMEOUT,
  );

  it(
    'should read and extend a package whose head was written before heads carried views',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const { v1, v2 } = firstTwoViews(pkg);
      expect(await store.put(v1, 0)).toBe(true);
      const heads = await headsCollection();
      await heads.updateOne({ _id: pkg } as never, { $unset: { head: '', summary: '' } });

      expect(await store.get(pkg)).toEqual(v1);
      expect(await store.put(v2, v1.sequence)).toBe(true);
      expect(await store.get(pkg)).toEqual(v2);
      expect(await heads.findOne({ _id: pkg } as never)).toMatchObject({
        sequence: v2.sequence,
        head: JSON.stringify(headFieldsOfHead(packageHead(v2))),
        summary: JSON.stringify(summarizePackage(v2)),
      });
    },
    TIMEOUT,
  );

  it(
    'should find helm releases by digest in a database written when heads held the index of digests, or none, once the writer connects',
    async () => {
      const ns = uniqueName('ns');
      const indexedPkg = `${ns}/indexed`;
      const olderPkg = `${ns}/older`;
      const views = [indexedPkg, olderPkg].map((pkg) => firstTwoViews(pkg).v2);
      for (const view of views) expect(await store.put(view, 0)).toBe(true);
      const digestsOf = (view: PackageView) =>
        view.manifests
          .map((m) => ({ digest: helmManifestDigestOf(m)!, release: m.release }))
          .sort((a, b) => (a.digest < b.digest ? -1 : 1));
      // As the release before wrote them: the index in the head (and its version), or no index at all.
      const stored = [
        JSON.stringify({ ...headFieldsOf(views[0]!), helmManifestDigests: digestsOf(views[0]!) }),
        JSON.stringify(headFieldsOf(views[1]!)),
      ];
      for (const [i, view] of views.entries()) {
        await (await headsCollection()).updateOne({ _id: view.package } as never, { $set: { head: stored[i] } });
        await (await versions()).updateOne({ _id: `${view.package}@0` }, { $set: { head: stored[i] } });
      }
      await (await adminClient()).db(database).collection(DIGESTS_COLLECTION).deleteMany({});

      const reader = await MongoMetadataStore.connectReader({ url: mongoUrl(), database });
      try {
        const byDigest = (view: PackageView, at: number) =>
          reader.getRelease(view.package, { helmManifestDigest: digestsOf(view)[at]!.digest }, 'helm');
        // Before the writer migrates: the reader finds a head's indexed releases by that index, the older head's none.
        expect((await byDigest(views[0]!, 0))?.manifest).toEqual(
          findManifest(views[0]!, digestsOf(views[0]!)[0]!.release, 'helm'),
        );
        expect((await byDigest(views[1]!, 0))?.manifest).toBeNull();
        const writer = await connect();
        await writer.close();
        for (const view of views) {
          expect(await reader.getHead(view.package)).toEqual(packageHead(view));
          expect(await reader.get(view.package)).toEqual(view);
          for (const at of [0, 1]) {
            const { release } = digestsOf(view)[at]!;
            expect((await byDigest(view, at))?.manifest).toEqual(findManifest(view, release, 'helm'));
          }
        }
      } finally {
        await reader.close();
      }
    },
    TIMEOUT,
  );

  it(
    'should find by digest a helm release whose head a writer of the release before stored after the migration (the index in the head, no digest document), and after a new writer drops the index once the migration runs again',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const { v1, v2 } = firstTwoViews(pkg);
      // The store connected: the generation is marked as migrated. A writer of this release stores v1.
      expect(await (await adminClient()).db(database).collection(DIGESTS_COLLECTION).countDocuments({})).toBe(1);
      expect(await store.put(v1, 0)).toBe(true);
      const reader = await MongoMetadataStore.connectReader({ url: mongoUrl(), database });
      try {
        expect(await reader.getHead(pkg)).toEqual(packageHead(v1));
        // A writer of the release before stores v2 as it did: 2.0.0's row and its head with the
        // index of digests, no digest document (here: v2 put, then its document and head made so).
        expect(await store.put(v2, v1.sequence)).toBe(true);
        const added = findManifest(v2, '2.0.0', 'helm')!;
        const digest = helmManifestDigestOf(added)!;
        const index = v2.manifests
          .map((m) => ({ digest: helmManifestDigestOf(m)!, release: m.release }))
          .sort((a, b) => (a.digest < b.digest ? -1 : 1));
        const head = JSON.stringify({ ...headFieldsOf(v2), helmManifestDigests: index });
        await (
          await adminClient()
        )
          .db(database)
          .collection(DIGESTS_COLLECTION)
          .deleteOne({ _id: digestId(pkg, digest) as never });
        await (await headsCollection()).updateOne({ _id: pkg } as never, { $set: { head } });
        await (await versions()).updateOne({ _id: `${pkg}@${v1.sequence}` }, { $set: { head } });

        // Read twice: from the head's JSON, then from the head the reader holds (its successor's lookup only).
        for (let read = 0; read < 2; read++) {
          const found = await reader.getRelease(pkg, { helmManifestDigest: digest }, 'helm');
          expect(found?.manifest).toEqual(added);
          expect(found?.head).toEqual(packageHead(v2));
        }
        // A digest the index names for no release is still none.
        expect((await reader.getRelease(pkg, { helmManifestDigest: 'f'.repeat(64) }, 'helm'))?.manifest).toBeNull();

        // A writer of this release stores the next version without the index: 2.0.0 is lost to reads
        // by digest until the migration runs again (the mark deleted, a writer connecting), as
        // docs/operations.md tells operators to do once the last writer of the release before stopped.
        const { view: v3, changes } = packageViewAfter(v2, [releasePublished({ release: '3.0.0' })]);
        expect(await store.put(v3, v2.sequence, changes)).toBe(true);
        expect((await reader.getRelease(pkg, { helmManifestDigest: digest }, 'helm'))?.manifest).toBeNull();
        await (
          await adminClient()
        )
          .db(database)
          .collection(DIGESTS_COLLECTION)
          .deleteOne({ _id: 'layout:helm-digests' as never });
        const restarted = await connect();
        await restarted.close();
        expect((await reader.getRelease(pkg, { helmManifestDigest: digest }, 'helm'))?.manifest).toEqual(added);
      } finally {
        await reader.close();
      }
    },
    TIMEOUT,
  );

  it(
    'should answer a read from the generation live when it began, though the pointer moves on during the read',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const { v1, v2 } = firstTwoViews(pkg);
      expect(await store.put(v1, 0)).toBe(true);
      // The next generation holds the package a version further: a release whose row generation 0 lacks.
      const rebuild = await store.rebuild();
      expect(await rebuild.store.put(v1, 0)).toBe(true);
      expect(await rebuild.store.put(v2, v1.sequence)).toBe(true);
      const reader = await MongoMetadataStore.connectReader({ url: mongoUrl(), database });
      try {
        // The reader holds generation 0's head of the package.
        expect(await reader.get(pkg)).toEqual(v1);
        // The pointer read as 0 when the read begins, and as 1 from then on.
        const live = jest.spyOn(MongoGenerations.prototype, 'live').mockResolvedValueOnce(0).mockResolvedValue(1);
        try {
          expect(await reader.get(pkg)).toEqual(v1);
          expect(live).toHaveBeenCalledTimes(1);
          expect(await reader.get(pkg)).toEqual(v2);
        } finally {
          live.mockRestore();
        }
      } finally {
        await reader.close();
        await rebuild.abort();
      }
    },
    TIMEOUT,
  );

  it(
    'should close the client it created, once',
    async () => {
      const other = await connect();
      await other.close();
      await other.close();
      await expect(other.get('a/b')).rejects.toThrow();
    },
    TIMEOUT,
  );
});

/**
 * What the contract does not show: the commands a sync and a batch's changes send. A batch
 * continuing what this store recorded reads nothing, and writes its own rows whatever the
 * package's size.
 */
import { MongoClient } from 'mongodb';
import type { CommandStartedEvent } from 'mongodb';
import { chartVersionsOf, emptyPackageView } from '@wharf/domain';
import { chartChangesAfter, packageView, releasePublished, uniqueName } from '@wharf/testing';
import { closeAdminClient, dropDatabase, mongoUrl } from '../../mongo/src/mongo.test-support';
import { CHART_ROWS_COLLECTION, MongoChartIndexStore } from './chart-index-mongo.adapter';

const TIMEOUT = 60_000;

afterAll(closeAdminClient);

describe('MongoChartIndexStore (adapter specifics)', () => {
  const database = uniqueName('wharf_charts_');
  let store: MongoChartIndexStore;
  let client: MongoClient;
  const sent: string[] = [];

  beforeAll(async () => {
    const connectSpy = jest.spyOn(MongoClient.prototype, 'connect');
    try {
      store = await MongoChartIndexStore.connect({
        url: mongoUrl(),
        database,
        clientOptions: { serverSelectionTimeoutMS: 10_000, monitorCommands: true },
      });
      client = connectSpy.mock.contexts[0] as MongoClient;
      client.on('commandStarted', (event: CommandStartedEvent) => {
        const collection = String(event.command[event.commandName]);
        if (!collection.endsWith('projection_generations')) sent.push(`${event.commandName} ${collection}`);
      });
    } finally {
      connectSpy.mockRestore();
    }
  }, TIMEOUT);

  afterAll(async () => {
    await store.close();
    await dropDatabase(database);
  }, TIMEOUT);

  it(
    "should record a batch's changes continuing its own last batch without reading, in four commands by key whatever the package's size",
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const seeded = chartVersionsOf(
        packageView(
          pkg,
          Array.from({ length: 200 }, (_, i) => releasePublished({ release: `1.0.${i}` })),
        ),
      );
      expect(await store.sync(seeded)).toBe(true);
      const view = packageView(
        pkg,
        Array.from({ length: 200 }, (_, i) => releasePublished({ release: `1.0.${i}` })),
      );
      const push = chartChangesAfter(view, [releasePublished({ release: '2.0.0' })]);
      sent.length = 0;
      const inserted: number[] = [];
      const counting = (event: CommandStartedEvent) => {
        if (event.commandName === 'insert') inserted.push((event.command.documents as unknown[]).length);
      };
      client.on('commandStarted', counting);

      expect(await store.applyChanges(push.changes)).toBe('applied');

      client.off('commandStarted', counting);
      expect(sent.splice(0)).toEqual([
        'insert chart_rows',
        'insert chart_batches',
        'update chart_pointers',
        'delete chart_batches',
      ]);
      expect(inserted).toEqual([1, 1]);
      expect(await store.applyChanges(push.changes)).toBe('stale');
      expect(sent).toEqual([]);
      expect((await store.read(pkg.split('/')[0])).versions).toHaveLength(201);
      // Another process (no memory of this package) reads the batch it continues, by key.
      const other = await MongoChartIndexStore.connect({
        url: mongoUrl(),
        database,
        clientOptions: { serverSelectionTimeoutMS: 10_000 },
      });
      try {
        const next = chartChangesAfter(push.view, [releasePublished({ release: '2.0.1' })]);
        expect(await other.applyChanges(next.changes)).toBe('applied');
        const skipped = chartChangesAfter(
          chartChangesAfter(emptyPackageView(`${pkg}x`), [releasePublished({ release: '1.0.0' })]).view,
          [releasePublished({ release: '1.0.1' })],
        );
        expect(await other.applyChanges(skipped.changes)).toBe('behind');
      } finally {
        await other.close();
      }
      expect((await store.read(pkg.split('/')[0])).versions).toHaveLength(202);
    },
    TIMEOUT,
  );

  it(
    'should read a package head once, then record its next states without reading it, and ignore a state it recorded',
    async () => {
      const pkg = `${uniqueName('ns')}/app`;
      const states = [1, 2, 3].map((n) =>
        chartVersionsOf(
          packageView(
            pkg,
            Array.from({ length: n }, (_, i) => releasePublished({ release: `1.0.${i}` })),
          ),
        ),
      );

      sent.length = 0;
      expect(await store.sync(states[0])).toBe(true);
      expect(sent.splice(0)).toEqual([
        'find chart_pointers',
        'insert chart_rows',
        'insert chart_batches',
        'update chart_pointers',
      ]);
      expect(await store.sync(states[1])).toBe(true);
      expect(await store.sync(states[2])).toBe(true);
      expect(sent.filter((command) => command.startsWith('find'))).toEqual([]);
      sent.length = 0;
      expect(await store.sync(states[1])).toBe(false);
      expect(sent).toEqual([]);
      expect((await store.read(pkg.split('/')[0])).versions.map((v) => v.version)).toEqual(['1.0.0', '1.0.1', '1.0.2']);
    },
    TIMEOUT,
  );

  it(
    'should record what the layout before rows wrote when a writer connects, and drop its collections',
    async () => {
      const legacy = uniqueName('wharf_charts_legacy_');
      const ns = uniqueName('ns');
      const app = [
        releasePublished({ release: '1.0.0' }),
        releasePublished({ release: '2.0.0', visibility: 'private' }),
      ];
      const states = [
        chartVersionsOf(packageView(`${ns}/app`, app.slice(0, 1))),
        chartVersionsOf(packageView(`${ns}/app`, app)),
        chartVersionsOf(packageView(`${ns}/tool`, [releasePublished({ release: '0.1.0' })])),
      ];
      // The documents the adapter before rows wrote for these syncs (the first one superseded, not yet deleted).
      const db = client.db(legacy);
      for (const charts of states) {
        const id = `${charts.package}@${charts.sequence}`;
        const { versions, ...fields } = charts;
        await db
          .collection<Record<string, unknown> & { _id: string }>('chart_packages')
          .insertOne({ _id: id, ...fields, versions: JSON.stringify(versions) });
        await db
          .collection<Record<string, unknown> & { _id: string }>('chart_marks')
          .insertOne({ _id: id, package: charts.package, namespace: charts.namespace, sequence: charts.sequence });
        await db
          .collection<Record<string, unknown> & { _id: string }>('chart_heads')
          .updateOne({ _id: charts.package }, { $max: { sequence: charts.sequence } }, { upsert: true });
      }
      const expected = states
        .slice(1)
        .flatMap((charts) => charts.versions.map((v) => ({ ...v, visibility: charts.visibility })))
        .sort((a, b) => `${a.name}@${a.version}`.localeCompare(`${b.name}@${b.version}`));
      const connectLegacy = () =>
        MongoChartIndexStore.connect({
          url: mongoUrl(),
          database: legacy,
          clientOptions: { serverSelectionTimeoutMS: 10_000 },
        });
      try {
        const upgraded = await connectLegacy();
        try {
          const read = await upgraded.read(ns);
          expect(
            read.versions.sort((a, b) => `${a.name}@${a.version}`.localeCompare(`${b.name}@${b.version}`)),
          ).toEqual(expected);
          const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
          expect(names.filter((name) => /^chart_(packages|marks|heads)/.test(name))).toEqual([]);
          // The package goes on from its migrated state, by changes.
          const next = chartChangesAfter(packageView(`${ns}/app`, app), [releasePublished({ release: '3.0.0' })]);
          expect(await upgraded.applyChanges(next.changes)).toBe('applied');
        } finally {
          await upgraded.close();
        }
        const again = await connectLegacy();
        try {
          expect((await again.read(ns)).versions.map((v) => `${v.name}@${v.version}`).sort()).toEqual([
            'app@1.0.0',
            'app@2.0.0',
            'app@3.0.0',
            'tool@0.1.0',
          ]);
        } finally {
          await again.close();
        }
      } finally {
        await dropDatabase(legacy);
      }
    },
    TIMEOUT,
  );

  it(
    'should not read the rows of a batch that is not committed (a writer stopped between its rows and its batch)',
    async () => {
      const ns = uniqueName('ns');
      const pkg = `${ns}/app`;
      const first = chartChangesAfter(emptyPackageView(pkg), [releasePublished({ release: '1.0.0' })]);
      expect(await store.applyChanges(first.changes)).toBe('applied');
      const next = chartChangesAfter(first.view, [releasePublished({ release: '2.0.0' })]);
      const row = next.changes.published[0]!;
      await client
        .db(database)
        .collection<Record<string, unknown> & { _id: string }>(CHART_ROWS_COLLECTION)
        .insertOne({
          _id: `${pkg}@${row.version}@${next.changes.sequence}`,
          package: pkg,
          namespace: ns,
          version: row.version,
          sequence: next.changes.sequence,
          record: JSON.stringify(row),
        });

      expect((await store.read(ns)).versions.map((v) => v.version)).toEqual(['1.0.0']);
      // The batch's own write (the same row again) commits it.
      expect(await store.applyChanges(next.changes)).toBe('applied');
      expect((await store.read(ns)).versions.map((v) => v.version).sort()).toEqual(['1.0.0', '2.0.0']);
    },
    TIMEOUT,
  );
});

/**
 * What the contract does not show: the commands a sync sends. A sync of a package this store
 * recorded before does not read the package's head again.
 */
import { MongoClient } from 'mongodb';
import type { CommandStartedEvent } from 'mongodb';
import { chartVersionsOf } from '@wharf/domain';
import { packageView, releasePublished, uniqueName } from '@wharf/testing';
import { closeAdminClient, dropDatabase, mongoUrl } from '../../mongo/src/mongo.test-support';
import { MongoChartIndexStore } from './chart-index-mongo.adapter';

const TIMEOUT = 60_000;

afterAll(closeAdminClient);

describe('MongoChartIndexStore (adapter specifics)', () => {
  const database = uniqueName('wharf_charts_');
  let store: MongoChartIndexStore;
  const sent: string[] = [];

  beforeAll(async () => {
    const connectSpy = jest.spyOn(MongoClient.prototype, 'connect');
    try {
      store = await MongoChartIndexStore.connect({
        url: mongoUrl(),
        database,
        clientOptions: { serverSelectionTimeoutMS: 10_000, monitorCommands: true },
      });
      (connectSpy.mock.contexts[0] as MongoClient).on('commandStarted', (event: CommandStartedEvent) => {
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

      expect(await store.sync(states[0])).toBe(true);
      expect(sent.splice(0)).toEqual([
        'find chart_heads',
        'insert chart_packages',
        'insert chart_marks',
        'update chart_heads',
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
});

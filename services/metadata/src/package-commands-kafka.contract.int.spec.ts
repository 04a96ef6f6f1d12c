/**
 * The PackageCommands contract against the distributed profile's bus: the gateway's
 * KafkaCommandClient, over real Kafka, to a KafkaCommandServer in front of the package writer
 * on the metadata service's own adapters (KafkaEventLog, MongoMetadataStore). Each test has its
 * own topics and database.
 */
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { KafkaCommandBusOptions, KafkaCommandClient, KafkaCommandServer } from '@wharf/adapters/commands-kafka';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { releaseNames } from '@wharf/domain';
import {
  commandMeta,
  deleteKafkaPrefix,
  describePackageCommandsContract,
  eventEnvelopes,
  eventually,
  pushRelease,
  uniqueName,
} from '@wharf/testing';
import { KeyedMutex } from './keyed-mutex';
import { MetadataProjector } from './metadata-projector';
import { PackageProjection } from './package-projection';
import { PackageWriter } from './package-writer';

const PARTITIONS = 4;
/** Events per append while seeding: one append is one Kafka record batch, bounded like a message. */
const SEED_BATCH = 500;

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the int project's globalSetup sets it)`);
  return value;
};

let mongo: MongoClient;
beforeAll(async () => {
  mongo = await new MongoClient(env('WHARF_MONGO_URL'), { serverSelectionTimeoutMS: 10_000 }).connect();
});
afterAll(() => mongo?.close());

/** The metadata service's end of the bus on fresh topics and a fresh database: the writer behind a KafkaCommandServer. */
async function writerBehindKafka(shared?: { prefix: string; database: string }) {
  const brokers = env('WHARF_KAFKA_BROKERS').split(',');
  const prefix = shared?.prefix ?? `${uniqueName('t')}.`;
  const database = shared?.database ?? uniqueName('wharf_commands_');
  const bus: KafkaCommandBusOptions = {
    brokers,
    clientId: 'wharf-commands-test',
    topicPrefix: prefix,
    partitions: PARTITIONS,
    replicationFactor: 1,
  };
  const log = new KafkaEventLog({
    brokers,
    clientId: 'wharf-commands-test-log',
    topicPrefix: prefix,
    partitions: PARTITIONS,
    replicationFactor: 1,
    retryDelayMs: 50,
  });
  const store = await MongoMetadataStore.connect({
    url: env('WHARF_MONGO_URL'),
    database,
    clientOptions: { serverSelectionTimeoutMS: 10_000 },
  });
  const locks = new KeyedMutex();
  const projection = new PackageProjection(store);
  const writer = new PackageWriter(log, store, projection, new MetadataProjector(log, projection, locks), locks);
  const unexpected: unknown[] = [];
  const server = new KafkaCommandServer(bus, writer, (error) => unexpected.push(error));
  return {
    prefix,
    database,
    bus,
    log,
    store,
    projection,
    server,
    unexpected,
    client: (replyTimeoutMs = 20_000) => new KafkaCommandClient({ ...bus, replyTimeoutMs }),
    close: async () => {
      await server.close();
      await log.close();
      await store.close();
    },
    cleanup: async () => {
      await deleteKafkaPrefix(brokers, prefix);
      await mongo.db(database).dropDatabase();
    },
  };
}

describePackageCommandsContract(
  'commands-kafka',
  async () => {
    const end = await writerBehindKafka();
    const client = end.client();
    try {
      await end.server.start();
      await client.start();
    } catch (error) {
      // A fixture that failed to start leaves nothing open (Jest would not exit).
      await client.close().catch(() => undefined);
      await end.close().catch(() => undefined);
      await end.cleanup().catch(() => undefined);
      throw error;
    }

    return {
      subject: {
        execute: (command) => client.execute(command),
        close: async () => {
          await client.close();
          await end.close();
          expect(end.unexpected).toEqual([]);
        },
      },
      read: (pkg) => end.store.get(pkg),
      seed: async (pkg, events) => {
        const envelopes = eventEnvelopes(pkg, 0, events);
        for (let from = 0; from < envelopes.length; from += SEED_BATCH)
          await end.log.append(pkg, from, envelopes.slice(from, from + SEED_BATCH));
        await end.projection.apply(pkg, envelopes, null);
      },
      awaitingReplies: () => client.awaitingReplies,
      cleanup: end.cleanup,
    };
  },
  { testTimeoutMs: 60_000 },
);

/**
 * Brand-new topics, and commands sent before any writer has joined its group: the start-up race
 * where the writers' group began at the latest offset and skipped them (the gateway answered 503
 * after its timeout). Each test has topics, a group and a database of its own.
 */
describe('KafkaCommandServer on brand-new topics', () => {
  let end: Awaited<ReturnType<typeof writerBehindKafka>>;
  let clients: KafkaCommandClient[] = [];
  beforeEach(async () => {
    end = await writerBehindKafka();
    clients = [];
  }, 60_000);
  afterEach(async () => {
    for (const client of clients) await client.close();
    await end.close();
    await end.cleanup();
  }, 60_000);
  const startedClient = async (replyTimeoutMs?: number) => {
    const client = end.client(replyTimeoutMs);
    clients.push(client);
    await client.start();
    return client;
  };
  let ids = 0;
  const meta = () => ({ meta: commandMeta({ commandId: `${uniqueName('cmd')}-${++ids}` }) });

  it('should apply a command sent before the first writer joined, once', async () => {
    const client = await startedClient();
    const pkg = `${uniqueName('n')}/app`;

    const answer = client.execute(pushRelease({ package: pkg, release: '1.0.0', ...meta() }));
    await end.server.start();

    await expect(answer).resolves.toEqual({ sequences: [1], visibility: 'public' });
    expect(releaseNames((await end.store.get(pkg))!)).toEqual(['1.0.0']);
    expect(end.unexpected).toEqual([]);
  }, 60_000);

  it('should answer a command read after its deadline as expired, and not apply it', async () => {
    const impatient = await startedClient(1_000);
    const pkg = `${uniqueName('n')}/app`;
    await expect(impatient.execute(pushRelease({ package: pkg, release: '1.0.0', ...meta() }))).rejects.toMatchObject({
      code: 'service-unavailable',
    });

    await end.server.start();
    // Same package, same partition, later offset: once this is answered the stale one was read.
    const patient = await startedClient();
    const fresh = await patient.execute(pushRelease({ package: pkg, release: '2.0.0', ...meta() }));

    expect(fresh.sequences).toEqual([1]);
    expect(releaseNames((await end.store.get(pkg))!)).toEqual(['2.0.0']);
    expect(end.unexpected).toEqual([]);
  }, 60_000);
});

describe('KafkaCommandClient replies', () => {
  it('should read only its own partition of the replies topic, and get every answer from it', async () => {
    const end = await writerBehindKafka();
    const clients = [end.client(), end.client(), end.client()];
    const admin = new Kafka({
      brokers: end.bus.brokers,
      clientId: 'wharf-commands-test-admin',
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await end.server.start();
      for (const client of clients) await client.start();
      await admin.connect();

      const [replies] = (await admin.fetchTopicMetadata({ topics: [`${end.prefix}replies`] })).topics;
      const groups = (await admin.listGroups()).groups
        .map((g) => g.groupId)
        .filter((id) => id.startsWith(`${end.prefix}gateway-`));
      const held = (await admin.describeGroups(groups)).groups.map((g) =>
        g.members.flatMap(
          (m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[replies!.name] ?? [],
        ),
      );
      const answers = await Promise.all(
        clients.map((client, i) =>
          client.execute(
            pushRelease({
              package: `${uniqueName('n')}/app`,
              release: '1.0.0',
              meta: commandMeta({ commandId: `${uniqueName('cmd')}-${i}` }),
            }),
          ),
        ),
      );

      expect(replies!.partitions).toHaveLength(PARTITIONS);
      expect(held).toEqual([[expect.any(Number)], [expect.any(Number)], [expect.any(Number)]]);
      expect(answers.map((a) => a.sequences)).toEqual([[1], [1], [1]]);
    } finally {
      await admin.disconnect();
      for (const client of clients) await client.close();
      await end.close();
      await end.cleanup();
    }
  }, 90_000);
});

/**
 * Two writers in one group, as two metadata replicas: a namespace's storage quota still holds
 * when its packages' pushes arrive at once. The reservations are per process; commands keyed by
 * package spread a namespace over both writers, which each admitted pushes into the same free
 * space.
 */
describe('Two KafkaCommandServers in one group', () => {
  it("should admit no more of a namespace's concurrent pushes into different packages than its quota holds", async () => {
    const first = await writerBehindKafka();
    const second = await writerBehindKafka({ prefix: first.prefix, database: first.database });
    const client = first.client();
    try {
      await Promise.all([first.server.start(), second.server.start()]);
      await expectGroupOfTwo(first.bus);
      await client.start();
      const namespace = uniqueName('q');
      const packages = Array.from({ length: 16 }, (_, i) => `${namespace}/app${i}`);

      const outcomes = await Promise.all(
        packages.map((pkg, i) =>
          client
            .execute(
              pushRelease({
                package: pkg,
                release: '1.0.0',
                namespaceQuotaBytes: 3_500,
                content: { size: 1_000 },
                meta: commandMeta({ commandId: `${namespace}-${i}` }),
              }),
            )
            .then(
              () => 'ok',
              (error: { code?: string }) => error.code,
            ),
        ),
      );

      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(3);
      expect(outcomes.filter((o) => o !== 'ok')).toEqual(Array(13).fill('quota-exceeded'));
      expect([...first.unexpected, ...second.unexpected]).toEqual([]);
    } finally {
      await client.close();
      await second.close();
      await first.close();
      await first.cleanup();
    }
  }, 90_000);
});

/** Waits until both writers hold partitions of the commands topic. */
async function expectGroupOfTwo(bus: KafkaCommandBusOptions): Promise<void> {
  const admin = new Kafka({
    brokers: bus.brokers,
    clientId: 'wharf-commands-test-admin',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await eventually(async () => {
      const [group] = (await admin.describeGroups([`${bus.topicPrefix}metadata-writers`])).groups;
      expect(group.state).toBe('Stable');
      const held = group.members.map(
        (m) =>
          Object.values(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}).flat().length,
      );
      expect(held).toEqual([expect.any(Number), expect.any(Number)]);
      expect(Math.min(...held)).toBeGreaterThan(0);
    }, 30_000);
  } finally {
    await admin.disconnect();
  }
}

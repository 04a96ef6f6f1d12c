/**
 * The PackageCommands contract against the distributed profile's bus: the gateway's
 * KafkaCommandClient, over real Kafka, to a KafkaCommandServer in front of the package writer
 * on the metadata service's own adapters (KafkaEventLog, MongoMetadataStore). Each test has its
 * own topics and database.
 */
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import {
  KafkaCommandBusOptions,
  KafkaCommandClient,
  KafkaCommandServer,
  commandTopics,
  ensureCommandTopics,
} from '@wharf/adapters/commands-kafka';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { deleteKafkaPrefix, describePackageCommandsContract, eventEnvelopes, uniqueName } from '@wharf/testing';
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

describePackageCommandsContract(
  'commands-kafka',
  async () => {
    const brokers = env('WHARF_KAFKA_BROKERS').split(',');
    const prefix = `${uniqueName('t')}.`;
    const database = uniqueName('wharf_commands_');
    const bus: KafkaCommandBusOptions = {
      brokers,
      clientId: 'wharf-commands-test',
      topicPrefix: prefix,
      partitions: PARTITIONS,
      replicationFactor: 1,
    };
    await startWritersAtTheBeginning(bus);

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
    const client = new KafkaCommandClient({ ...bus, replyTimeoutMs: 20_000 });
    await server.start();
    await client.start();

    return {
      subject: {
        execute: (command) => client.execute(command),
        close: async () => {
          await client.close();
          await server.close();
          await log.close();
          await store.close();
          expect(unexpected).toEqual([]);
        },
      },
      read: (pkg) => store.get(pkg),
      seed: async (pkg, events) => {
        const envelopes = eventEnvelopes(pkg, 0, events);
        for (let from = 0; from < envelopes.length; from += SEED_BATCH)
          await log.append(pkg, from, envelopes.slice(from, from + SEED_BATCH));
        await projection.apply(pkg, envelopes, null);
      },
      awaitingReplies: () => client.awaitingReplies,
      cleanup: async () => {
        await deleteKafkaPrefix(brokers, prefix);
        await mongo.db(database).dropDatabase();
      },
    };
  },
  { testTimeoutMs: 60_000 },
);

/**
 * The writers' group starts at the latest offset when it has none committed, and the server's
 * start does not wait for its partitions: a command sent to fresh topics right after start could
 * be skipped. Committing offset 0 first makes the group read every command sent.
 */
async function startWritersAtTheBeginning(bus: KafkaCommandBusOptions): Promise<void> {
  const admin = new Kafka({
    brokers: bus.brokers,
    clientId: 'wharf-commands-test-admin',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await ensureCommandTopics(admin, bus);
    await admin.setOffsets({
      groupId: `${bus.topicPrefix}metadata-writers`,
      topic: commandTopics(bus.topicPrefix!).commands,
      partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, offset: '0' })),
    });
  } finally {
    await admin.disconnect();
  }
}

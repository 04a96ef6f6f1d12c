/**
 * Test fixture for the Kafka event log (int tier): a log on its own topic prefix against the
 * broker of WHARF_KAFKA_BROKERS, and a cleanup that deletes its topics and consumer groups.
 */
import { Admin, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { uniqueName } from '@wharf/testing';
import type { EventLogFixture } from '@wharf/testing';
// The endpoint helper is not exported by @wharf/testing's index (it is for the int tier only).
import { requireBackendEndpoints } from '../../../testing/src/backends/backend-endpoints';
import { KafkaEventLog, KafkaEventLogOptions } from './event-log-kafka.adapter';

export interface KafkaEventLogFixture extends EventLogFixture {
  subject: KafkaEventLog;
  options: KafkaEventLogOptions;
  admin(): Promise<Admin>;
}

export async function kafkaEventLogFixture(
  overrides: Partial<KafkaEventLogOptions> = {},
): Promise<KafkaEventLogFixture> {
  const { kafka: endpoint } = requireBackendEndpoints();
  const options: KafkaEventLogOptions = {
    brokers: endpoint.brokers,
    clientId: 'wharf-event-log-test',
    topicPrefix: `${uniqueName('t')}.`,
    partitions: 12,
    replicationFactor: 1,
    retryDelayMs: 50,
    ...overrides,
  };
  const log = new KafkaEventLog(options);
  try {
    await log.init();
  } catch (error) {
    await log.close();
    throw error;
  }
  const kafka = new Kafka({
    brokers: options.brokers,
    clientId: 'wharf-event-log-test-tools',
    logLevel: logLevel.NOTHING,
  });
  let producer: Producer | undefined;
  let admin: Admin | undefined;
  const tools = {
    async producer() {
      if (!producer) {
        producer = kafka.producer({
          allowAutoTopicCreation: false,
          createPartitioner: Partitioners.DefaultPartitioner,
        });
        await producer.connect();
      }
      return producer;
    },
    async admin() {
      if (!admin) {
        admin = kafka.admin();
        await admin.connect();
      }
      return admin;
    },
  };
  return {
    subject: log,
    options,
    admin: tools.admin,
    reopen: async () => {
      const other = new KafkaEventLog(options);
      await other.init();
      return other;
    },
    // Raw bytes on the events topic, keyed by package (so in the package's partition), unchecked.
    appendRaw: async (pkg, _sequence, raw) => {
      await (await tools.producer()).send({ topic: log.eventsTopic, acks: -1, messages: [{ key: pkg, value: raw }] });
    },
    setAside: async (group) => (await log.deadLetters(group)).map(({ position, reason }) => ({ position, reason })),
    cleanup: async () => {
      await producer?.disconnect();
      const a = await tools.admin();
      try {
        const { groups } = await a.listGroups();
        const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(options.topicPrefix!));
        if (ours.length > 0) await a.deleteGroups(ours).catch(() => undefined);
        await a.deleteTopics({ topics: [log.eventsTopic, log.deadLetterTopic], timeout: 10_000 });
      } finally {
        await a.disconnect();
      }
    },
  };
}

/**
 * Smoke test of the real Kafka broker through kafkajs (the client Wharf's
 * services use): admin creates a 3-partition topic, a producer writes to every
 * partition, a consumer group reads everything back and commits its offsets.
 */
import { randomUUID } from 'node:crypto';
import { Admin, Consumer, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { requireBackendEndpoints } from '../../libs/testing/src/backends/backend-endpoints';

// Generous: the first call may wait for a freshly started server.
const TIMEOUT_MS = 120_000;
describe('smoke: Kafka (kafkajs)', () => {
  const { kafka: endpoint } = requireBackendEndpoints();
  const suffix = randomUUID().slice(0, 8);
  const topic = `wharf-smoke-${suffix}`;
  const groupId = `wharf-smoke-group-${suffix}`;
  const kafka = new Kafka({
    clientId: `wharf-smoke-${suffix}`,
    brokers: endpoint.brokers,
    logLevel: logLevel.WARN,
    retry: { retries: 8 },
  });
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  }, TIMEOUT_MS);

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    if (admin) {
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
      await admin.disconnect();
    }
  }, TIMEOUT_MS);

  it(
    'creates a 3-partition topic, produces and consumes with a consumer group',
    async () => {
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      expect(created).toBe(true);
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);

      const sent = Array.from({ length: 9 }, (_, i) => ({
        partition: i % 3,
        key: `key-${i}`,
        value: JSON.stringify({ n: i, topic }),
        headers: { 'x-wharf-smoke': suffix },
      }));
      const acks = await producer.send({ topic, messages: sent });
      expect(acks.map((a) => a.partition).sort()).toEqual([0, 1, 2]);

      consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      // Delivery is at-least-once: a consumer restart (e.g. "coordinator is loading"
      // while the offsets topic is created on a fresh broker) may repeat messages.
      const received = new Map<string, { partition: number; value: string; header: string }>();
      const allReceived = new Promise<void>((resolve) => {
        void consumer!.run({
          eachMessage: async ({ partition, message }) => {
            received.set(message.key!.toString(), {
              partition,
              value: message.value!.toString(),
              header: message.headers!['x-wharf-smoke']!.toString(),
            });
            if (received.size >= sent.length) resolve();
          },
        });
      });
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          allReceived,
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`consumed ${received.size}/${sent.length} messages in 60s`)),
              60_000,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }

      expect([...received.keys()].sort()).toEqual(sent.map((m) => m.key).sort());
      for (const [key, r] of received) {
        const n = Number(key.slice('key-'.length));
        expect(r.partition).toBe(n % 3);
        expect(JSON.parse(r.value)).toEqual({ n, topic });
        expect(r.header).toBe(suffix);
      }

      // The group committed its position on every partition (kafkajs auto-commit on stop).
      await consumer.stop();
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committed = offsets[0].partitions.map((p) => [p.partition, p.offset]).sort();
      expect(committed).toEqual([
        [0, '3'],
        [1, '3'],
        [2, '3'],
      ]);
    },
    TIMEOUT_MS,
  );
});

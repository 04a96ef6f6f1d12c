/**
 * Makes a broker that has just started ready for the suites: its consumer-offsets topic exists
 * and its group coordinator has loaded, and it hands out producer ids. A brand-new broker does
 * both on first use, and for a few seconds answers "coordinator is loading" and "does not host
 * this topic-partition"; the suites test Wharf against a running Kafka, not a broker's first
 * seconds. One idempotent send and one group read of it, on a topic of its own.
 */
import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
// Relative, not @wharf/...: Jest's globalSetup does not apply the moduleNameMapper.
import { ensureTopics } from '../../../adapters/event-log-kafka/src/kafka-topics';

export async function warmUpKafka(brokers: string[], timeoutMs = 60_000): Promise<void> {
  const kafka = new Kafka({ clientId: 'wharf-warm-up', brokers, logLevel: logLevel.NOTHING });
  const topic = `wharf-warm-up-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: topic });
  let timer: NodeJS.Timeout | undefined;
  try {
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }], timeoutMs);
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: 'warm' }] });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Kafka at ${brokers.join(',')} not ready after ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer.run({ eachMessage: async () => resolve() }).catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

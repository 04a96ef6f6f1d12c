/**
 * What the EventLog contract cannot see: the Kafka layout (topic settings, keys, partitions,
 * headers) and the sequence cache being warmed from the partition after a restart.
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { ConcurrencyConflictError } from '@wharf/domain';
import type { StoredEvent } from '@wharf/contracts';
import { eventually, publishedEnvelopes, uniqueName } from '@wharf/testing';
import { KafkaEventLog } from './event-log-kafka.adapter';
import { KafkaEventLogFixture, kafkaEventLogFixture } from './event-log-kafka.fixture';

const TIMEOUT = 60_000;

describe('KafkaEventLog (Kafka specifics)', () => {
  let fixture: KafkaEventLogFixture;
  const others: KafkaEventLog[] = [];
  const log = () => fixture.subject;
  const pkgName = () => `${uniqueName('ns')}/app`;

  beforeEach(async () => {
    fixture = await kafkaEventLogFixture();
  }, TIMEOUT);

  afterEach(async () => {
    await Promise.allSettled(others.splice(0).map((o) => o.close()));
    await log().close();
    await fixture.cleanup();
  }, TIMEOUT);

  it(
    'should declare the events topic with the configured partitions and infinite retention, and the dead-letter topic',
    async () => {
      const admin = await fixture.admin();
      const metadata = await admin.fetchTopicMetadata({ topics: [log().eventsTopic, log().deadLetterTopic] });
      const partitions = Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual({ [log().eventsTopic]: 12, [log().deadLetterTopic]: 1 });
      expect(log().eventsTopic).toBe(`${fixture.options.topicPrefix}events`);
      expect(log().deadLetterTopic).toBe(`${fixture.options.topicPrefix}events.dlq`);

      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [log().eventsTopic, log().deadLetterTopic].map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['cleanup.policy', 'retention.ms', 'retention.bytes'],
        })),
      });
      for (const resource of resources) {
        const config = Object.fromEntries(resource.configEntries.map((e) => [e.configName, e.configValue]));
        expect({ topic: resource.resourceName, config }).toEqual({
          topic: resource.resourceName,
          config: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' },
        });
      }

      // init is idempotent: a second handle on existing topics changes nothing.
      const again = new KafkaEventLog(fixture.options);
      others.push(again);
      await again.init();
      expect(await again.count()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "should put all of a package's events in one partition, in order, keyed by package, with type/version/id headers",
    async () => {
      const pkg = pkgName();
      const stored: StoredEvent[] = [];
      for (let last = 0; last < 6; last += 2)
        stored.push(...(await log().append(pkg, last, publishedEnvelopes(pkg, last, 2))));

      const positions = stored.map((e) => e.position.split(':').map(Number));
      const partition = log().partitionOf(pkg);
      expect(positions.every(([p]) => p === partition)).toBe(true);
      const offsets = positions.map(([, offset]) => offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(new Set(offsets).size).toBe(offsets.length);

      // Read the topic back with a plain consumer.
      const kafka = new Kafka({ brokers: fixture.options.brokers, logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: `${fixture.options.topicPrefix}inspect`, maxWaitTimeInMs: 50 });
      const seen: {
        partition: number;
        offset: string;
        key?: string;
        headers: Record<string, string | undefined>;
        sequence: number;
      }[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [log().eventsTopic], fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ partition: p, message }) => {
            const header = (name: string) => message.headers?.[name]?.toString();
            seen.push({
              partition: p,
              offset: message.offset,
              key: message.key?.toString(),
              headers: { type: header('type'), version: header('version'), id: header('id') },
              sequence: JSON.parse(message.value!.toString()).sequence,
            });
          },
        });
        await eventually(() => expect(seen).toHaveLength(stored.length), 20_000);
      } finally {
        await consumer.disconnect();
      }
      expect(seen).toEqual(
        stored.map((e) => ({
          partition,
          offset: e.position.split(':')[1],
          key: pkg,
          headers: { type: e.type, version: String(e.version), id: e.id },
          sequence: e.sequence,
        })),
      );
    },
    TIMEOUT,
  );

  it(
    'should refuse a stale expectedSequence after a restart, from the sequences read back from the partition',
    async () => {
      const pkg = pkgName();
      const neighbour = pkgName();
      await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 3));
      await log().append(neighbour, 0, publishedEnvelopes(neighbour, 0, 1));
      await log().close();

      // A new handle in a process with no cache: the first append reads the partition.
      const again = new KafkaEventLog(fixture.options);
      others.push(again);
      await again.init();
      await expect(again.append(pkg, 0, publishedEnvelopes(pkg, 0, 1))).rejects.toBeInstanceOf(
        ConcurrencyConflictError,
      );
      await expect(again.append(pkg, 2, publishedEnvelopes(pkg, 2, 1))).rejects.toBeInstanceOf(
        ConcurrencyConflictError,
      );
      await expect(again.append(neighbour, 0, publishedEnvelopes(neighbour, 0, 1))).rejects.toBeInstanceOf(
        ConcurrencyConflictError,
      );
      const next = await again.append(pkg, 3, publishedEnvelopes(pkg, 3, 1));
      expect(next.map((e) => e.sequence)).toEqual([4]);
      expect(await again.count()).toBe(5);
    },
    TIMEOUT,
  );

  it(
    'should put an invalid event on the dead-letter topic with its reason, group and source position',
    async () => {
      const pkg = pkgName();
      await fixture.appendRaw!(pkg, 1, 'not json');
      const [witness] = await log().append(pkg, 0, publishedEnvelopes(pkg, 0, 1));
      const group = uniqueName('g');
      const handled: StoredEvent[] = [];
      const subscription = await log().subscribe({ group }, async (batch) => void handled.push(...batch));
      try {
        await eventually(() => expect(handled).toEqual([witness]), 20_000);
        await eventually(async () => expect(await subscription.lag()).toBe(0), 20_000);
      } finally {
        await subscription.stop();
      }
      const [dead] = await log().deadLetters(group);
      expect(dead.position).toBe(`${log().partitionOf(pkg)}:${Number(witness.position.split(':')[1]) - 1}`);
      expect(dead.reason).toMatch(/JSON/);
      expect(await log().deadLetters('some-other-group')).toEqual([]);
    },
    TIMEOUT,
  );
});

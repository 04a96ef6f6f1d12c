/**
 * What a distributed run must leave behind, read straight from the engines: the events topic
 * (every message, in partition order), the metadata store's version chains (MongoDB) and the
 * search documents (OpenSearch), compared with a fresh fold of the log through the domain's
 * own `evolve`.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { EventEnvelope } from '@wharf/contracts';
import { PackageView, SearchRow, emptyPackageView, evolve, searchDocumentFrom, searchRowsOf } from '@wharf/domain';
import { OpenSearchSearchIndex } from '@wharf/adapters/search-opensearch';
import { METADATA_COLLECTION, MongoMetadataStore, PackageVersionDocument } from '@wharf/adapters/metadata-mongo';
import { eventually } from '@wharf/testing';
import type { DistributedStack } from './distributed-stack';

export interface LoggedEvent {
  partition: number;
  offset: number;
  envelope: EventEnvelope;
}

/** Every message of `topic`, read from the start of each partition to its high watermark. */
export async function readTopic(brokers: string[], topic: string): Promise<LoggedEvent[]> {
  const kafka = new Kafka({ brokers, clientId: 'wharf-distributed-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(
    ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]),
  );
  const found: LoggedEvent[] = [];
  if (remaining.size === 0) return found;
  const consumer = kafka.consumer({ groupId: `wharf-test-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`reading ${topic} timed out; partitions left: ${[...remaining.keys()]}`)),
      120_000,
    );
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const high = remaining.get(batch.partition);
          if (high === undefined) return;
          for (const message of batch.messages) {
            if (Number(message.offset) >= high) break;
            found.push({
              partition: batch.partition,
              offset: Number(message.offset),
              envelope: JSON.parse(message.value!.toString()) as EventEnvelope,
            });
          }
          if (Number(batch.lastOffset()) >= high - 1) remaining.delete(batch.partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return found.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Each package's events in log order. */
export function streams(events: readonly LoggedEvent[]): Map<string, EventEnvelope[]> {
  const byPackage = new Map<string, EventEnvelope[]>();
  for (const { envelope } of events)
    byPackage.set(envelope.package, [...(byPackage.get(envelope.package) ?? []), envelope]);
  return byPackage;
}

/** Problems with the log itself: duplicate ids, (package, sequence) pairs, releases published twice, gaps. */
export function logProblems(events: readonly LoggedEvent[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const published = new Set<string>();
  for (const { envelope: e, partition, offset } of events) {
    if (ids.has(e.id)) problems.push(`event ${e.id} appears twice (again at ${partition}:${offset})`);
    ids.add(e.id);
    if (e.type === 'ReleasePublished') {
      const data = e.data as { release: string; mediaType: string };
      const key = `${e.package}@${data.release}/${data.mediaType}`;
      if (published.has(key)) problems.push(`release ${key} published twice (again at ${partition}:${offset})`);
      published.add(key);
    }
  }
  for (const [pkg, stream] of streams(events)) {
    stream.forEach((e, i) => {
      if (e.sequence !== i + 1) problems.push(`${pkg}: event ${i + 1} in log order has sequence ${e.sequence}`);
    });
  }
  return problems;
}

export function fold(pkg: string, stream: readonly EventEnvelope[]): PackageView {
  return stream.reduce(evolve, emptyPackageView(pkg));
}

/**
 * Problems of the metadata store against the log: each package's version chain must run
 * 0 → … → last sequence of the log with strictly increasing sequences (an event applied twice
 * would show as a version not above its predecessor, or a fork), and the package as the store
 * gives it back (its newest head and the rows that head holds) must equal the fold of the log.
 */
export async function metadataProblems(
  url: string,
  database: string,
  log: Map<string, EventEnvelope[]>,
): Promise<string[]> {
  const client = await MongoClient.connect(url);
  const reader = await MongoMetadataStore.connectReader({ url, database, viewCacheBytes: 0 });
  try {
    const versions = client.db(database).collection<PackageVersionDocument>(METADATA_COLLECTION);
    const problems: string[] = [];
    for (const [pkg, stream] of log) {
      const chain = (await versions.find({ package: pkg }).toArray()).sort((a, b) => a.sequence - b.sequence);
      let previous = 0;
      for (const version of chain) {
        if (version.previousSequence !== previous || version.sequence <= previous) {
          problems.push(
            `${pkg}: version ${version.previousSequence} → ${version.sequence} does not continue ${previous}`,
          );
        }
        previous = version.sequence;
      }
      const last = stream[stream.length - 1].sequence;
      if (previous !== last) problems.push(`${pkg}: store at sequence ${previous}, log at ${last}`);
      // The newest version's head and the rows it holds, assembled as the store's readers see them.
      const stored = await reader.get(pkg);
      if (JSON.stringify(stored) !== JSON.stringify(fold(pkg, stream)))
        problems.push(`${pkg}: stored view differs from the fold of the log`);
    }
    return problems;
  } finally {
    await reader.close();
    await client.close();
  }
}

/**
 * Problems of the search index against the log: each package's document equals the one the fold
 * of the log gives (`searchDocumentFrom`, which the projector's incremental fold is tested to
 * match), and its rows are the fold's manifests, each once. A row's `sequence` orders rows within
 * the index (the event that published it, or its place in a view for rows moved from the former
 * layout), so rows are compared on the rest.
 */
export async function searchProblems(
  url: string,
  indexPrefix: string,
  log: Map<string, EventEnvelope[]>,
): Promise<string[]> {
  const index = await OpenSearchSearchIndex.connect({ node: url, indexPrefix });
  try {
    const documents = await index.getMany([...log.keys()]);
    const rows = await index.listRows([...log.keys()]);
    const problems: string[] = [];
    const rowsWithoutSequence = (list: readonly SearchRow[]) =>
      list
        .map(({ sequence: _sequence, ...row }) => row)
        .sort((a, b) => (`${a.mediaType} ${a.release}` < `${b.mediaType} ${b.release}` ? -1 : 1));
    for (const [pkg, stream] of log) {
      const document = documents.get(pkg);
      const view = fold(pkg, stream);
      if (!document) problems.push(`${pkg}: no search document`);
      else if (!isDeepStrictEqual(document, searchDocumentFrom(view))) {
        problems.push(
          `${pkg}: search document at sequence ${document.sequence} differs from the fold of the log (at ${stream[stream.length - 1].sequence})`,
        );
      } else if (
        !isDeepStrictEqual(rowsWithoutSequence(rows.get(pkg) ?? []), rowsWithoutSequence(searchRowsOf(view)))
      ) {
        problems.push(`${pkg}: search rows differ from the fold of the log's manifests`);
      }
    }
    return problems;
  } finally {
    await index.close();
  }
}

/**
 * The engines after a run agree with the log: no gap or duplicate in any package's stream, every
 * acknowledged push in its package's fold, MongoDB equal to the fold, OpenSearch equal to it once
 * it has caught up (within `searchWithinMs`: search is eventually consistent), and, with
 * `noDeadLetters`, nothing set aside. Returns the log's streams by package, and how many events it holds.
 */
export async function expectEnginesAgreeWithLog(
  stack: DistributedStack,
  run: {
    brokers: string[];
    acknowledged: readonly { pkg: string; release: string }[];
    searchWithinMs: number;
    noDeadLetters: boolean;
  },
): Promise<{ log: Map<string, EventEnvelope[]>; eventCount: number }> {
  const prefix = stack.namespaces.WHARF_KAFKA_TOPIC_PREFIX;
  const events = await readTopic(run.brokers, `${prefix}events`);
  expect(logProblems(events)).toEqual([]);
  const log = streams(events);
  for (const push of run.acknowledged) {
    expect(fold(push.pkg, log.get(push.pkg) ?? []).manifests.map((m) => m.release)).toContain(push.release);
  }
  expect(await metadataProblems(stack.env.WHARF_MONGO_URL, stack.namespaces.WHARF_MONGO_DATABASE, log)).toEqual([]);
  await eventually(
    async () =>
      expect(
        await searchProblems(stack.env.WHARF_OPENSEARCH_URL, stack.namespaces.WHARF_OPENSEARCH_INDEX_PREFIX, log),
      ).toEqual([]),
    run.searchWithinMs,
  );
  if (run.noDeadLetters) expect(await readTopic(run.brokers, `${prefix}events.dlq`)).toEqual([]);
  return { log, eventCount: events.length };
}

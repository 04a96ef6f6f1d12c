/**
 * Replay against the real engines (distributed profile): a history written through the package
 * writer (Kafka log, MongoDB/FerretDB metadata and chart index) and followed by the search projector
 * (OpenSearch); the stores' documents are snapshotted, the collections and the index dropped,
 * `replay` run from the same configuration the services read, and the documents compared one
 * for one. Then a second replay while the writer keeps writing: nothing is lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { MongoClient } from 'mongodb';
import { MongoChartIndexStore } from '@wharf/adapters/chart-index-mongo';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { MongoMetadataStore, generationCollectionNames } from '@wharf/adapters/metadata-mongo';
import { OpenSearchSearchIndex, searchIndexAlias } from '@wharf/adapters/search-opensearch';
import { WharfConfig, kafkaClientOptions, loadConfig } from '@wharf/config';
import { chartVersionsOf } from '@wharf/domain';
import { ChartIndexProjection, KeyedMutex, MetadataProjector, PackageProjection, PackageWriter } from '@wharf/metadata';
import { SearchProjector } from '@wharf/search';
import { deleteKafkaPrefix, eventually, uniqueName } from '@wharf/testing';
import { ReplayReport, replayProjection } from './projection-replay';
import { openReplay } from './replay-targets';
import { writeHistory } from './replay-scenario.test-support';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the int project's globalSetup sets it)`);
  return value;
};

describe('replay (distributed profile, real engines)', () => {
  const run = uniqueName('r');
  const ns = uniqueName('ns');
  const packages = Array.from({ length: 30 }, (_, i) => `${ns}/app${i}`);
  let dataDir: string;
  let config: WharfConfig;
  let log: KafkaEventLog;
  let store: MongoMetadataStore;
  let index: OpenSearchSearchIndex;
  let charts: MongoChartIndexStore;
  let metadataProjector: MetadataProjector;
  let searchProjector: SearchProjector;
  let writer: PackageWriter;
  let mongo: MongoClient;
  let opensearch: Client;
  const reports: ReplayReport[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-replay-'));
    config = loadConfig({
      WHARF_PROFILE: 'distributed',
      WHARF_DATA_DIR: dataDir,
      WHARF_KAFKA_BROKERS: env('WHARF_KAFKA_BROKERS'),
      WHARF_KAFKA_TOPIC_PREFIX: `${run}.`,
      WHARF_KAFKA_PARTITIONS: '4',
      WHARF_MONGO_URL: env('WHARF_MONGO_URL'),
      WHARF_MONGO_DATABASE: `wharf_${run}`,
      WHARF_OPENSEARCH_URL: env('WHARF_OPENSEARCH_URL'),
      WHARF_OPENSEARCH_INDEX_PREFIX: `${run}-`,
    });
    mongo = await new MongoClient(env('WHARF_MONGO_URL')).connect();
    opensearch = new Client({ node: env('WHARF_OPENSEARCH_URL') });
    log = new KafkaEventLog({ ...kafkaClientOptions(config, 'wharf-replay-test'), retryDelayMs: 100 });
    store = await MongoMetadataStore.connect({
      url: config.distributed.mongo!.url,
      database: config.distributed.mongo!.database,
      generationCacheMs: 200,
    });
    index = await OpenSearchSearchIndex.connect({
      node: config.distributed.opensearch!.url,
      indexPrefix: config.distributed.opensearch!.indexPrefix,
    });
    charts = await MongoChartIndexStore.connect({
      url: config.distributed.mongo!.url,
      database: config.distributed.mongo!.database,
      generationCacheMs: 200,
    });
    const locks = new KeyedMutex();
    const projection = new PackageProjection(store, new ChartIndexProjection(charts));
    metadataProjector = new MetadataProjector(log, projection, locks);
    writer = new PackageWriter(log, store, projection, metadataProjector, locks);
    searchProjector = new SearchProjector(log, index);
    await metadataProjector.start();
    await searchProjector.start();
  });

  afterAll(async () => {
    await metadataProjector?.onApplicationShutdown();
    await searchProjector?.onApplicationShutdown();
    await log?.close();
    await store?.close();
    await index?.close();
    await charts?.close();
    await mongo?.db(`wharf_${run}`).dropDatabase();
    const { body } = await opensearch.indices.get({
      index: `${run}-*`,
      allow_no_indices: true,
      expand_wildcards: 'all',
    });
    if (Object.keys(body).length > 0) await opensearch.indices.delete({ index: Object.keys(body) });
    await opensearch?.close();
    await mongo?.close();
    await deleteKafkaPrefix(config.distributed.kafka!.brokers, `${run}.`);
    rmSync(dataDir, { recursive: true, force: true });
    for (const r of reports)
      process.stderr.write(
        `[replay] ${r.projection}: ${r.rebuilt} events in ${r.seconds.toFixed(1)} s, ${Math.round(r.eventsPerSecond)} events/s (tail ${r.tail})\n`,
      );
  });

  /** The current version document of every package, without its chain link. */
  async function metadataDocuments() {
    const generation =
      (
        await mongo
          .db(`wharf_${run}`)
          .collection<{ _id: string; generation: number }>('projection_generations')
          .findOne({ _id: 'metadata' })
      )?.generation ?? 0;
    const docs = await mongo
      .db(`wharf_${run}`)
      .collection(generationCollectionNames('', generation).versions)
      .find({ current: true }, { projection: { _id: 0, previousSequence: 0 } })
      .toArray();
    return docs.sort((a, b) => (a.package < b.package ? -1 : 1));
  }

  /** Every document behind the alias: id, external version (the sequence) and source. */
  async function searchDocuments() {
    const alias = searchIndexAlias(`${run}-`);
    await opensearch.indices.refresh({ index: alias });
    const { body } = await opensearch.search({
      index: alias,
      body: {
        query: { bool: { must_not: [{ term: { kind: 'row' } }] } },
        size: 1000,
        version: true,
        sort: [{ package: 'asc' }],
      },
    });
    return body.hits.hits.map((hit) => ({ id: hit._id, version: hit._version, source: hit._source }));
  }

  /** The packages' search rows, by id; their versions depend on how events were batched, so they are left out. */
  async function searchRows() {
    const alias = searchIndexAlias(`${run}-`);
    await opensearch.indices.refresh({ index: alias });
    const { body } = await opensearch.search({
      index: alias,
      body: { query: { term: { kind: 'row' } }, size: 1000 },
    });
    return body.hits.hits.map((hit) => ({ id: hit._id!, source: hit._source })).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** The namespace's chart versions as the index reads them, in a stable order. */
  async function chartVersions() {
    return (await charts.read(ns)).versions.sort((a, b) =>
      `${a.name}@${a.version}` < `${b.name}@${b.version}` ? -1 : 1,
    );
  }

  const caughtUp = async () => {
    await eventually(async () => expect(await metadataProjector.lag()).toBe(0), 60_000);
    await eventually(async () => expect(await searchProjector.lag()).toBe(0), 60_000);
  };

  async function replay(name: 'metadata' | 'search' | 'charts') {
    const setup = await openReplay(config, name);
    try {
      const report = await replayProjection(setup.log, setup.projection, {
        progressEveryMs: 2000,
        onProgress: (p) => process.stderr.write(`[replay] ${JSON.stringify(p)}\n`),
      });
      reports.push(report);
      return report;
    } finally {
      await setup.close();
    }
  }

  it('should rebuild MongoDB (metadata, chart index) and OpenSearch from the log, document for document, after all were dropped', async () => {
    const views = await writeHistory(writer, packages);
    await caughtUp();
    const metadataBefore = await metadataDocuments();
    const searchBefore = await searchDocuments();
    const rowsBefore = await searchRows();
    expect(metadataBefore).toHaveLength(packages.length);
    expect(searchBefore).toHaveLength(packages.length);
    expect(rowsBefore.length).toBeGreaterThan(0);
    expect(metadataBefore.filter((d) => d.active)).toHaveLength(24);
    const chartsBefore = await chartVersions();
    const revisionBefore = await charts.revision(ns);
    expect(chartsBefore).toHaveLength(24 * 3);

    for (const name of Object.values(generationCollectionNames('', 0)))
      await mongo.db(`wharf_${run}`).dropCollection(name);
    for (const name of ['chart_rows', 'chart_batches', 'chart_pointers'])
      await mongo.db(`wharf_${run}`).dropCollection(name);
    expect(await chartVersions()).toEqual([]);
    await opensearch.indices.delete({ index: `${run}-packages-*` });
    // Gone from MongoDB (a store that read a package keeps its parsed head, checked by the
    // successor's lookup: dropping collections behind it is no write it could see).
    expect(await metadataDocuments()).toEqual([]);

    const metadata = await replay('metadata');
    const search = await replay('search');
    const chartIndex = await replay('charts');

    expect(chartIndex.rebuilt).toBe(await log.count());
    expect(await chartVersions()).toEqual(chartsBefore);
    expect(await charts.revision(ns)).not.toBe(revisionBefore);
    expect(metadata.rebuilt).toBe(await log.count());
    expect(search.rebuilt).toBe(await log.count());
    expect(await metadataDocuments()).toEqual(metadataBefore);
    expect(await searchDocuments()).toEqual(searchBefore);
    expect(await searchRows()).toEqual(rowsBefore);
    for (const pkg of packages) expect(await store.get(pkg)).toEqual(views.get(pkg));
    expect(await store.count()).toBe(24);
  });

  it('should lose nothing written while the replay runs, and the live writer and projectors go on after the switch', async () => {
    const more = Array.from({ length: 10 }, (_, i) => `${ns}/during${i}`);
    const writing = writeHistory(writer, more, 2);
    const [metadata, search, chartIndex] = await Promise.all([replay('metadata'), replay('search'), replay('charts')]);
    const views = await writing;
    const after = await writeHistory(writer, [`${ns}/after`]);
    await caughtUp();

    for (const [pkg, view] of [...views, ...after]) expect(await store.get(pkg)).toEqual(view);
    const searched = new Map((await searchDocuments()).map((d) => [d.id, d]));
    for (const [pkg, view] of [...views, ...after]) expect(searched.get(pkg)?.version).toBe(view.sequence);
    expect(metadata.rebuilt + metadata.tail).toBeGreaterThan(0);
    expect(search.rebuilt + search.tail).toBeGreaterThan(0);
    expect(chartIndex.rebuilt + chartIndex.tail).toBeGreaterThan(0);
    const stored = (await Promise.all(packages.concat(more, [`${ns}/after`]).map((pkg) => store.get(pkg)))).filter(
      (view): view is NonNullable<typeof view> => view !== null,
    );
    const wanted = stored.flatMap((view) =>
      chartVersionsOf(view).versions.map((v) => ({ ...v, visibility: view.visibility })),
    );
    expect(await chartVersions()).toEqual(
      wanted.sort((a, b) => (`${a.name}@${a.version}` < `${b.name}@${b.version}` ? -1 : 1)),
    );
  });
});

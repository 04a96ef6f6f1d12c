/**
 * The SearchIndex contract and the adapter's own promises, against a real OpenSearch
 * (WHARF_OPENSEARCH_URL, set by the int project's globalSetup). Every test has its own index
 * prefix, so its own alias and index, deleted afterwards.
 */
import { Client } from '@opensearch-project/opensearch';
import type { SearchDocument } from '@wharf/ports';
import {
  describeSearchIndexContract,
  packageView,
  published,
  searchDocument,
  searchRow,
  uniqueName,
} from '@wharf/testing';
import { OpenSearchSearchIndex, OpenSearchSearchIndexOptions } from './search-opensearch.adapter';
import {
  SEARCH_INDEX_MAPPINGS,
  searchIndexAlias,
  searchIndexBody,
  searchIndexName,
  searchRowId,
  toSearchRowSource,
  toSearchSource,
} from './search-opensearch.mapping';

function opensearchUrl(): string {
  const url = process.env.WHARF_OPENSEARCH_URL;
  if (!url)
    throw new Error('WHARF_OPENSEARCH_URL is not set (the int project globalSetup sets it; see docs/backends.md)');
  return url;
}

/** Deletes every index of a prefix (the alias goes with its index). */
async function deleteIndices(admin: Client, indexPrefix: string): Promise<void> {
  const { body } = await admin.indices.get({
    index: `${indexPrefix}*`,
    allow_no_indices: true,
    expand_wildcards: 'all',
  });
  const names = Object.keys(body);
  if (names.length > 0) await admin.indices.delete({ index: names });
}

describeSearchIndexContract(
  'search-opensearch',
  async () => {
    const node = opensearchUrl();
    const indexPrefix = `${uniqueName('wharf-test-')}-`;
    const admin = new Client({ node });
    const subject = await OpenSearchSearchIndex.connect({ node, indexPrefix, replicas: 0 });
    return {
      subject,
      refresh: async () => void (await admin.indices.refresh({ index: searchIndexAlias(indexPrefix) })),
      cleanup: async () => {
        try {
          await deleteIndices(admin, indexPrefix);
        } finally {
          await admin.close();
        }
      },
    };
  },
  { eventuallyMs: 20_000, testTimeoutMs: 60_000 },
);

describe('OpenSearchSearchIndex', () => {
  let admin: Client;
  let indexPrefix: string;
  const opened: OpenSearchSearchIndex[] = [];

  const open = async (options: Partial<OpenSearchSearchIndexOptions> = {}) => {
    const index = await OpenSearchSearchIndex.connect({ node: opensearchUrl(), indexPrefix, replicas: 0, ...options });
    opened.push(index);
    return index;
  };
  const refresh = () => admin.indices.refresh({ index: searchIndexAlias(indexPrefix) });

  beforeEach(() => {
    admin = new Client({ node: opensearchUrl() });
    indexPrefix = `${uniqueName('wharf-test-')}-`;
  });

  afterEach(async () => {
    for (const index of opened.splice(0)) await index.close();
    try {
      await deleteIndices(admin, indexPrefix);
    } finally {
      await admin.close();
    }
  });

  it('should create the index with the declared mapping, one shard and the replicas asked for', async () => {
    await open();
    const concrete = searchIndexName(indexPrefix);

    const { body: mapping } = await admin.indices.getMapping({ index: concrete });
    expect(mapping[concrete].mappings).toEqual(SEARCH_INDEX_MAPPINGS);

    const { body: settings } = await admin.indices.getSettings({ index: concrete });
    expect(settings[concrete].settings?.index).toMatchObject({ number_of_shards: '1', number_of_replicas: '0' });
  });

  it('should read and write through an alias pointing at one concrete index, created once', async () => {
    const first = await open();
    await open();
    await first.init();

    const alias = searchIndexAlias(indexPrefix);
    expect(first.alias).toBe(alias);
    const { body } = await admin.indices.getAlias({ name: alias });
    expect(Object.keys(body)).toEqual([searchIndexName(indexPrefix)]);
    const { body: all } = await admin.indices.get({ index: `${indexPrefix}*` });
    expect(Object.keys(all)).toEqual([searchIndexName(indexPrefix)]);

    const doc = searchDocument(`${uniqueName('ns')}/app`);
    await first.putMany([{ document: doc }]);
    const { body: stored } = await admin.get({ index: searchIndexName(indexPrefix), id: doc.package });
    expect(stored._version).toBe(doc.sequence);
  });

  it('should create the index on first use when connect was not called, never a concrete index named like the alias', async () => {
    const index = new OpenSearchSearchIndex({ node: opensearchUrl(), indexPrefix });
    opened.push(index);
    const doc = searchDocument(`${uniqueName('ns')}/app`);
    await index.putMany([{ document: doc }]);

    expect((await index.getMany([doc.package])).get(doc.package)).toEqual(doc);
    const { body } = await admin.indices.getAlias({ name: searchIndexAlias(indexPrefix) });
    expect(Object.keys(body)).toEqual([searchIndexName(indexPrefix)]);
  });

  it('should keep sequence 3 when sequence 2 arrives after it', async () => {
    const index = await open();
    const pkg = `${uniqueName('ns')}/app`;
    const newer = searchDocument(pkg, { sequence: 3, description: 'newer' });

    await index.putMany([{ document: newer }]);
    await index.putMany([{ document: searchDocument(pkg, { sequence: 2, description: 'older' }) }]);
    await refresh();

    expect((await index.getMany([pkg])).get(pkg)).toEqual(newer);
    const { body } = await admin.get({ index: searchIndexAlias(indexPrefix), id: pkg });
    expect(body._version).toBe(3);
    expect(await index.search({ text: 'older', limit: 10 })).toEqual([]);
    expect(await index.search({ text: 'newer', limit: 10 })).toEqual([pkg]);
  });

  it('should report a document OpenSearch refuses, and still store the others of the batch', async () => {
    const index = await open();
    const good = searchDocument(`${uniqueName('ns')}/good`);
    const bad = { ...searchDocument(`${uniqueName('ns')}/bad`), sequence: 2, active: 'maybe' as unknown as boolean };

    await expect(index.putMany([{ document: bad }, { document: good }])).rejects.toThrow(
      /refused 1 of 2 search documents: .*\/bad@2: mapper_parsing_exception/,
    );
    expect([...(await index.getMany([good.package, bad.package])).keys()]).toEqual([good.package]);
    await expect(index.putMany([{ document: { ...good, sequence: -1 } }])).rejects.toThrow(
      /not a non-negative integer/,
    );
  });

  it('should rank the exact name first, then names containing the text, then the rest', async () => {
    const index = await open({ refresh: 'wait_for' });
    const ns = uniqueName('ns');
    await index.putMany(
      [
        searchDocument(`${ns}/cache`, {
          description: 'redis compatible cache, redis protocol, redis redis',
          keywords: ['redis'],
        }),
        searchDocument(`${ns}/redis-cluster`, { description: 'Clustered redis', keywords: ['redis', 'cluster'] }),
        searchDocument(`${ns}/redis`, { description: 'In-memory store' }),
        searchDocument(`${ns}/myredis`, { description: 'Another store' }),
      ].map((document) => ({ document })),
    );

    const results = await index.search({ text: 'Redis', limit: 10 });
    expect(results[0]).toBe(`${ns}/redis`);
    expect(results.slice(1, 3).sort()).toEqual([`${ns}/myredis`, `${ns}/redis-cluster`]);
    expect(results.slice(3)).toEqual([`${ns}/cache`]);
    expect(await index.search({ text: 'Redis', limit: 2 })).toEqual(results.slice(0, 2));
  });

  it('should find a name with one typo', async () => {
    const index = await open({ refresh: 'wait_for' });
    const ns = uniqueName('ns');
    await index.putMany(
      [
        searchDocument(`${ns}/postgresql`, { description: 'Relational database' }),
        searchDocument(`${ns}/nginx`, { description: 'Web server', keywords: ['kubernetes'] }),
      ].map((document) => ({ document })),
    );

    expect(await index.search({ text: 'postgrsql', limit: 10 })).toEqual([`${ns}/postgresql`]);
    expect(await index.search({ text: 'kubernets', limit: 10 })).toEqual([`${ns}/nginx`]);
    expect(await index.search({ text: 'postgresql', limit: 10 })).toEqual([`${ns}/postgresql`]);
  });

  it('should match a substring of "namespace/name" literally, and words without their diacritics', async () => {
    const index = await open({ refresh: 'wait_for' });
    const ns = uniqueName('ns');
    await index.putMany(
      [
        searchDocument(`${ns}/postgresql`, { description: 'Café database, example.com', keywords: ['数据'] }),
        searchDocument(`${ns}/redis`),
      ].map((document) => ({ document })),
    );

    expect(await index.search({ text: 'gresq', limit: 10 })).toEqual([`${ns}/postgresql`]);
    expect(await index.search({ text: `${ns.slice(3)}/POSTGRES`, limit: 10 })).toEqual([`${ns}/postgresql`]);
    expect(await index.search({ text: 'gres*', limit: 10 })).toEqual([]);
    expect(await index.search({ text: 'gre?q', limit: 10 })).toEqual([]);
    expect(await index.search({ text: 'cafe', limit: 10 })).toEqual([`${ns}/postgresql`]);
    expect(await index.search({ text: 'com', limit: 10 })).toEqual([`${ns}/postgresql`]);
    expect(await index.search({ text: '数据', limit: 10 })).toEqual([`${ns}/postgresql`]);
  });

  it('should not fail on a text of many words or a long one', async () => {
    const index = await open({ refresh: 'wait_for' });
    const pkg = `${uniqueName('ns')}/app`;
    await index.putMany([{ document: searchDocument(pkg, { description: 'alpha' }) }]);
    const many = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');

    expect(await index.search({ text: many, limit: 10 })).toEqual([]);
    expect(await index.search({ text: `alpha ${'alphabet '.repeat(50)}`, limit: 10 })).toEqual([]);
    expect(await index.search({ text: 'alpha'.repeat(1000), limit: 10 })).toEqual([]);
    expect(await index.search({ text: `${'ab'.repeat(400)} alpha`, limit: 10 })).toEqual([]);
  });

  it('should map releasedAt and rows on an index created without them, serving its documents as they are until their next update', async () => {
    const concrete = searchIndexName(indexPrefix);
    const body = searchIndexBody();
    const {
      releasedAt: _releasedAt,
      kind: _kind,
      release: _release,
      mediaType: _mediaType,
      createdAt: _createdAt,
      releaseKey: _releaseKey,
      hasChart: _hasChart,
      chart: _chart,
      ...olderProperties
    } = body.mappings.properties;
    await admin.indices.create({
      index: concrete,
      body: {
        ...body,
        mappings: { ...body.mappings, properties: olderProperties },
        aliases: { [searchIndexAlias(indexPrefix)]: {} },
      } as never,
    });
    const ns = uniqueName('ns');
    // As the releases before rows stored it: the whole view, its releases, no counts.
    const view = packageView(`${ns}/aaa-web`, [published({ release: '1.0.0' })]);
    const {
      releasedAt: _none,
      manifestCounts: _counts,
      describedBy: _by,
      ...fields
    } = searchDocument(`${ns}/aaa-web`, { description: 'web' });
    const older = { ...fields, releases: ['1.0.0'], view } as unknown as SearchDocument;
    await admin.index({ index: concrete, id: older.package, body: toSearchSource(older), refresh: 'wait_for' });

    const index = await open({ refresh: 'wait_for' });
    const newer = searchDocument(`${ns}/zzz-web`, { description: 'web' });
    await index.putMany([{ document: newer }]);

    const { body: mapping } = await admin.indices.getMapping({ index: concrete });
    expect(mapping[concrete].mappings).toEqual(SEARCH_INDEX_MAPPINGS);
    expect(await index.search({ text: 'web', sort: 'recent', limit: 10 })).toEqual([newer.package, older.package]);
    expect((await index.getMany([older.package])).get(older.package)).toEqual(older);

    const moved = searchDocument(older.package, { sequence: older.sequence + 1, description: 'web' });
    const row = searchRow('1.0.0');
    await index.putMany([{ document: moved, rows: [row] }]);
    expect((await index.getMany([older.package])).get(older.package)).toEqual(moved);
    expect(await index.newestRows([{ package: older.package, excluding: [] }])).toEqual(
      new Map([[older.package, { newest: row, described: row }]]),
    );
    expect(await index.search({ text: 'web', limit: 10 })).toHaveLength(2);
    expect(await index.count()).toBeGreaterThanOrEqual(2);
  });

  it('should apply a row write or delete at the version of the row stored (a batch redelivered in smaller ones)', async () => {
    const index = await open();
    const pkg = `${uniqueName('ns')}/app`;
    await index.putMany([{ document: searchDocument(pkg, { sequence: 3 }) }]);
    // What a batch ending at event 5 left when its rows were written and its documents were not.
    const [ghost, stale] = [searchRow('1.0.0', { sequence: 5 }), searchRow('2.0.0', { sequence: 5 })];
    for (const row of [ghost, stale])
      await admin.index({
        index: searchIndexAlias(indexPrefix),
        id: searchRowId(pkg, row),
        version: 5,
        version_type: 'external',
        body: toSearchRowSource(pkg, row),
      });
    // Redelivered in smaller batches, the one ending at event 5 deletes one row and rewrites the
    // other (the same state in practice; another description here shows the write applied).
    const current = searchRow('2.0.0', { sequence: 5, description: 'as of event 5' });
    await index.putMany([{ document: searchDocument(pkg, { sequence: 5 }), rows: [current], deletedRows: [ghost] }]);

    const found = await index.newestRows([{ package: pkg, excluding: [] }]);
    expect(found.get(pkg)).toEqual({ newest: current, described: current });
  });
});

/**
 * Smoke test of OpenSearch through @opensearch-project/opensearch (the client
 * Wharf's search service uses): an index with an explicit mapping and no
 * replicas, single and bulk indexing, refresh, and searches.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { requireBackendEndpoints } from '../../libs/testing/src/backends/backend-endpoints';

interface PackageDoc {
  namespace: string;
  name: string;
  version: string;
  description: string;
  downloads: number;
  created_at: string;
}

// Generous: the first call may wait for a freshly started server.
const TIMEOUT_MS = 120_000;
describe('smoke: OpenSearch (@opensearch-project/opensearch)', () => {
  const { opensearch: endpoint } = requireBackendEndpoints();
  const client = new Client({ node: endpoint.url });
  const index = `wharf-smoke-${randomUUID().slice(0, 8)}`;
  let created = false;

  afterAll(async () => {
    if (created) await client.indices.delete({ index });
    await client.close();
  }, TIMEOUT_MS);

  it(
    'creates a mapped index, indexes (single and bulk), refreshes and searches',
    async () => {
      const create = await client.indices.create({
        index,
        body: {
          settings: { number_of_shards: 1, number_of_replicas: 0 },
          mappings: {
            dynamic: 'strict',
            properties: {
              namespace: { type: 'keyword' },
              name: { type: 'keyword' },
              version: { type: 'keyword' },
              description: { type: 'text' },
              downloads: { type: 'integer' },
              created_at: { type: 'date' },
            },
          },
        },
      });
      expect(create.body.acknowledged).toBe(true);
      created = true;

      const mapping = await client.indices.getMapping({ index });
      expect(mapping.body[index].mappings.properties?.namespace).toEqual({ type: 'keyword' });

      const health = await client.cluster.health({ index, wait_for_status: 'green', timeout: '30s' });
      expect(health.body.status).toBe('green');

      const first: PackageDoc = {
        namespace: 'acme',
        name: 'web',
        version: '1.0.0',
        description: 'A web server chart',
        downloads: 10,
        created_at: '2026-01-01T00:00:00Z',
      };
      const single = await client.index({ index, id: 'acme/web@1.0.0', body: first });
      expect(single.body.result).toBe('created');

      const more: PackageDoc[] = [
        { ...first, version: '1.1.0', downloads: 5, created_at: '2026-02-01T00:00:00Z' },
        { ...first, name: 'db', description: 'A database chart', downloads: 7 },
        { ...first, namespace: 'other', name: 'cache', description: 'An in-memory cache', downloads: 1 },
      ];
      const bulk = await client.bulk({
        body: more.flatMap((d) => [{ index: { _index: index, _id: `${d.namespace}/${d.name}@${d.version}` } }, d]),
      });
      expect(bulk.body.errors).toBe(false);
      expect(bulk.body.items).toHaveLength(3);

      // A strict mapping rejects unknown fields.
      await expect(client.index({ index, id: 'bad', body: { ...first, unknown: 1 } })).rejects.toThrow(
        /strict_dynamic_mapping_exception/,
      );

      await client.indices.refresh({ index });

      const byText = await client.search({
        index,
        body: {
          query: {
            bool: {
              must: [{ match: { description: 'chart' } }],
              filter: [{ term: { namespace: 'acme' } }],
            },
          },
          sort: [{ downloads: { order: 'desc' } }],
        },
      });
      expect(byText.body.hits.hits.map((h) => h._id)).toEqual(['acme/web@1.0.0', 'acme/db@1.0.0', 'acme/web@1.1.0']);

      // Built outside the call: the client's generated typings lack `terms.field`.
      const aggBody = { size: 0, aggs: { per_namespace: { terms: { field: 'namespace', size: 10 } } } };
      const agg = await client.search({ index, body: aggBody });
      const buckets = (agg.body.aggregations?.per_namespace as { buckets: { key: string; doc_count: number }[] })
        .buckets;
      expect(buckets).toEqual([
        { key: 'acme', doc_count: 3 },
        { key: 'other', doc_count: 1 },
      ]);

      const count = await client.count({ index });
      expect(count.body.count).toBe(4);
    },
    TIMEOUT_MS,
  );
});

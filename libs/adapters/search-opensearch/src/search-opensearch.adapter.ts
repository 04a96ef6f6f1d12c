/**
 * The distributed search projection on OpenSearch, with the semantics of the embedded one
 * (search-sqlite): user text is cut into words in TypeScript (`searchWords`) and every word is
 * a term or prefix query of its own, so query syntax in the input is searched for as words and
 * never parsed (no query_string/simple_query_string, no wildcard); the substring of
 * "namespace/name" is a `prefix` query on the package's indexed suffixes. All words must match
 * (each in any field, as a whole word, as a prefix, or, for words of 4+ characters in name or
 * keywords, with one or two typos), or the text is a substring of the package.
 *
 * Ranking, as the embedded index: packages whose name (or "namespace/name") is the text, then
 * packages whose "namespace/name" contains the text, then relevance (BM25, name weighted above
 * keywords above namespace above description), ties by package. The three tiers are three
 * disjoint queries in one `_msearch`, so a tier never depends on score magnitudes. Sorted by
 * recency, the same matches are one query sorted on `releasedAt` (a `date`), descending,
 * documents without it last, ties by package.
 *
 * Documents never move backwards: `_bulk` with `version_type: external` and `version:
 * sequence`; OpenSearch refuses a version not above the stored one with a per-item 409, which
 * is the port's "ignored". Rows (see search-opensearch.mapping.ts) are written before their
 * documents, in a `_bulk` of their own, under the version of the document they came with
 * (`external_gte`: an operation at the stored row's version applies, see `putMany`); a
 * `putMany` first reads the stored documents' versions (`_mget`, realtime) and drops the
 * updates not above them, rows and all. `newestRows` refreshes the index (rows written with
 * the default refresh are not searchable yet) and asks for the top row of two sorts per package
 * in one `_msearch`: once per batch, and only when a delete needs it. Reads and writes go
 * through an alias (`<prefix>packages`) created with its first index (`<prefix>packages-v1`)
 * when missing, so a rebuild can fill a fresh index and swap the alias atomically.
 *
 * Rebuilds (ProjectionRebuild): the fresh index is `<prefix>packages-v<n>-r<time>`, written
 * directly (not through the alias); the switch is one `_aliases` request that adds the alias to
 * it and removes the old index (`remove_index`), which OpenSearch applies atomically: a search
 * or get through the alias sees one index or the other. A bulk request of the live projector
 * that reached the old index just before is lost with it; the replay applies the log's tail
 * after the switch, and external versions make that idempotent.
 */
import { Client, errors } from '@opensearch-project/opensearch';
import type {
  NewestRowsRequest,
  ProjectionRebuild,
  SearchDocument,
  SearchIndex,
  SearchQuery,
  SearchRow,
  SearchUpdate,
  StoredSearchRows,
} from '@wharf/ports';
import {
  ADDED_MAPPINGS,
  SearchRowSource,
  SearchSource,
  fromSearchRowSource,
  fromSearchSource,
  searchRowId,
  toSearchRowSource,
  searchIndexAlias,
  searchIndexBody,
  searchIndexName,
  searchWords,
  toSearchSource,
} from './search-opensearch.mapping';
import { translateOutages } from '@wharf/ports';
import { isOpenSearchOutage } from './opensearch-outage';

export interface OpenSearchSearchIndexOptions {
  /** OpenSearch URL, e.g. http://127.0.0.1:9200. */
  node: string;
  /** Prepended to the alias and index names (`<prefix>packages`, `<prefix>packages-v1`). */
  indexPrefix: string;
  /** Replicas of the index created at init. Default 0. */
  replicas?: number;
  /**
   * Refresh policy of writes. Default false: writes become searchable within the index's refresh
   * interval (getMany sees them at once). 'wait_for' makes putMany return only once they are
   * searchable (tests, tools).
   */
  refresh?: 'wait_for' | false;
}

type Query = Record<string, unknown>;

/** Words of a query beyond this many are ignored (OpenSearch caps a query at 1024 clauses). */
const MAX_QUERY_WORDS = 32;
/** Documents per `_bulk` request. */
const BULK_CHUNK = 500;
/** Row operations per `_bulk` request. */
const ROW_CHUNK = 2_000;
/** "namespace/name" is at most 255 + 1 + 255 characters (libs/domain/src/names.ts). */
const MAX_PACKAGE_LENGTH = 511;
/** Rows per page of `listRows`' scroll. */
const LIST_ROWS_PAGE = 1_000;
/** OpenSearch's default `index.max_result_window`. */
const MAX_LIMIT = 10_000;

/** Field weights of a whole-word match (as the embedded index's bm25 weights). */
const WORD_FIELDS = [
  { field: 'words.name', boost: 10, fuzzy: true },
  { field: 'words.keywords', boost: 4, fuzzy: true },
  { field: 'words.namespace', boost: 2, fuzzy: false },
  { field: 'words.description', boost: 1, fuzzy: false },
] as const;

export class OpenSearchSearchIndex implements SearchIndex {
  /** The alias every read and write goes to. */
  readonly alias: string;
  /** Where reads and writes go: the alias, or a rebuild's own index. */
  private target: string;
  private readonly client: Client;
  private readonly refresh: 'wait_for' | undefined;
  private ready: Promise<void> | null = null;

  /** Creates the adapter and its index (when missing). */
  static async connect(options: OpenSearchSearchIndexOptions): Promise<OpenSearchSearchIndex> {
    const index = new OpenSearchSearchIndex(options);
    try {
      await index.init();
    } catch (error) {
      await index.close();
      throw error;
    }
    return index;
  }

  /** Does not talk to OpenSearch; the first call does `init()` if `connect` did not. */
  constructor(private readonly options: OpenSearchSearchIndexOptions) {
    this.client = new Client({ node: options.node });
    this.alias = searchIndexAlias(options.indexPrefix);
    this.target = this.alias;
    this.refresh = options.refresh === 'wait_for' ? 'wait_for' : undefined;
  }

  /**
   * A fresh index next to the live one (indices of unfinished rebuilds are deleted first); the
   * switch points the alias at it and deletes the index the alias pointed at, in one request.
   */
  async rebuild(): Promise<ProjectionRebuild<SearchIndex>> {
    await this.init();
    const live = await this.aliasedIndices();
    const { body: existing } = await this.client.indices.get({
      index: `${searchIndexName(this.options.indexPrefix)}-r*`,
      allow_no_indices: true,
      expand_wildcards: 'all',
    });
    const leftovers = Object.keys(existing).filter((name) => !live.includes(name));
    if (leftovers.length > 0) await this.client.indices.delete({ index: leftovers });
    const index = `${searchIndexName(this.options.indexPrefix)}-r${Date.now()}`;
    await this.client.indices.create({ index, body: searchIndexBody({ replicas: this.options.replicas }) as never });
    const fresh = new OpenSearchSearchIndex(this.options);
    fresh.target = index;
    fresh.ready = Promise.resolve();
    let state: 'open' | 'switched' | 'aborted' = 'open';
    return {
      store: fresh,
      switchOver: async () => {
        if (state !== 'open') throw new Error(`this rebuild was already ${state}`);
        const old = await this.aliasedIndices();
        await this.client.indices.refresh({ index });
        await this.client.indices.updateAliases({
          body: {
            actions: [{ add: { index, alias: this.alias } }, ...old.map((name) => ({ remove_index: { index: name } }))],
          } as never,
        });
        state = 'switched';
        await fresh.close();
        return 0;
      },
      abort: async () => {
        if (state !== 'open') return;
        state = 'aborted';
        await fresh.close();
        await this.client.indices.delete({ index, ignore_unavailable: true });
      },
    };
  }

  /**
   * Makes sure the alias exists: creates `<prefix>packages-v1` with the alias when neither
   * exists, and points the alias at it when only the index does. Idempotent, safe to race.
   */
  init(): Promise<void> {
    this.ready ??= this.createIfMissing().catch((error: unknown) => {
      this.ready = null;
      throw error;
    });
    return this.ready;
  }

  async getMany(packages: readonly string[]): Promise<Map<string, SearchDocument>> {
    const found = new Map<string, SearchDocument>();
    const ids = [...new Set(packages)];
    if (ids.length === 0) return found;
    await this.init();
    const { body } = await this.client.mget({ index: this.target, body: { ids } });
    for (const item of body.docs) {
      if ('error' in item) throw new Error(`OpenSearch mget of ${item._id} failed: ${describe(item.error)}`);
      if (item.found && item._source) {
        const doc = fromSearchSource(item._source as SearchSource);
        found.set(doc.package, doc);
      }
    }
    return found;
  }

  async putMany(updates: readonly SearchUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    for (const { document: doc } of updates) {
      if (!Number.isSafeInteger(doc.sequence) || doc.sequence < 0) {
        throw new Error(`search document ${doc.package}: sequence ${doc.sequence} is not a non-negative integer`);
      }
    }
    await this.init();
    const accepted = await this.aboveStored(updates);
    // Rows by `external_gte`: a row at version N is its package's state at event N, so an
    // operation at the stored row's version applies (a delete too). With `external` it would be a
    // conflict, ignored: a row written by a batch whose documents then failed, redelivered in
    // smaller batches that delete it at that same version, would survive as a ghost.
    const rowOperations = accepted.flatMap(({ document: doc, rows = [], deletedRows = [] }) => [
      ...deletedRows.map((row) => [
        { delete: { _id: searchRowId(doc.package, row), version: doc.sequence, version_type: 'external_gte' } },
      ]),
      ...rows.map((row) => [
        { index: { _id: searchRowId(doc.package, row), version: doc.sequence, version_type: 'external_gte' } },
        toSearchRowSource(doc.package, row),
      ]),
    ]);
    for (let start = 0; start < rowOperations.length; start += ROW_CHUNK) {
      await this.bulk(rowOperations.slice(start, start + ROW_CHUNK), 'search rows', (i) => `row ${i}`);
    }
    for (let start = 0; start < accepted.length; start += BULK_CHUNK) {
      const chunk = accepted.slice(start, start + BULK_CHUNK);
      await this.bulk(
        chunk.map(({ document: doc }) => [
          { index: { _id: doc.package, version: doc.sequence, version_type: 'external' } },
          toSearchSource(withoutView(doc)),
        ]),
        'search documents',
        (i) => `${chunk[i]!.document.package}@${chunk[i]!.document.sequence}`,
      );
    }
  }

  async newestRows(requests: readonly NewestRowsRequest[]): Promise<Map<string, StoredSearchRows>> {
    const found = new Map<string, StoredSearchRows>();
    if (requests.length === 0) return found;
    await this.init();
    await this.client.indices.refresh({ index: this.target });
    const searches = requests.flatMap(({ package: pkg, excluding }) => {
      const filter = [{ term: { kind: 'row' } }, { term: { package: pkg } }];
      const mustNot = excluding.length > 0 ? [{ ids: { values: excluding.map((row) => searchRowId(pkg, row)) } }] : [];
      const top = (extra: Query[], sort: Query[]) => [
        {},
        {
          query: { bool: { filter: [...filter, ...extra], must_not: mustNot } },
          sort,
          size: 1,
          track_total_hits: false,
        },
      ];
      return [
        ...top([], [{ createdAt: 'desc' }]),
        ...top([{ term: { hasChart: true } }], [{ releaseKey: 'desc' }, { sequence: 'asc' }]),
      ];
    });
    const { body } = await this.client.msearch({ index: this.target, body: searches as never });
    const tops = body.responses.map((response) => {
      if ('error' in response) throw new Error(`OpenSearch search of rows failed: ${describe(response.error)}`);
      const hit = response.hits.hits[0];
      return hit?._source ? fromSearchRowSource(hit._source as SearchRowSource) : null;
    });
    requests.forEach((request, i) =>
      found.set(request.package, { newest: tops[2 * i] ?? null, described: tops[2 * i + 1] ?? null }),
    );
    return found;
  }

  /** One refresh, then a scroll over the packages' rows (media type and release are not sortable fields: sorted here). */
  async listRows(packages: readonly string[]): Promise<Map<string, SearchRow[]>> {
    const found = new Map<string, SearchRow[]>(packages.map((pkg) => [pkg, []]));
    if (packages.length === 0) return found;
    await this.init();
    await this.client.indices.refresh({ index: this.target });
    const query = { bool: { filter: [{ term: { kind: 'row' } }, { terms: { package: [...found.keys()] } }] } };
    let { body } = await this.client.search({
      index: this.target,
      scroll: '1m',
      body: { query, size: LIST_ROWS_PAGE, sort: ['_doc'] } as never,
    });
    try {
      while (body.hits.hits.length > 0) {
        for (const hit of body.hits.hits) {
          const source = hit._source as SearchRowSource;
          found.get(source.package)?.push(fromSearchRowSource(source));
        }
        if (body.hits.hits.length < LIST_ROWS_PAGE || !body._scroll_id) break;
        ({ body } = await this.client.scroll({ scroll_id: body._scroll_id, scroll: '1m' } as never));
      }
    } finally {
      if (body._scroll_id)
        await this.client.clearScroll({ scroll_id: body._scroll_id } as never).catch(() => undefined);
    }
    const key = (row: SearchRow) => `${row.mediaType}\u0000${row.release}`;
    for (const rows of found.values()) rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    return found;
  }

  async search(query: SearchQuery): Promise<string[]> {
    const words = [...new Set(searchWords(query.text))].slice(0, MAX_QUERY_WORDS);
    const limit = Math.min(Math.max(Math.floor(query.limit), 0), MAX_LIMIT);
    if (words.length === 0 || limit === 0) return [];
    await this.init();

    // Names are lowercase (the naming rules refuse uppercase), so lowercasing the text is enough.
    const text = query.text.trim().toLowerCase();
    const filters = this.filters(query);
    const relevance = { bool: { must: words.map(wordQuery) } };
    const exact = {
      bool: { should: [{ term: { name: text } }, { term: { package: text } }], minimum_should_match: 1 },
    };
    // A text longer than any package cannot be in one (and would make a needlessly large query).
    const substring = text.length <= MAX_PACKAGE_LENGTH ? { prefix: { suffixes: text } } : { match_none: {} };
    if (query.sort === 'recent') return this.newestFirst(filters, [relevance, substring], limit);
    const tiers: Query[] = [
      // Name (or package) is the text; contains it, too.
      { bool: { filter: [...filters, exact], should: [relevance] } },
      // "namespace/name" contains the text.
      { bool: { filter: [...filters, substring], must_not: [exact], should: [relevance] } },
      // The words match.
      { bool: { filter: filters, must: [relevance], must_not: [substring] } },
    ];
    const { body } = await this.client.msearch({
      index: this.target,
      body: tiers.flatMap((tier) => [
        {},
        {
          query: tier,
          size: limit,
          sort: [{ _score: 'desc' }, { package: 'asc' }],
          _source: false,
          track_total_hits: false,
        },
      ]) as never,
    });

    const results: string[] = [];
    for (const response of body.responses) {
      if ('error' in response) throw new Error(`OpenSearch search failed: ${describe(response.error)}`);
      for (const hit of response.hits.hits) {
        if (results.length < limit && hit._id !== undefined) results.push(hit._id);
      }
    }
    return results;
  }

  async count(): Promise<number> {
    await this.init();
    const { body } = await this.client.count({ index: this.target, body: { query: { term: { active: true } } } });
    return body.count;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** The updates whose documents are above the stored ones (and above their package's earlier ones in `updates`). */
  private async aboveStored(updates: readonly SearchUpdate[]): Promise<SearchUpdate[]> {
    const ids = [...new Set(updates.map((u) => u.document.package))];
    const { body } = await this.client.mget({ index: this.target, body: { ids }, _source: false } as never);
    const stored = new Map<string, number>();
    for (const item of (body as { docs: MgetItem[] }).docs) {
      if ('error' in item) throw new Error(`OpenSearch mget of ${item._id} failed: ${describe(item.error!)}`);
      if (item.found) stored.set(item._id, item._version!);
    }
    return updates.filter(({ document: doc }) => {
      if ((stored.get(doc.package) ?? -1) >= doc.sequence) return false;
      stored.set(doc.package, doc.sequence);
      return true;
    });
  }

  /** One `_bulk` request; a version conflict (not above the stored version) is the port's "ignored". */
  private async bulk(operations: object[][], what: string, label: (i: number) => string): Promise<void> {
    const { body } = await this.client.bulk({
      index: this.target,
      require_alias: this.target === this.alias,
      ...(this.refresh ? { refresh: this.refresh } : {}),
      body: operations.flat() as never,
    });
    if (!body.errors) return;
    const failures = body.items
      .map((item, i) => ({ result: item.index ?? item.delete, i }))
      .filter(({ result }) => result?.error && result.error.type !== 'version_conflict_engine_exception');
    if (failures.length > 0) {
      const shown = failures.slice(0, 5).map(({ result, i }) => `${label(i)}: ${describe(result!.error!)}`);
      throw new Error(`OpenSearch refused ${failures.length} of ${operations.length} ${what}: ${shown.join('; ')}`);
    }
  }

  /** The documents passing the filters and matching one of `matches`, newest release first. */
  private async newestFirst(filters: Query[], matches: Query[], limit: number): Promise<string[]> {
    const { body } = await this.client.search({
      index: this.target,
      body: {
        query: { bool: { filter: [...filters, { bool: { should: matches, minimum_should_match: 1 } }] } },
        size: limit,
        // unmapped_type: an index that somehow lacks the field still answers (all of it last).
        sort: [{ releasedAt: { order: 'desc', missing: '_last', unmapped_type: 'date' } }, { package: 'asc' }],
        _source: false,
        track_total_hits: false,
      } as never,
    });
    return body.hits.hits.flatMap((hit) => (hit._id === undefined ? [] : [hit._id]));
  }

  /** Active documents, in the namespace and with the media type asked for, visible to the caller. */
  private filters(query: SearchQuery): Query[] {
    const filters: Query[] = [{ term: { active: true } }];
    if (query.namespace !== undefined) filters.push({ term: { namespace: query.namespace } });
    if (query.mediaType !== undefined) filters.push({ term: { mediaTypes: query.mediaType } });
    if (query.visibleNamespaces !== undefined && query.visibleNamespaces !== 'all') {
      filters.push({
        bool: {
          should: [{ term: { visibility: 'public' } }, { terms: { namespace: [...query.visibleNamespaces] } }],
          minimum_should_match: 1,
        },
      });
    }
    return filters;
  }

  private async createIfMissing(): Promise<void> {
    if (await this.aliasExists()) {
      // An index created before `releasedAt` and rows were mapped gets their fields (adding one is compatible).
      await this.client.indices.putMapping({ index: this.alias, body: ADDED_MAPPINGS as never });
      return;
    }
    const index = searchIndexName(this.options.indexPrefix);
    try {
      await this.client.indices.create({
        index,
        body: { ...searchIndexBody({ replicas: this.options.replicas }), aliases: { [this.alias]: {} } } as never,
      });
    } catch (error) {
      if (errorType(error) !== 'resource_already_exists_exception') throw error;
      // Another instance created it meanwhile, or the index outlived its alias.
      if (!(await this.aliasExists())) {
        await this.client.indices.updateAliases({ body: { actions: [{ add: { index, alias: this.alias } }] } });
      }
    }
  }

  /** The concrete indices behind the alias (one, normally). */
  private async aliasedIndices(): Promise<string[]> {
    const { body } = await this.client.indices.getAlias({ name: this.alias });
    return Object.keys(body);
  }

  private async aliasExists(): Promise<boolean> {
    const { body } = await this.client.indices.existsAlias({ name: this.alias });
    return body === true;
  }
}

/** One word: as a whole word (scored), as a prefix, or with typos; in any field. */
function wordQuery(word: string): Query {
  const should: Query[] = [];
  for (const { field, boost, fuzzy } of WORD_FIELDS) {
    should.push({ term: { [field]: { value: word, boost } } });
    // Prefix queries score a constant: their boost.
    should.push({ prefix: { [field]: { value: word, boost: boost / 10 } } });
    if (fuzzy && word.length >= 4) {
      // One typo from 4 characters, two from 7; the first character must be right.
      should.push({
        match: {
          [field]: { query: word, fuzziness: 'AUTO:4,7', prefix_length: 1, max_expansions: 10, boost: boost / 5 },
        },
      });
    }
  }
  return { bool: { should, minimum_should_match: 1 } };
}

interface MgetItem {
  _id: string;
  found?: boolean;
  _version?: number;
  error?: ErrorCause;
}

/** The document as stored: without the whole view of the former layout. */
function withoutView(doc: SearchDocument): SearchDocument {
  const { view: _view, ...rest } = doc;
  return rest;
}

function errorType(error: unknown): string | undefined {
  return error instanceof errors.ResponseError ? (error.body as { error?: { type?: string } })?.error?.type : undefined;
}

interface ErrorCause {
  type: string;
  reason?: string | null;
  caused_by?: ErrorCause;
  root_cause?: ErrorCause[];
}

/** The error and what caused it (a search's own reason is only "all shards failed"). */
function describe(error: ErrorCause): string {
  const causes: string[] = [];
  for (let cause: ErrorCause | undefined = error; cause; cause = cause.caused_by ?? cause.root_cause?.[0]) {
    causes.push(cause.reason ? `${cause.type}: ${cause.reason}` : cause.type);
    if (causes.length > 5) break;
  }
  return causes.join(', caused by ');
}

// OpenSearch's connection errors and 429/5xx answers leave every method as the ports' DependencyUnavailableError (opensearch-outage.ts).
translateOutages(OpenSearchSearchIndex, 'OpenSearch', isOpenSearchOutage);

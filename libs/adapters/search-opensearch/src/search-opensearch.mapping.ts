/**
 * Settings, mappings and indexed fields of the OpenSearch search index.
 *
 * Written for an OpenSearch core without the analysis-common module (the integ-test
 * distribution Wharf's integration tests run on): no lowercase/asciifolding-based custom
 * analyzers, no pattern/ngram tokenizers, no language analyzers. So words are cut in
 * TypeScript, by `searchWords`, the same function for documents and for user text, and the
 * index only splits the prepared `words.*` strings on spaces (`whitespace` analyzer). That keeps
 * the port's definition of a word (runs of letters and digits) exact on both sides, which the
 * `standard` tokenizer would not (`example.com`, `foo_bar` and `1.2` are one token there, and
 * every CJK ideograph is its own). Diacritics are removed like the embedded index does
 * (SQLite FTS5 `remove_diacritics 2`), since `asciifolding` is unavailable.
 *
 * "namespace/name" contains the user's text when the text is a prefix of one of its suffixes:
 * `suffixes` holds them (a keyword array), so the substring match is a `prefix` query, literal by
 * construction, instead of a leading-wildcard query (which scans every term, needs escaping, and
 * fails on long texts: "Determinizing automaton ... would require more than 10000 effort").
 * Package names are short (at most 255 + 1 + 255 characters by the naming rules, usually a few
 * dozen), so the suffixes cost little.
 *
 * The document as given (SearchDocument) is the `_source`, next to `words` and `suffixes`; the
 * fields only kept for `getMany` are stored but not indexed (and a document of the former layout
 * keeps its `view` there until its package's next event).
 *
 * A package's rows (SearchRow) live in the same index, so a rebuild's alias swap moves them
 * with the documents: `kind: 'row'`, `_id` a digest of (package, media type, release)
 * (`searchRowId`), and no `active` field, so no search or count, all filtered on `active`,
 * ever sees one. `createdAt` is a keyword: the domain orders release times as text.
 */
import { createHash } from 'node:crypto';
import type { SearchDocument, SearchRow, SearchRowKey } from '@wharf/ports';

/** Bumped when the mapping changes incompatibly; a rebuild fills `<prefix>packages-v<n>` and swaps the alias. */
export const SEARCH_INDEX_VERSION = 1;

/** Reads and writes go through this alias, never to a concrete index. */
export function searchIndexAlias(indexPrefix: string): string {
  return `${indexPrefix}packages`;
}

/** The concrete index behind the alias for a mapping version. */
export function searchIndexName(indexPrefix: string, version = SEARCH_INDEX_VERSION): string {
  return `${searchIndexAlias(indexPrefix)}-v${version}`;
}

/**
 * Longest word kept, in UTF-16 code units: the whitespace tokenizer cuts tokens at 255, so
 * longer words are shortened here on both sides instead (a shortened query word still matches
 * as a prefix).
 */
export const MAX_WORD_LENGTH = 200;

/**
 * The words of a text: letters lose their diacritics, are lowercased, and runs of letters and
 * digits are the words (`Load-Balancer` is `load` and `balancer`, `Ünïcödé` is `unicode`).
 */
export function searchWords(text: string): string[] {
  const folded = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFC')
    .toLowerCase();
  return (folded.match(/[\p{L}\p{N}]+/gu) ?? []).map(shorten);
}

function shorten(word: string): string {
  if (word.length <= MAX_WORD_LENGTH) return word;
  const cut = word.slice(0, MAX_WORD_LENGTH);
  // Do not leave half of a surrogate pair at the end.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** The analyzed fields of a document, each the document's words joined by spaces. */
export interface SearchWords {
  name: string;
  namespace: string;
  keywords: string;
  description: string;
}

/** What is stored for a document: the document itself (given back by getMany), its words and suffixes. */
export type SearchSource = SearchDocument & { words: SearchWords; suffixes: string[] };

export function toSearchSource(doc: SearchDocument): SearchSource {
  const join = (...texts: string[]) => texts.flatMap(searchWords).join(' ');
  return {
    ...doc,
    words: {
      name: join(doc.name),
      namespace: join(doc.namespace),
      keywords: join(...doc.keywords),
      description: join(doc.description),
    },
    suffixes: suffixesOf(doc.package.toLowerCase()),
  };
}

/** Every non-empty suffix of a package ("ns/app", "s/app", …, "p"). */
export function suffixesOf(value: string): string[] {
  return Array.from({ length: value.length }, (_, i) => value.slice(i));
}

/** What is stored for a row: the row, its package, and what finds it. */
export type SearchRowSource = SearchRow & { kind: 'row'; package: string; hasChart: boolean };

export function toSearchRowSource(pkg: string, row: SearchRow): SearchRowSource {
  return { kind: 'row', package: pkg, ...row, hasChart: row.chart !== null };
}

export function fromSearchRowSource(source: SearchRowSource): SearchRow {
  const { kind: _kind, package: _package, hasChart: _hasChart, ...row } = source;
  return row;
}

/** A row's `_id`: a digest, since package and release together may exceed the 512 bytes an id may have. */
export function searchRowId(pkg: string, row: SearchRowKey): string {
  return `row:${createHash('sha256').update(`${pkg}\u0000${row.mediaType}\u0000${row.release}`).digest('hex')}`;
}

export function fromSearchSource(source: SearchSource): SearchDocument {
  const { words: _words, suffixes: _suffixes, ...doc } = source;
  return doc;
}

/** Word fields: split on spaces only (the words are prepared by `searchWords`). */
const wordField = { type: 'text', analyzer: 'whitespace', index_prefixes: { min_chars: 1, max_chars: 10 } } as const;

/** `GET <index>/_mapping` gives exactly this back. */
export const SEARCH_INDEX_MAPPINGS = {
  // Unknown fields stay in _source but are not indexed; a new SearchDocument field never fails a write.
  dynamic: 'false',
  properties: {
    package: { type: 'keyword' },
    namespace: { type: 'keyword' },
    name: { type: 'keyword' },
    sequence: { type: 'long' },
    active: { type: 'boolean' },
    visibility: { type: 'keyword' },
    mediaTypes: { type: 'keyword' },
    keywords: { type: 'keyword' },
    description: { type: 'text', index: false },
    releases: { type: 'keyword', index: false, doc_values: false },
    updatedAt: { type: 'keyword', index: false, doc_values: false },
    // Sorted on by recency; added to indices created before it by `init` (ADDED_MAPPINGS).
    releasedAt: { type: 'date' },
    view: { type: 'object', enabled: false },
    suffixes: { type: 'keyword' },
    // Rows (`kind: 'row'`); added to indices created before them by `init` (ADDED_MAPPINGS).
    kind: { type: 'keyword' },
    release: { type: 'keyword', index: false, doc_values: false },
    mediaType: { type: 'keyword', index: false, doc_values: false },
    createdAt: { type: 'keyword' },
    releaseKey: { type: 'keyword' },
    hasChart: { type: 'boolean' },
    chart: { type: 'object', enabled: false },
    words: {
      properties: {
        name: wordField,
        namespace: wordField,
        keywords: wordField,
        description: { type: 'text', analyzer: 'whitespace' },
      },
    },
  },
} as const;

/**
 * The fields added to the mapping since version 1 (each addition compatible): `PUT
 * <alias>/_mapping` with them lets an older index sort by `releasedAt` (its older documents
 * lack the value and sort last, until their package's next event or a replay) and hold rows.
 */
export const ADDED_MAPPINGS = {
  properties: (
    ['releasedAt', 'kind', 'release', 'mediaType', 'createdAt', 'releaseKey', 'hasChart', 'chart'] as const
  ).reduce(
    (fields, name) => ({ ...fields, [name]: SEARCH_INDEX_MAPPINGS.properties[name] }),
    {} as Record<string, unknown>,
  ),
};

export interface SearchIndexSettingsOptions {
  /** Replicas per shard. Default 0 (a single node; a cluster wants at least 1). */
  replicas?: number;
}

/**
 * One shard: a registry's package count fits easily, and BM25 statistics are then exact, so
 * ranking does not depend on which shard a package landed on.
 */
export function searchIndexSettings(options: SearchIndexSettingsOptions = {}) {
  return {
    index: {
      number_of_shards: 1,
      number_of_replicas: options.replicas ?? 0,
    },
  };
}

/** The body of `PUT <searchIndexName>`, without aliases. */
export function searchIndexBody(options: SearchIndexSettingsOptions = {}) {
  return { settings: searchIndexSettings(options), mappings: SEARCH_INDEX_MAPPINGS };
}

import type { MetadataStore } from './metadata-store.port';
import type { SearchIndex } from './search-index.port';

/**
 * What the gateway may ask of the metadata service: package views and listings. In the
 * embedded profile it is the metadata store itself; in the distributed one, a client of the
 * metadata service.
 */
export const PACKAGE_READER = Symbol('PackageReader');
export type PackageReader = Pick<MetadataStore, 'get' | 'getHead' | 'getRelease' | 'list' | 'count'>;

/** What the gateway may ask of the search service. */
export const SEARCH_READER = Symbol('SearchReader');
export type SearchReader = Pick<SearchIndex, 'search' | 'count'>;

import { Inject, Injectable } from '@nestjs/common';
import { Caller, SearchSort } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { SEARCH_READER, SearchReader } from '@wharf/ports';
import { AccessControl } from '../../auth/access-control';

/** The most characters of the search text that are searched for. */
const MAX_SEARCH_TEXT = 256;

/**
 * What is searched for: free text, and optionally the exact namespace and a media type the
 * results have, and their order (absent: relevance).
 */
export interface PackageSearch {
  text: string;
  namespace?: string;
  mediaType?: string;
  sort?: SearchSort;
}

/** Full-text search over the packages the caller may read: their names, best match or newest release first. */
@Injectable()
export class SearchPackagesUseCase {
  constructor(
    @Inject(SEARCH_READER) private readonly search: SearchReader,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    private readonly access: AccessControl,
  ) {}

  async execute(caller: Caller, search: PackageSearch): Promise<string[]> {
    const visibleNamespaces = await this.access.readableNamespaces(caller);
    return this.search.search({
      text: search.text.slice(0, MAX_SEARCH_TEXT),
      ...(search.namespace !== undefined ? { namespace: search.namespace } : {}),
      ...(search.mediaType !== undefined ? { mediaType: search.mediaType } : {}),
      ...(search.sort !== undefined ? { sort: search.sort } : {}),
      visibleNamespaces,
      limit: this.config.listLimit,
    });
  }
}

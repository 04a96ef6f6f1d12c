import type { SearchQuery, SearchReader } from '@wharf/ports';
import { InternalHttpClient } from '@wharf/adapters/internal-http';

/** The gateway's SearchReader in the distributed profile: the search service's internal API. */
export class SearchHttpClient implements SearchReader {
  private readonly http: InternalHttpClient;

  /** `timeoutMs`: longest wait for an answer before the call fails with ServiceUnavailableError. */
  constructor(baseUrl: string, timeoutMs?: number) {
    this.http = new InternalHttpClient('search', baseUrl, timeoutMs);
  }

  search(query: SearchQuery): Promise<string[]> {
    return this.http.json('POST', '/internal/v1/search', query);
  }

  async count(): Promise<number> {
    return (await this.http.json<{ count: number }>('GET', '/internal/v1/search-count')).count;
  }
}

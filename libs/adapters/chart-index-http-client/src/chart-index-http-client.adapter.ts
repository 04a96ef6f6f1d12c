import type { ChartIndexReader, NamespaceCharts } from '@wharf/ports';
import { InternalHttpClient } from '@wharf/adapters/internal-http';

/** The gateway's ChartIndexReader in the distributed profile: the metadata service's internal chart index API. */
export class ChartIndexHttpClient implements ChartIndexReader {
  private readonly http: InternalHttpClient;

  constructor(baseUrl: string) {
    this.http = new InternalHttpClient('metadata', baseUrl);
  }

  async revision(namespace: string): Promise<string> {
    return (
      await this.http.json<{ revision: string }>('GET', `/internal/v1/charts/${encodeURIComponent(namespace)}/revision`)
    ).revision;
  }

  read(namespace: string): Promise<NamespaceCharts> {
    return this.http.json('GET', `/internal/v1/charts/${encodeURIComponent(namespace)}`);
  }
}

import { PackageSummary, PackageView, splitPackageName } from '@wharf/domain';
import type { PackageListFilter, PackageReader } from '@wharf/ports';
import { InternalHttpClient } from '@wharf/adapters/internal-http';

/** The gateway's PackageReader in the distributed profile: the metadata service's internal API. */
export class MetadataHttpClient implements PackageReader {
  private readonly http: InternalHttpClient;

  /** `timeoutMs`: longest wait for an answer before the call fails with ServiceUnavailableError. */
  constructor(baseUrl: string, timeoutMs?: number) {
    this.http = new InternalHttpClient('metadata', baseUrl, timeoutMs);
  }

  async get(pkg: string): Promise<PackageView | null> {
    const { namespace, name } = splitPackageName(pkg);
    return (
      await this.http.json<{ view: PackageView | null }>(
        'GET',
        `/internal/v1/packages/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`,
      )
    ).view;
  }

  list(filter: PackageListFilter): Promise<PackageSummary[]> {
    return this.http.json('POST', '/internal/v1/packages/list', filter);
  }

  async count(): Promise<number> {
    return (await this.http.json<{ count: number }>('GET', '/internal/v1/packages-count')).count;
  }
}

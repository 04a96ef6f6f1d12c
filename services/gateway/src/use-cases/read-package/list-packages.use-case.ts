import { Inject, Injectable } from '@nestjs/common';
import { Caller } from '@wharf/domain';
import { PACKAGE_READER, PackageReader } from '@wharf/ports';
import { AccessControl } from '../../auth/access-control';
import { listEntryJson } from '../../presenters/appr.presenter';

/** `GET /api/v1/packages`: its filters and page, parsed (`limit` within the configured bound). */
export interface PackageListQuery {
  namespace?: string;
  nameContains?: string;
  mediaType?: string;
  limit: number;
  offset: number;
}

/** The package listing: only the namespaces the caller may read, filtered in the store's query. */
@Injectable()
export class ListPackagesUseCase {
  constructor(
    @Inject(PACKAGE_READER) private readonly reader: PackageReader,
    private readonly access: AccessControl,
  ) {}

  async execute(caller: Caller, query: PackageListQuery) {
    const visibleNamespaces = await this.access.readableNamespaces(caller);
    const summaries = await this.reader.list({ ...query, visibleNamespaces });
    return summaries.map((s) => listEntryJson(s, query.mediaType));
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { EVENT_LOG, EventLog, PACKAGE_READER, PackageReader, SEARCH_READER, SearchReader } from '@wharf/ports';
import { BlobCensus } from './blob-census';

export interface RegistryStats {
  events: number;
  blobs: number;
  packages: number;
  searchDocuments: number;
}

/**
 * Counts across the stores, for operators and for tests that prove a refused request changed
 * nothing: the stores' own counts, and the blob count the BlobCensus keeps (`fresh`: counted now,
 * by a walk of the blob store). Registry-wide, private packages included: the route is an
 * operator's (`@OperatorOnly`).
 */
@Injectable()
export class RegistryStatsUseCase {
  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PACKAGE_READER) private readonly packages: PackageReader,
    @Inject(SEARCH_READER) private readonly search: SearchReader,
    private readonly census: BlobCensus,
  ) {}

  async execute(fresh: boolean): Promise<RegistryStats> {
    const [events, blobs, packages, searchDocuments] = await Promise.all([
      this.log.count(),
      fresh ? this.census.fresh() : this.census.cached(),
      this.packages.count(),
      this.search.count(),
    ]);
    return { events, blobs, packages, searchDocuments };
  }
}

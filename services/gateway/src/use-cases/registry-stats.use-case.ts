import { Inject, Injectable } from '@nestjs/common';
import { BLOB_STORE, BlobStore, EVENT_LOG, EventLog, PACKAGE_READER, PackageReader, SEARCH_READER, SearchReader } from '@wharf/ports';

/**
 * Counts across the stores, for operators and for tests that prove a refused request changed
 * nothing. Counting blobs walks the blob store: a diagnostic, not a hot path.
 */
@Injectable()
export class RegistryStatsUseCase {
  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(PACKAGE_READER) private readonly packages: PackageReader,
    @Inject(SEARCH_READER) private readonly search: SearchReader,
  ) {}

  async execute() {
    let blobs = 0;
    for await (const _ of this.blobs.list()) blobs++;
    const [events, packages, searchDocuments] = await Promise.all([this.log.count(), this.packages.count(), this.search.count()]);
    return { events, blobs, packages, searchDocuments };
  }
}

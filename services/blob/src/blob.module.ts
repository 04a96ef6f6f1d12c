import { Module } from '@nestjs/common';
import { BlobGarbageCollector } from './blob-garbage-collector';
import { BlobReferenceProjector } from './blob-reference.projector';

/**
 * The blob service: owner of the blob store and of the blob reference counts; deletes blobs no
 * release references. Expects EVENT_LOG, BLOB_STORE, BLOB_REFERENCES, WHARF_CONFIG and
 * BLOB_LOGGER from the profile.
 */
@Module({
  providers: [BlobReferenceProjector, BlobGarbageCollector],
  exports: [BlobReferenceProjector, BlobGarbageCollector],
})
export class BlobModule {}

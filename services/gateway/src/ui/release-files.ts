/**
 * A release's archive as a package page shows it, read through the same guard as every API read
 * of the package (`ReadablePackages`: a private package the visitor may not read is not found).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { ReleaseManifest } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { BLOB_STORE, BlobStore } from '@wharf/ports';
import { ChartFiles, readChartFiles } from './chart-files';

/** Archives larger than this are not opened for a page (their versions, digests and install commands still show). */
export const MAX_PREVIEWED_ARCHIVE_BYTES = 8 * 1024 * 1024;

@Injectable()
export class ReleaseFiles {
  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  /** The archive's files, or why they are not shown. Only for a manifest of a view the visitor may read. */
  async of(manifest: ReleaseManifest): Promise<{ files: ChartFiles | null; note: string | null }> {
    if (manifest.size > MAX_PREVIEWED_ARCHIVE_BYTES)
      return { files: null, note: 'The archive is too large to preview here; pull it to see its files.' };
    const gz = await this.blobs.read(manifest.blobDigest);
    try {
      return { files: readChartFiles(gz, this.config.archive.maxUnpackedBytes), note: null };
    } catch {
      return { files: null, note: 'The archive could not be read for a preview.' };
    }
  }
}

/**
 * A release's archive as a package page shows it, read through the same guard as every API read
 * of the package (`ReadablePackages`: a private package the visitor may not read is not found).
 *
 * Opening an archive and rendering its README is the dearest part of a page (a hostile 256 KiB
 * README costs markdown-it a second or more), and an archive never changes under its digest: the
 * preview, README already rendered, is kept per archive digest in a bounded LRU (by characters
 * kept), so a page read twice pays once. Concurrent first reads of one archive share one build.
 * Per process and only of archives some visitor could read: a digest is content, not access, and
 * every page asks `ReadablePackages` before it asks for the preview.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { LruBySize, LruBySizeLimits } from '@wharf/collections';
import type { ReleaseManifest } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { BLOB_STORE, BlobStore } from '@wharf/ports';
import { ArchiveFile, readChartFiles } from './chart-files';
import { renderReadme } from './markdown';

/** Archives larger than this are not opened for a page (their versions, digests and install commands still show). */
export const MAX_PREVIEWED_ARCHIVE_BYTES = 8 * 1024 * 1024;

/** How much the previews kept may weigh, in characters (README HTML, values.yaml, file paths). */
export const RELEASE_PREVIEW_CACHE = Symbol('RELEASE_PREVIEW_CACHE');
export const DEFAULT_PREVIEW_CACHE: LruBySizeLimits = { maxEntrySize: 4 * 1024 * 1024, maxTotalSize: 32 * 1024 * 1024 };

/** What a package page shows of an archive. */
export interface ReleasePreview {
  /** Every file, the top directory stripped. */
  files: ArchiveFile[];
  /** The README rendered by `renderReadme`: safe markup, inserted as it is. */
  readmeHtml: string | null;
  values: string | null;
  templates: string[];
}

/** The preview, or why there is none. */
export interface ReleasePreviewResult {
  files: ReleasePreview | null;
  note: string | null;
}

const TOO_LARGE: ReleasePreviewResult = {
  files: null,
  note: 'The archive is too large to preview here; pull it to see its files.',
};
const UNREADABLE: ReleasePreviewResult = { files: null, note: 'The archive could not be read for a preview.' };

@Injectable()
export class ReleaseFiles {
  private readonly cache: LruBySize<string, ReleasePreviewResult>;
  private readonly building = new Map<string, Promise<ReleasePreviewResult>>();

  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    @Optional() @Inject(RELEASE_PREVIEW_CACHE) limits: LruBySizeLimits = DEFAULT_PREVIEW_CACHE,
  ) {
    this.cache = new LruBySize(limits);
  }

  /** The archive's preview, or why there is none. Only for a manifest of a view the visitor may read. */
  async of(manifest: ReleaseManifest): Promise<ReleasePreviewResult> {
    if (manifest.size > MAX_PREVIEWED_ARCHIVE_BYTES) return TOO_LARGE;
    const digest = manifest.blobDigest;
    const kept = this.cache.get(digest);
    if (kept) return kept;
    const pending = this.building.get(digest);
    if (pending) return pending;
    const build = this.build(digest).finally(() => this.building.delete(digest));
    this.building.set(digest, build);
    return build;
  }

  private async build(digest: string): Promise<ReleasePreviewResult> {
    // A failed read (the blob store down) is not kept: the next page tries again.
    const gz = await this.blobs.read(digest);
    let result: ReleasePreviewResult;
    try {
      const files = readChartFiles(gz, this.config.archive.maxUnpackedBytes);
      result = {
        files: {
          files: files.files,
          readmeHtml: files.readme === null ? null : renderReadme(files.readme),
          values: files.values,
          templates: files.templates,
        },
        note: null,
      };
    } catch {
      result = UNREADABLE;
    }
    this.cache.set(digest, result, weight(result));
    return result;
  }
}

/** The characters a preview holds, about: its texts and one path per file (and a little per entry). */
function weight(result: ReleasePreviewResult): number {
  const p = result.files;
  if (!p) return 64;
  const paths = p.files.reduce((sum, f) => sum + f.path.length + 16, 0);
  return 64 + paths + (p.readmeHtml?.length ?? 0) + (p.values?.length ?? 0);
}

/**
 * How the bytes of a release's blob are read for an answer, shared by the pulls and the blob
 * routes (and `/v2/` blob GETs, for the redirect): whole or streamed, redirected to the store,
 * or refused as too large for JSON. Each
 * archive read for an answer, or redirected, is an appr pull on the metrics.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { HeadFields, JsonPullTooLargeError, ReleaseManifest, apprPackagePath } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { BLOB_STORE, BlobStore, METRICS, NO_METRICS, TransferMetrics, TransferProtocol } from '@wharf/ports';

/**
 * A blob for a JSON pull: whole when the blob cache may keep it, else a stream of exactly
 * `manifest.size` bytes (the presenter encodes it as it arrives).
 */
export interface BlobForJson {
  view: HeadFields;
  manifest: ReleaseManifest;
  body: Buffer | Readable;
}

/** Where the client can fetch the archive itself, when pull redirects are on and the store can sign a URL. */
export interface RedirectedBlob {
  view: HeadFields;
  manifest: ReleaseManifest;
  location: string;
}

/**
 * Whether the client already holds the blob with this digest (its `If-None-Match`). Asked only
 * once the caller may read the package and the request resolved to a blob, so the answer never
 * tells a caller anything about a package it may not read.
 */
export type HeldBlobs = (blobDigest: string) => boolean;

export const HOLDS_NOTHING: HeldBlobs = () => false;

/**
 * A raw archive to send. `body` is the whole blob, a stream of exactly `manifest.size` bytes
 * (blobs larger than the blob cache keeps), or null when the client already holds the blob
 * (nothing was read). `immutable`: the URL asked names these very bytes (a blob asked by the
 * digest of its bytes), so the answer may be kept forever.
 */
export interface ArchiveToSend {
  view: HeadFields;
  manifest: ReleaseManifest;
  filename: string;
  /** The client-visible name of the blob's bytes: their sha256. */
  blobDigest: string;
  immutable: boolean;
  body: Buffer | Readable | null;
}

@Injectable()
export class ArchiveReads {
  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    @Optional() @Inject(METRICS) private readonly metrics: TransferMetrics = NO_METRICS,
  ) {}

  /**
   * Blobs the cache may keep are read whole (from memory once cached); larger ones are streamed,
   * their length known from the release, so neither is held whole nor stat'ed per request.
   */
  async body(manifest: ReleaseManifest): Promise<Buffer | Readable> {
    const body = await (manifest.size <= this.config.blobCache.maxBlobBytes
      ? this.blobs.read(manifest.blobDigest)
      : this.blobs.open(manifest.blobDigest));
    this.metrics.pulled('appr', manifest.size);
    return body;
  }

  /**
   * A JSON pull's blob: refused above `maxJsonPullBytes` before a byte is read (413 naming
   * `rawPull`, which serves the same bytes streamed), else read as a raw pull reads it.
   */
  bodyForJson(manifest: ReleaseManifest, rawPull: string): Promise<Buffer | Readable> {
    const max = this.config.http.maxJsonPullBytes;
    if (manifest.size > max) throw new JsonPullTooLargeError(manifest.size, max, rawPull);
    return this.body(manifest);
  }

  /**
   * A signed URL of the blob, when pull redirects are on and the store can sign one; else null.
   * The one rule of WHARF_PULL_REDIRECT, for appr pulls and `/v2/` blob GETs alike (`protocol`
   * names the pull on the metrics).
   */
  async redirectFor(blobDigest: string, protocol: TransferProtocol = 'appr'): Promise<string | null> {
    if (!this.config.pullRedirect.enabled || !this.blobs.downloadUrl) return null;
    const location = await this.blobs.downloadUrl(blobDigest, this.config.pullRedirect.ttlSeconds);
    if (location) this.metrics.pulled(protocol, 0);
    return location;
  }

  /** The package's URL path as clients reach it (with the API prefix), for the raw pull a 413 names. */
  packagePath(view: Pick<HeadFields, 'namespace' | 'name'>): string {
    return apprPackagePath(this.config.http.apiPrefix, view.namespace, view.name);
  }
}

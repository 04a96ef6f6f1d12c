/**
 * Reads of one package (show, pull, blobs, channels) against the metadata service's views,
 * blob bytes from the blob service, and the listing and search queries.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import {
  Caller,
  ChannelNotFoundError,
  JsonPullTooLargeError,
  PackageNotFoundError,
  PackageView,
  ReleaseManifest,
  findChannel,
  parseChannelName,
  parseMediaType,
  parsePackageRef,
  sortReleasesDescending,
  isSha256Hex,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { BLOB_STORE, BlobStore, PACKAGE_READER, PackageReader, SEARCH_READER, SearchReader } from '@wharf/ports';
import { RequestValues, optionalInt, optionalString } from '../http/request-values';
import { blobFilename, channelJson, listEntryJson, manifestJson, manifestWithChannelsJson, pullFilename } from '../presenters/appr.presenter';
import { AccessControl } from '../auth/access-control';
import { loadExistingPackage, resolveManifest, resolveRelease } from './package-lookup';


/**
 * A blob for a JSON pull: whole when the blob cache may keep it, else a stream of exactly
 * `manifest.size` bytes (the presenter encodes it as it arrives).
 */
export interface BlobForJson {
  view: PackageView;
  manifest: ReleaseManifest;
  body: Buffer | Readable;
}

/** Where the client can fetch the archive itself, when pull redirects are on and the store can sign a URL. */
export interface RedirectedBlob {
  view: PackageView;
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
  view: PackageView;
  manifest: ReleaseManifest;
  filename: string;
  /** The client-visible name of the blob's bytes: their sha256. */
  blobDigest: string;
  immutable: boolean;
  body: Buffer | Readable | null;
}

@Injectable()
export class ReadPackageUseCases {
  constructor(
    @Inject(PACKAGE_READER) private readonly reader: PackageReader,
    @Inject(SEARCH_READER) private readonly search: SearchReader,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    private readonly access: AccessControl,
  ) {}

  /** The package, when it exists and the caller may read it; package-not-found otherwise. */
  private async readable(caller: Caller, namespace: string, name: string): Promise<PackageView> {
    const view = await loadExistingPackage(this.reader, parsePackageRef(namespace, name));
    await this.access.assertReadable(caller, view);
    return view;
  }

  async list(caller: Caller, values: RequestValues) {
    const namespace = optionalString(values, 'namespace') || undefined;
    const query = optionalString(values, 'query') || undefined;
    const mediaTypeValue = optionalString(values, 'media_type') || undefined;
    const mediaType = mediaTypeValue === undefined ? undefined : parseMediaType(mediaTypeValue);
    const limit = optionalInt(values, 'limit', 1, this.config.listLimit) ?? this.config.listLimit;
    const offset = optionalInt(values, 'offset', 0, 1_000_000_000) ?? 0;
    const visibleNamespaces = await this.access.readableNamespaces(caller);
    const summaries = await this.reader.list({ namespace, mediaType, nameContains: query, visibleNamespaces, limit, offset });
    return summaries.map((s) => listEntryJson(s, mediaType));
  }

  async searchPackages(caller: Caller, values: RequestValues): Promise<string[]> {
    const text = optionalString(values, 'q') ?? '';
    const visibleNamespaces = await this.access.readableNamespaces(caller);
    return this.search.search({ text: text.slice(0, 256), visibleNamespaces, limit: this.config.listLimit });
  }

  async showPackage(caller: Caller, namespace: string, name: string, values: RequestValues) {
    const view = await this.readable(caller, namespace, name);
    const mediaTypeValue = optionalString(values, 'media_type') || undefined;
    const mediaType = mediaTypeValue === undefined ? undefined : parseMediaType(mediaTypeValue);
    return sortManifests(view.manifests)
      .filter((m) => mediaType === undefined || m.mediaType === mediaType)
      .map((m) => manifestJson(view, m));
  }

  async showRelease(caller: Caller, namespace: string, name: string, releaseQuery: string) {
    const view = await this.readable(caller, namespace, name);
    const release = resolveRelease(view, releaseQuery);
    return sortManifests(view.manifests.filter((m) => m.release === release)).map((m) => manifestJson(view, m));
  }

  async showManifest(caller: Caller, namespace: string, name: string, releaseQuery: string, mediaType: string) {
    const view = await this.readable(caller, namespace, name);
    return manifestWithChannelsJson(view, resolveManifest(view, releaseQuery, mediaType));
  }

  /** The JSON pull (`?format=json`, `/pull/json`): see `bodyForJson`. */
  async pullForJson(caller: Caller, namespace: string, name: string, releaseQuery: string, mediaType: string): Promise<BlobForJson> {
    const view = await this.readable(caller, namespace, name);
    const manifest = resolveManifest(view, releaseQuery, mediaType);
    const rawPull = `${this.packagePath(view)}/${encodeURIComponent(manifest.release)}/${encodeURIComponent(manifest.mediaType)}/pull`;
    return { view, manifest, body: await this.bodyForJson(manifest, rawPull) };
  }

  /** The raw pull: a redirect when configured and possible, else the archive. */
  async pullArchive(caller: Caller, namespace: string, name: string, releaseQuery: string, mediaType: string, held: HeldBlobs = HOLDS_NOTHING): Promise<ArchiveToSend | RedirectedBlob> {
    const view = await this.readable(caller, namespace, name);
    const manifest = resolveManifest(view, releaseQuery, mediaType);
    const archive = { view, manifest, filename: pullFilename(view, manifest.release), blobDigest: manifest.blobDigest, immutable: false };
    if (held(manifest.blobDigest)) return { ...archive, body: null };
    const location = await this.redirectFor(manifest.blobDigest);
    return location ? { view, manifest, location } : { ...archive, body: await this.archiveBody(manifest) };
  }

  /** A blob of this package by digest (see `blob`), as a raw archive. */
  async blobArchive(caller: Caller, namespace: string, name: string, digest: string, held: HeldBlobs = HOLDS_NOTHING): Promise<ArchiveToSend> {
    const { view, manifest, wanted } = await this.blobManifest(caller, namespace, name, digest);
    const body = held(manifest.blobDigest) ? null : await this.archiveBody(manifest);
    return { view, manifest, filename: blobFilename(view, wanted), blobDigest: manifest.blobDigest, immutable: wanted === manifest.blobDigest, body };
  }

  /**
   * Blobs the cache may keep are read whole (from memory once cached); larger ones are streamed,
   * their length known from the release, so neither is held whole nor stat'ed per request.
   */
  private archiveBody(manifest: ReleaseManifest): Promise<Buffer | Readable> {
    return manifest.size <= this.config.blobCache.maxBlobBytes ? this.blobs.read(manifest.blobDigest) : this.blobs.open(manifest.blobDigest);
  }

  private async redirectFor(blobDigest: string): Promise<string | null> {
    if (!this.config.pullRedirect.enabled || !this.blobs.downloadUrl) return null;
    return this.blobs.downloadUrl(blobDigest, this.config.pullRedirect.ttlSeconds);
  }

  /** A blob by its appr digest (or by the digest of its bytes), only among this package's releases, for JSON: see `bodyForJson`. */
  async blobForJson(caller: Caller, namespace: string, name: string, digest: string): Promise<BlobForJson & { digest: string }> {
    const { view, manifest, wanted } = await this.blobManifest(caller, namespace, name, digest);
    const rawPull = `${this.packagePath(view)}/blobs/sha256/${wanted}`;
    return { view, manifest, digest: wanted, body: await this.bodyForJson(manifest, rawPull) };
  }

  /**
   * A JSON pull's blob: refused above `maxJsonPullBytes` before a byte is read (413 naming
   * `rawPull`, which serves the same bytes streamed), else read as a raw pull reads it.
   */
  private bodyForJson(manifest: ReleaseManifest, rawPull: string): Promise<Buffer | Readable> {
    const max = this.config.http.maxJsonPullBytes;
    if (manifest.size > max) throw new JsonPullTooLargeError(manifest.size, max, rawPull);
    return this.archiveBody(manifest);
  }

  private packagePath(view: PackageView): string {
    return `${this.config.http.apiPrefix}/api/v1/packages/${view.namespace}/${view.name}`;
  }

  private async blobManifest(caller: Caller, namespace: string, name: string, digest: string) {
    const ref = parsePackageRef(namespace, name);
    const view = await this.readable(caller, namespace, name);
    const wanted = digest.toLowerCase();
    const manifest = isSha256Hex(wanted) ? view.manifests.find((m) => m.apprDigest === wanted || m.blobDigest === wanted) : undefined;
    if (!manifest) throw new PackageNotFoundError(ref.full, `sha256:${wanted.slice(0, 64)}`);
    return { view, manifest, wanted };
  }

  async channels(caller: Caller, namespace: string, name: string) {
    const view = await this.readable(caller, namespace, name);
    return [...view.channels].sort((a, b) => a.name.localeCompare(b.name)).map(channelJson);
  }

  async channel(caller: Caller, namespace: string, name: string, channelName: string) {
    const view = await this.readable(caller, namespace, name);
    const channel = findChannel(view, parseChannelName(channelName));
    if (!channel) throw new ChannelNotFoundError(view.package, channelName);
    return channelJson(channel);
  }
}

function sortManifests(manifests: readonly ReleaseManifest[]): ReleaseManifest[] {
  const order = new Map(sortReleasesDescending([...new Set(manifests.map((m) => m.release))]).map((r, i) => [r, i]));
  return [...manifests].sort((a, b) => order.get(a.release)! - order.get(b.release)! || a.mediaType.localeCompare(b.mediaType));
}

/**
 * Pulls over the OCI distribution API: `/v2/`, manifests by tag or digest, blobs, tag lists. A
 * repository `NS/NAME` is package `NS/NAME` (docs/architecture.md, "OCI distribution"); every
 * read goes through ReadablePackages, the one check that the package exists and the caller may
 * read it. A manifest by tag reads the package's head and one row (a release tag: one read; a
 * channel: the head, then its current release's row); by digest, one read too: the head, whose
 * index of helm manifest digests names the release, and that release's row (a head stored before
 * the index: the whole view, as before). An anonymous caller of the enforced
 * mode who may not read (or asks for a repository that does not exist: the two answer alike)
 * gets a 401 rather than the 404 of other routes, so an OCI client that holds credentials learns
 * it must fetch a token (they send none until challenged).
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Readable } from 'node:stream';
import {
  BlobUnknownError,
  ByteRange,
  ByteRangeRequest,
  Caller,
  HELM_MEDIA_TYPE,
  OciArtifact,
  findChannel,
  findOciTag,
  helmManifestKeyOf,
  isOciDigestReference,
  isReleaseTag,
  releaseOfTag,
  ForbiddenError,
  InvalidUsageError,
  OciReferrersIndex,
  ManifestUnknownError,
  PackageNotFoundError,
  PackageView,
  OciDigest,
  UnauthorizedError,
  ociDigestOf,
  parseAnyOciDigest,
  parseOciDigest,
  parsePackageRef,
  referrersIndex,
  resolveByteRange,
  roleAtLeast,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import {
  BLOB_STORE,
  BlobStore,
  HeadAndManifest,
  METRICS,
  NO_METRICS,
  PACKAGE_READER,
  PackageReader,
  TransferMetrics,
  UPLOAD_SESSIONS,
  UploadSessionStore,
} from '@wharf/ports';
import { AccessControl } from '../../auth/access-control';
import { ArchiveReads } from '../read-package/archive-reads';
import { ReadablePackages } from '../read-package/readable-packages';
import { PullRecorder } from '../retention/pull-recorder';
import {
  HELM_MANIFEST_MEDIA_TYPE,
  HelmArtifact,
  ManifestToSend,
  aliasKeyIn,
  artifactOf,
  findOtherArtifact,
  findRepositoryBlob,
  tagsOf,
} from './oci-artifacts';

export interface OciRepositoryPath {
  caller: Caller;
  namespace: string;
  name: string;
}

export interface BlobToSend {
  /** The digest as the client named it (`sha256:<hex>` or `sha512:<hex>`). */
  digest: string;
  /** The sha256 (hex) the stores key it by. */
  key: string;
  /** The whole blob's. */
  size: number;
  /** Null for a HEAD, and for a redirect; only the bytes of `range` when there is one. */
  body: Buffer | Readable | null;
  /** The bytes a range request named (206), when it named some and the blob is answered here. */
  range?: ByteRange;
  /** Where the client fetches the bytes instead (WHARF_PULL_REDIRECT: a presigned URL of the store). */
  location?: string;
}

export interface TagPage {
  name: string;
  tags: string[];
  /** The `last` of the next page, when there is one. */
  next: string | null;
}

/** Tag listing's page size when the client names none, and its ceiling. */
export const MAX_TAGS_PAGE = 1000;

@Injectable()
export class OciReadsUseCases {
  constructor(
    private readonly packages: ReadablePackages,
    private readonly access: AccessControl,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(UPLOAD_SESSIONS) private readonly sessions: UploadSessionStore,
    @Inject(PACKAGE_READER) private readonly reader: PackageReader,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    private readonly archives: ArchiveReads,
    private readonly pulls: PullRecorder,
    @Optional() @Inject(METRICS) private readonly metrics: TransferMetrics = NO_METRICS,
  ) {}

  /** `GET /v2/`: the API is here; in the enforced mode an anonymous caller is challenged (how clients start a login). */
  ping(caller: Caller): Record<string, never> {
    if (this.challenges(caller)) throw new UnauthorizedError('log in to the registry: see WWW-Authenticate');
    return {};
  }

  async manifest(path: OciRepositoryPath & { reference: string }): Promise<ManifestToSend> {
    if (isOciDigestReference(path.reference)) return this.manifestByDigest(path);
    const { head, manifest } = await this.taggedRelease(path);
    const artifact = manifest ? artifactOf(manifest) : null;
    if (artifact) return this.helmManifest(artifact);
    const other = findOciTag(head, path.reference);
    if (!other) throw new ManifestUnknownError(head.package, path.reference);
    return this.otherManifest(other, path.reference);
  }

  /**
   * A manifest by digest from the head and one row: the helm release whose manifest has the
   * digest (the store finds it by its records of digests, keyed by package and digest), else an
   * OCI artifact the head lists.
   */
  private async manifestByDigest(path: OciRepositoryPath & { reference: string }): Promise<ManifestToSend> {
    const { caller, namespace, name, reference } = path;
    let digest: OciDigest;
    try {
      digest = parseAnyOciDigest(reference);
    } catch (error) {
      // The repository's access answer comes first: an anonymous caller of the enforced mode is
      // challenged (401) whatever it names, as for a well-formed digest.
      await this.challenged(caller, () => this.packages.repositoryHead(caller, namespace, name));
      throw error;
    }
    const key = helmManifestKeyOf(digest);
    const releaseOf = key === null ? null : { helmManifestDigest: key };
    const { head, manifest } = await this.challenged(caller, () =>
      this.packages.repositoryRelease(caller, namespace, name, releaseOf, HELM_MEDIA_TYPE),
    );
    const artifact = manifest ? artifactOf(manifest) : null;
    if (artifact && artifact.manifestDigest === helmManifestKeyOf(digest)) return this.helmManifest(artifact);
    const other = findOtherArtifact(head, reference);
    if (!other) throw new ManifestUnknownError(head.package, reference);
    return this.otherManifest(other, reference);
  }

  /**
   * The head, and the row of the helm release a tag names: a release (`+` as `_`), else a
   * channel's current release; `manifest` null when neither holds one (the tag may be an OCI
   * artifact's, which the head lists).
   */
  private async taggedRelease(path: OciRepositoryPath & { reference: string }): Promise<HeadAndManifest> {
    const { caller, namespace, name, reference } = path;
    const release = (version: string) =>
      this.challenged(caller, () => this.packages.repositoryRelease(caller, namespace, name, version, HELM_MEDIA_TYPE));
    if (isReleaseTag(reference)) return release(releaseOfTag(reference));
    const head = await this.challenged(caller, () => this.packages.repositoryHead(caller, namespace, name));
    const channel = findChannel(head, reference);
    return channel ? release(channel.current) : { head, manifest: null };
  }

  private async otherManifest(other: OciArtifact, reference: string): Promise<ManifestToSend> {
    const bytes = await this.blobs.read(other.digest);
    // Asked by a sha512 it was pushed by: answered under that digest.
    const digest = reference.startsWith('sha512:') ? reference : ociDigestOf(other.digest);
    return { digest, mediaType: other.mediaType, size: bytes.length, body: bytes };
  }

  private async helmManifest(artifact: HelmArtifact): Promise<ManifestToSend> {
    const digest = ociDigestOf(artifact.manifestDigest);
    if (artifact.built) {
      const bytes = artifact.built.manifest.bytes;
      return { digest, mediaType: HELM_MANIFEST_MEDIA_TYPE, size: bytes.length, body: bytes };
    }
    const bytes = await this.blobs.read(artifact.manifestDigest);
    return { digest, mediaType: HELM_MANIFEST_MEDIA_TYPE, size: bytes.length, body: bytes };
  }

  /**
   * A blob a release of the package references, or one uploaded into the repository (a link of
   * the upload sessions store) before any manifest names it. A GET of a stored blob is answered
   * with a redirect to the store when pull redirects are on (`ArchiveReads.redirectFor`, the
   * rule appr pulls follow); a GET of a release's chart layer is a pull of that release. Uploads
   * into a repository that has no package yet are readable to those who may push there. A sha512
   * digest names a blob uploaded into this repository under it (an alias of the sha256 the store
   * keys it by).
   */
  async blob(
    path: OciRepositoryPath & { digest: string; head: boolean; range?: ByteRangeRequest | null },
  ): Promise<BlobToSend> {
    const digest = parseAnyOciDigest(path.digest);
    const ref = parsePackageRef(path.namespace, path.name);
    const view = await this.repository(path).catch(async (error: unknown) => {
      if (await this.mayPush(path.caller, ref.namespace, error)) return null;
      throw error;
    });
    const hex = await this.storeKeyOf(ref.full, digest, view);
    const found = view && hex !== null ? findRepositoryBlob(view, hex) : null;
    if (found && 'bytes' in found) {
      const size = found.bytes.length;
      if (path.head) return { digest: digest.text, key: found.digest, size, body: null };
      const range = path.range ? resolveByteRange(path.range, size) : null;
      const body = range ? found.bytes.subarray(range.start, range.end + 1) : found.bytes;
      return { digest: digest.text, key: found.digest, size, body, ...(range ? { range } : {}) };
    }
    const known = hex !== null && (found !== null || (await this.sessions.linked(ref.full, hex)));
    const size = known ? (found?.size ?? (await this.blobs.stat(hex))?.size ?? null) : null;
    if (hex === null || size === null) throw new BlobUnknownError(ref.full, path.digest);
    if (path.head) return { digest: digest.text, key: hex, size, body: null };
    // A chart layer fetched is a pull of its release (retention's keep_pulled_within_days), as an appr pull is.
    if (found && 'chartOf' in found && found.chartOf !== undefined) this.pulls.pulled(ref.full, found.chartOf);
    const location = await this.archives.redirectFor(hex, 'oci');
    // The store answers the client's Range itself.
    if (location) return { digest: digest.text, key: hex, size, body: null, location };
    // Refused before a byte is read.
    const range = path.range ? resolveByteRange(path.range, size) : null;
    // A large blob's range is read from the store from its start byte, never from the blob's start.
    const body =
      size <= this.config.blobCache.maxBlobBytes
        ? await this.blobs.read(hex).then((bytes) => (range ? bytes.subarray(range.start, range.end + 1) : bytes))
        : await this.blobs.open(hex, range ?? undefined);
    this.metrics.pulled('oci', range ? range.end - range.start + 1 : size);
    return { digest: digest.text, key: hex, size, body, ...(range ? { range } : {}) };
  }

  /**
   * The sha256 hex the stores key `digest`'s content by in `repository`: itself, or the one a
   * sha512 names there (by the repository's artifacts, or an upload into it); null for none.
   */
  async storeKeyOf(repository: string, digest: OciDigest, view: PackageView | null): Promise<string | null> {
    if (digest.algorithm === 'sha256') return digest.hex;
    return (view ? aliasKeyIn(view, digest.text) : null) ?? (await this.sessions.resolveAlias(repository, digest.text));
  }

  /**
   * `GET /v2/_catalog?n=&last=`: every repository (packages with a release or OCI artifacts), by
   * name, `n` after `last`; site admins only (and every caller of the open mode), since it names
   * private packages too.
   */
  async catalog(
    caller: Caller,
    n: number | null,
    last: string | null,
  ): Promise<{ repositories: string[]; next: string | null }> {
    if (caller.kind === 'anonymous') throw new UnauthorizedError('the catalog is for site admins: log in');
    if (caller.kind !== 'open' && !(caller.kind === 'user' && caller.siteAdmin))
      throw ForbiddenError.because('the catalog is for site admins');
    const size = n ?? MAX_TAGS_PAGE;
    if (size < 0 || size > MAX_TAGS_PAGE) throw new InvalidUsageError(`'n' must be between 0 and ${MAX_TAGS_PAGE}`);
    if (size === 0) return { repositories: [], next: null };
    const found = await this.reader.list({
      includeOciOnly: true,
      ...(last !== null ? { after: last } : {}),
      limit: size + 1,
    });
    const repositories = found.slice(0, size).map((summary) => summary.package);
    return { repositories, next: found.length > size ? repositories[repositories.length - 1]! : null };
  }

  /**
   * `GET .../referrers/<digest>`: the repository's artifacts whose subject is `digest` (which
   * need not exist), only those of `artifactType` when given; `filtered` says one was applied.
   */
  async referrers(
    path: OciRepositoryPath & { digest: string; artifactType: string | null },
  ): Promise<{ index: OciReferrersIndex; filtered: boolean }> {
    const subject = parseOciDigest(path.digest);
    // A repository that does not exist (or that the caller may not read: the two answer alike)
    // has no referrers; only the enforced mode's anonymous challenge is kept.
    const view = await this.repository(path).catch((error: unknown) => {
      if (error instanceof PackageNotFoundError) return null;
      throw error;
    });
    const artifactType = path.artifactType === '' ? null : path.artifactType;
    return { index: referrersIndex(view?.ociArtifacts ?? [], subject, artifactType), filtered: artifactType !== null };
  }

  /**
   * The tags of the repository's helm releases in lexical order (as the distribution spec pages
   * them), `n` after `last`; none, rather than NAME_UNKNOWN, once its last manifest was deleted.
   */
  async tags(path: OciRepositoryPath & { n: number | null; last: string | null }): Promise<TagPage> {
    const view = await this.repository(path, { emptied: true });
    const n = path.n ?? MAX_TAGS_PAGE;
    if (n < 0 || n > MAX_TAGS_PAGE) throw new InvalidUsageError(`'n' must be between 0 and ${MAX_TAGS_PAGE}`);
    const last = path.last;
    const tags = tagsOf(view)
      .filter((tag) => last === null || tag > last)
      .sort();
    const page = tags.slice(0, n);
    const more = tags.length > n && page.length > 0;
    return { name: view.package, tags: page, next: more ? page[page.length - 1]! : null };
  }

  /** The package behind a repository path, or the refusal the OCI routes give (see the file's header). */
  async repository(path: OciRepositoryPath, options: { emptied?: boolean } = {}): Promise<PackageView> {
    return this.challenged(path.caller, () =>
      this.packages.getRepository(path.caller, path.namespace, path.name, options),
    );
  }

  /** `read`, its package-not-found turned into the challenge an anonymous caller of the enforced mode gets. */
  private async challenged<T>(caller: Caller, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof PackageNotFoundError && this.challenges(caller))
        throw new UnauthorizedError('authentication required');
      throw error;
    }
  }

  /** True when the caller may push into `namespace` and `error` only says the repository has no package yet. */
  private async mayPush(caller: Caller, namespace: string, error: unknown): Promise<boolean> {
    if (!(error instanceof PackageNotFoundError || error instanceof UnauthorizedError)) return false;
    return roleAtLeast(await this.access.roleOn(caller, namespace), 'write');
  }

  private challenges(caller: Caller): boolean {
    return caller.kind === 'anonymous' && this.config.auth.mode === 'enforced';
  }
}

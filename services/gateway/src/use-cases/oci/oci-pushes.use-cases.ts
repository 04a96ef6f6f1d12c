/**
 * Pushes over the OCI distribution API. Blob uploads (monolithic, or POST + PATCH... + PUT) stream
 * into an upload session (UploadSessionStore) and from it into the blob store, which verifies the
 * digest; a layer is never held whole in memory. A manifest PUT of a Helm chart is a push of
 * release `<tag>` of package `<ns>/<name>` through the same ReleasePublisher as appr and
 * ChartMuseum pushes, with the manifest's and config's digests recorded on the release
 * (docs/architecture.md, "OCI distribution"). Every write first holds `write` on the namespace
 * (PushAdmission: 401/403 before a byte of the body is read).
 */
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ArchiveTooLargeError,
  BlobUnknownError,
  BlobUploadUnknownError,
  Caller,
  CommandMeta,
  DigestInvalidError,
  HELM_CONFIG_MEDIA_TYPE,
  HELM_MEDIA_TYPE,
  ManifestBlobUnknownError,
  ManifestInvalidError,
  OCI_TAG,
  ManifestUnknownError,
  OciDigest,
  RangeInvalidError,
  assertProvenance,
  chartCoordinates,
  isOciDigestReference,
  isReleaseTag,
  ociDigestOf,
  PackageView,
  ParsedOciManifest,
  OciDescriptor,
  assertRecordableArtifact,
  descriptorDigest,
  findOciArtifact,
  parseHelmManifest,
  ociDigestOrNull,
  parseAnyOciDigest,
  parseOciManifest,
  recordedAnnotations,
  referencedBlobs,
  parsePackageRef,
  releaseOfTag,
  sha256HexOf,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import {
  BLOB_STORE,
  BlobDigestMismatchError,
  BlobNotFoundError,
  BlobStore,
  DependencyUnavailableError,
  PACKAGE_COMMANDS,
  PackageCommands,
  UPLOAD_SESSIONS,
  UploadOffsetMismatchError,
  UploadSessionNotFoundError,
  UploadSessionStore,
  UploadTooLargeError,
} from '@wharf/ports';
import { ArchiveInspectionPool } from '../../archive/archive-inspection-pool';
import { AdmittedPush, PushAdmission } from '../../auth/push-admission';
import { ChangePackageUseCases } from '../change-package.use-cases';
import { ReleasePublisher } from '../release-publisher';
import type { RequestInput } from '../request-input';
import { findArtifact, findOtherArtifact } from './oci-artifacts';
import { OciReadsUseCases, OciRepositoryPath } from './oci-reads.use-cases';

/**
 * The most repositories a mount without `from` tries (each is a read of that repository): a
 * blob held by more is looked for in the first ones, in the upload sessions store's order.
 */
export const MOUNT_CANDIDATES = 16;

/** A blob a mount links into the repository: its digest as the client named it, and its store key. */
interface Mountable {
  digest: OciDigest;
  hex: string;
}

/** A chunk's place as `Content-Range: <start>-<end>` said it. */
export interface ChunkRange {
  start: number;
  end: number;
}

export interface UploadState {
  repository: string;
  id: string;
  /** Bytes received so far. */
  size: number;
  /** The session store's smallest chunk but the last (`OCI-Chunk-Min-Length`); 0: any size. */
  minChunkBytes: number;
}

/** What a manifest PUT answers: where it is, its digest, and the subject it names (`OCI-Subject`). */
export interface PutManifestResult {
  repository: string;
  digest: string;
  subject?: string;
}

/** The OCI distribution spec's tag grammar. */

export type UploadStarted = { kind: 'blob'; repository: string; digest: string } | ({ kind: 'session' } & UploadState);

@Injectable()
export class OciPushesUseCases {
  constructor(
    private readonly admission: PushAdmission,
    private readonly reads: OciReadsUseCases,
    private readonly publisher: ReleasePublisher,
    private readonly changes: ChangePackageUseCases,
    private readonly inspector: ArchiveInspectionPool,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(UPLOAD_SESSIONS) private readonly sessions: UploadSessionStore,
    @Inject(PACKAGE_COMMANDS) private readonly commands: PackageCommands,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  /**
   * `POST .../blobs/uploads/`: with `digest`, the whole blob in the body (monolithic); with
   * `mount` and `from`, the blob of a repository the caller may read, if it holds it; with
   * `mount` alone, the blob of some repository the caller may read that holds it (`discovered`);
   * else a new session.
   */
  async startUpload(
    path: OciRepositoryPath & {
      digest: string | null;
      mount: string | null;
      from: string | null;
      body: Readable | null;
    },
  ): Promise<UploadStarted> {
    const { repository, admitted } = await this.admit(path);
    if (path.digest !== null) {
      const digest = parseAnyOciDigest(path.digest);
      if (digest.algorithm !== 'sha256') {
        // Its sha256 (the store's key) is known only once every byte came: through a session.
        const session = await this.sessions.start(repository);
        return { kind: 'blob', ...(await this.finishUpload({ ...path, id: session.id, range: null })) };
      }
      await this.store(path.body ?? Readable.from([]), digest.hex, admitted.maxBlobBytes);
      await this.sessions.link(repository, digest.hex);
      return { kind: 'blob', repository, digest: digest.text };
    }
    const mounted =
      path.mount === null ? null : path.from !== null ? await this.mountable(path) : await this.discovered(path);
    if (mounted) {
      await this.link(repository, mounted.digest, mounted.hex);
      return { kind: 'blob', repository, digest: mounted.digest.text };
    }
    const session = await this.sessions.start(repository);
    return { kind: 'session', repository, id: session.id, size: 0, minChunkBytes: this.sessions.minChunkBytes };
  }

  /** `PATCH .../blobs/uploads/<id>`: a chunk, which must start where the upload ends (416 otherwise). */
  async appendChunk(
    path: OciRepositoryPath & { id: string; range: ChunkRange | null; body: Readable | null },
  ): Promise<UploadState> {
    const { repository, admitted } = await this.admit(path);
    const session = await this.sessions.get(repository, path.id);
    if (!session) throw new BlobUploadUnknownError(path.id);
    // The store refuses a chunk that does not start at the session's end (416 RANGE_INVALID).
    const start = path.range?.start ?? session.size;
    const appended = await this.append(repository, path.id, start, path.body, admitted.maxBlobBytes);
    return { repository, id: path.id, size: appended, minChunkBytes: this.sessions.minChunkBytes };
  }

  /** `GET .../blobs/uploads/<id>`: how far the upload is. */
  async uploadStatus(path: OciRepositoryPath & { id: string }): Promise<UploadState> {
    const { repository } = await this.admit(path);
    const session = await this.sessions.get(repository, path.id);
    if (!session) throw new BlobUploadUnknownError(path.id);
    return { repository, id: path.id, size: session.size, minChunkBytes: this.sessions.minChunkBytes };
  }

  /**
   * `PUT .../blobs/uploads/<id>?digest=`: the last chunk (if any), then the session's bytes into
   * the blob store under `digest`. Bytes that hash otherwise are DIGEST_INVALID and nothing is
   * stored; the session is gone either way, but for a last chunk out of place (416) and, on a
   * chunked upload, an outage (503, for a retry). A PUT with the whole blob into an empty session
   * streams it straight into the blob store, the session sealed meanwhile (chunks and other PUTs
   * to it: BLOB_UPLOAD_UNKNOWN), and removed on any failure after the seal.
   */
  async finishUpload(
    path: OciRepositoryPath & { id: string; digest: string | null; range: ChunkRange | null; body: Readable | null },
  ): Promise<{ repository: string; digest: string }> {
    const { repository, admitted } = await this.admit(path);
    if (path.digest === null) throw new DigestInvalidError('', "the 'digest' query parameter is required");
    const digest = parseAnyOciDigest(path.digest);
    const session = await this.sessions.get(repository, path.id);
    if (!session) throw new BlobUploadUnknownError(path.id);
    let removed = false;
    try {
      if (path.body && session.size === 0 && path.range === null && digest.algorithm === 'sha256') {
        // The whole blob in this PUT (a monolithic push): straight into the blob store, which
        // hashes, limits and keeps it only if it matches, without a copy in the session first.
        // The session is sealed first, so a chunk sent to it meanwhile, at any gateway, is refused
        // (404) rather than taken and lost, and a second PUT does not finish it too.
        const sealed = await this.sessions.seal(repository, path.id).catch((error: unknown) => {
          throw error instanceof UploadSessionNotFoundError ? new BlobUploadUnknownError(path.id) : error;
        });
        // A chunk got in before the seal: this body is not where the upload ends.
        if (sealed.size !== 0) throw new RangeInvalidError(sealed.size, '0-');
        try {
          await this.store(path.body, digest.hex, admitted.maxBlobBytes);
          await this.link(repository, digest, digest.hex);
        } catch (error) {
          // Sealed and empty, the session can take neither this body again nor a chunk: whatever
          // failed (an outage too), it is removed (best effort), so the client's retry gets
          // BLOB_UPLOAD_UNKNOWN and starts the upload again, as OCI clients do.
          removed = true;
          await this.sessions.delete(repository, path.id).catch(() => undefined);
          throw error;
        }
      } else {
        const start = path.range?.start ?? session.size;
        if (path.body) await this.append(repository, path.id, start, path.body, admitted.maxBlobBytes);
        const hex =
          digest.algorithm === 'sha256' ? digest.hex : await this.sha256Verifying(repository, path.id, digest);
        await this.store(await this.sessions.open(repository, path.id), hex, admitted.maxBlobBytes);
        await this.link(repository, digest, hex);
      }
    } catch (error) {
      // A last chunk out of place leaves the upload as it was, for the client to send it again (416),
      // and so does an engine's outage (503) on a chunked upload: the PUT may be retried, at this
      // gateway or another (not so a whole-blob PUT's: removed above). A session sealed by another
      // request (404) is that request's to finish or end.
      if (!(
        removed ||
        error instanceof RangeInvalidError ||
        error instanceof DependencyUnavailableError ||
        error instanceof BlobUploadUnknownError
      ))
        await this.sessions.delete(repository, path.id);
      throw error;
    }
    await this.sessions.delete(repository, path.id);
    return { repository, digest: digest.text };
  }

  /**
   * The sha256 of the session's bytes, once they are checked to hash to `digest` (a sha512):
   * one streamed pass, then the store verifies the sha256 as it takes them. DIGEST_INVALID otherwise.
   */
  private async sha256Verifying(repository: string, id: string, digest: OciDigest): Promise<string> {
    const sha256 = createHash('sha256');
    const other = createHash(digest.algorithm);
    for await (const chunk of await this.sessions.open(repository, id)) {
      sha256.update(chunk as Buffer);
      other.update(chunk as Buffer);
    }
    const actual = other.digest('hex');
    if (actual !== digest.hex)
      throw new DigestInvalidError(digest.text, `the content hashes to ${digest.algorithm}:${actual}`);
    return sha256.digest('hex');
  }

  /** Links blob `hex` to the repository, under `digest` too when that is not its sha256. */
  private link(repository: string, digest: OciDigest, hex: string): Promise<void> {
    return digest.algorithm === 'sha256'
      ? this.sessions.link(repository, hex)
      : this.sessions.linkAlias(repository, digest.text, hex);
  }

  /**
   * `DELETE .../blobs/<digest>`: the repository no longer serves a blob uploaded into it (202);
   * BLOB_UNKNOWN when it holds no such upload. The bytes stay in the blob store for the
   * collector, and a blob a release references is still served with that release.
   */
  async deleteBlob(path: OciRepositoryPath & { digest: string }): Promise<void> {
    const { repository } = await this.admit(path);
    const digest = parseAnyOciDigest(path.digest);
    const unlinked =
      digest.algorithm === 'sha256'
        ? await this.sessions.unlink(repository, digest.hex)
        : await this.sessions.unlinkAlias(repository, digest.text);
    if (!unlinked) throw new BlobUnknownError(repository, path.digest);
  }

  /** `DELETE .../blobs/uploads/<id>`. */
  async cancelUpload(path: OciRepositoryPath & { id: string }): Promise<void> {
    const { repository } = await this.admit(path);
    if (!(await this.sessions.delete(repository, path.id))) throw new BlobUploadUnknownError(path.id);
  }

  /**
   * `PUT .../manifests/<reference>`: a Helm chart manifest becomes release `<tag>` (a tag is the
   * chart's version, `+` as `_`; a digest reference takes the chart's own version) of the
   * package the repository names, which must be the chart's name. The config and layers must
   * have been uploaded into (or mounted into) this repository (`heldBlobsSize`); the chart layer
   * is inspected as every chart push is. The manifest's bytes are stored as a blob, so its digest
   * is the one the client computed. An existing version is replaced (OCI tags move) where the
   * namespace allows overwrites, else refused.
   */
  async putManifest(
    path: OciRepositoryPath & {
      reference: string;
      contentType: string | undefined;
      body: RequestInput<Promise<Buffer>>;
      meta: CommandMeta;
    },
  ): Promise<PutManifestResult> {
    const { ref, repository, admitted } = await this.admit(path);
    const bytes = await path.body();
    const manifestDigest = sha256HexOf(bytes);
    const byDigest = isOciDigestReference(path.reference) ? parseAnyOciDigest(path.reference) : null;
    if (byDigest && createHash(byDigest.algorithm).update(bytes).digest('hex') !== byDigest.hex)
      throw new DigestInvalidError(path.reference, 'the manifest hashes to another digest');
    if (!byDigest && !OCI_TAG.test(path.reference))
      throw new ManifestInvalidError(`'${path.reference}' is not a tag (${OCI_TAG.source.slice(1, -1)})`);
    const parsed = parseOciManifest(bytes, path.contentType);
    if (parsed.config?.mediaType !== HELM_CONFIG_MEDIA_TYPE)
      return this.putOtherManifest(path, admitted, parsed, bytes, manifestDigest, byDigest);
    if (byDigest && byDigest.algorithm !== 'sha256')
      throw new DigestInvalidError(path.reference, 'a Helm chart is pushed by its sha256 digest');
    if (!isOciDigestReference(path.reference) && !isReleaseTag(path.reference))
      throw new ManifestInvalidError(`tag '${path.reference}' is not a chart version (SemVer, '+' written '_')`);
    const pushed = parseHelmManifest(bytes, path.contentType);
    // Clients push a manifest by digest and then tag it (Helm 3.21 does): the same manifest
    // again under its own release's tag changes nothing.
    if (await this.alreadyHolds(path, manifestDigest)) return { repository, digest: ociDigestOf(manifestDigest) };
    await this.heldBlobsSize(path, [
      pushed.configDigest,
      pushed.chartDigest,
      ...(pushed.provenance ? [pushed.provenance.digest] : []),
    ]);
    if (pushed.chartSize > admitted.maxBlobBytes) throw new ArchiveTooLargeError('blob-size', admitted.maxBlobBytes);
    const archive = await this.readPushedBlob(pushed.chartDigest);
    const prov = pushed.provenance ? await this.readPushedBlob(pushed.provenance.digest) : null;
    await this.admission.assertStorage(admitted, archive.length + (prov?.length ?? 0));
    const { bytes: inspected, inspection } = await this.inspector.inspect(archive);
    const coordinates = chartCoordinates(ref.namespace, inspection.chart, inspection.chartProblem);
    if (coordinates.ref.full !== ref.full)
      throw new ManifestInvalidError(`the chart is named '${coordinates.ref.name}', the repository '${repository}'`);
    if (!isOciDigestReference(path.reference) && releaseOfTag(path.reference) !== coordinates.release)
      throw new ManifestInvalidError(`tag '${path.reference}' is not the chart's version '${coordinates.release}'`);
    if (prov) assertProvenance(prov, inspection.blobDigest);
    await this.blobs.put(bytes, manifestDigest);
    await this.publisher.publish({
      protocol: 'oci',
      ref,
      release: coordinates.release,
      mediaType: HELM_MEDIA_TYPE,
      archive: inspected,
      inspection,
      metadata: null,
      force: admitted.allowOverwrites,
      visibility: this.config.auth.defaultVisibility,
      visibilityRequested: false,
      allowOverwrites: admitted.allowOverwrites,
      namespaceQuotaBytes: admitted.maxStorageBytes,
      ...(prov ? { provenance: prov } : {}),
      oci: { manifestDigest, configDigest: pushed.configDigest },
      meta: path.meta,
    });
    return { repository, digest: ociDigestOf(manifestDigest) };
  }

  /**
   * A manifest that is not a Helm chart: every blob it names must be in the repository (uploaded
   * into it, or held by its releases and artifacts), so a PUT cannot make another repository's
   * bytes readable here; an index's entries must be manifests of the repository (the decider
   * checks). Its bytes are stored as a blob, then PutOciManifest records it and its tag. Digests
   * are recorded by sha256, the stores' key: a sha512 one (the manifest's own, or a descriptor's,
   * resolved in the repository) is kept as an alias of that key.
   */
  private async putOtherManifest(
    path: OciRepositoryPath & { reference: string; meta: CommandMeta },
    admitted: AdmittedPush,
    parsed: ParsedOciManifest,
    bytes: Buffer,
    digest: string,
    byDigest: OciDigest | null,
  ): Promise<PutManifestResult> {
    const pkg = parsePackageRef(path.namespace, path.name).full;
    const view = await this.reads.repository(path).catch(() => null);
    // Every digest as the stores key it (sha256); a sha512 one is kept as an alias of that key.
    const aliases = new Map<string, string>();
    if (byDigest && byDigest.algorithm !== 'sha256') aliases.set(byDigest.text, digest);
    const keyOf = async (d: OciDescriptor, unknown: (text: string) => Error): Promise<string> => {
      if (d.algorithm === 'sha256') return d.digest;
      const text = descriptorDigest(d);
      const key = await this.reads.storeKeyOf(pkg, parseAnyOciDigest(text), view);
      if (key === null) throw unknown(text);
      aliases.set(text, key);
      return key;
    };
    const blobUnknown = (text: string) => new ManifestBlobUnknownError(text);
    const blobs: string[] = [];
    for (const d of referencedBlobs(parsed)) blobs.push(await keyOf(d, blobUnknown));
    const manifests: string[] = [];
    for (const d of parsed.manifests) manifests.push(await keyOf(d, blobUnknown));
    const subject = parsed.subject
      ? await keyOf(
          parsed.subject,
          (text) => new DigestInvalidError(text, 'a sha512 subject must be in the repository'),
        )
      : undefined;
    const annotations = recordedAnnotations(parsed);
    const record = assertRecordableArtifact({
      digest,
      mediaType: parsed.mediaType,
      ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
      size: bytes.length,
      ...(subject ? { subject } : {}),
      blobs: [...new Set(blobs)],
      manifests: [...new Set(manifests)],
      ...(annotations ? { annotations } : {}),
      ...(aliases.size > 0 ? { aliases: [...aliases].map(([text, key]) => ({ digest: text, key })) } : {}),
    });
    const storedBytes = bytes.length + (await this.heldBlobsSize(path, record.blobs));
    // A manifest held already (tagged again) adds nothing; the writer's decision is the guarantee.
    if (!view || !findOciArtifact(view, digest)) await this.admission.assertStorage(admitted, storedBytes);
    await this.blobs.put(bytes, digest);
    await this.commands.execute({
      type: 'PutOciManifest',
      package: pkg,
      artifact: { ...record, storedBytes },
      tag: isOciDigestReference(path.reference) ? null : path.reference,
      tagNamesRelease:
        !isOciDigestReference(path.reference) && isReleaseTag(path.reference)
          ? { release: releaseOfTag(path.reference), mediaType: HELM_MEDIA_TYPE }
          : null,
      visibility: this.config.auth.defaultVisibility,
      namespaceQuotaBytes: admitted.maxStorageBytes,
      meta: path.meta,
    });
    return {
      repository: pkg,
      digest: byDigest?.text ?? ociDigestOf(digest),
      ...(parsed.subject ? { subject: descriptorDigest(parsed.subject) } : {}),
    };
  }

  /**
   * The one rule for the blobs a manifest PUT names, Helm chart or not: each must be one the
   * repository serves (uploaded or mounted into it, or held by its releases and artifacts: the
   * same rule as a pull), never merely present in the shared blob store, so a PUT cannot
   * publish another repository's (another tenant's private) bytes here by digest.
   * MANIFEST_BLOB_UNKNOWN for the first that is not; else their total size.
   */
  private async heldBlobsSize(path: OciRepositoryPath, hexes: readonly string[]): Promise<number> {
    let total = 0;
    for (const hex of hexes) {
      try {
        total += (await this.reads.blob({ ...path, digest: ociDigestOf(hex), head: true })).size;
      } catch (error) {
        if (error instanceof BlobUnknownError) throw new ManifestBlobUnknownError(ociDigestOf(hex));
        throw error;
      }
    }
    return total;
  }

  /**
   * `DELETE .../manifests/<reference>`: deletes the helm release the tag or digest names, from
   * every protocol's view; for an OCI artifact, by digest the artifact and its tags, by tag the tag.
   */
  async deleteManifest(path: OciRepositoryPath & { reference: string; meta: CommandMeta }): Promise<void> {
    await this.admit(path);
    const view = await this.reads.repository(path);
    const artifact = findArtifact(view, path.reference);
    if (!artifact) return this.deleteOtherManifest(path, view);
    await this.changes.deleteRelease({
      caller: path.caller,
      namespace: path.namespace,
      name: path.name,
      release: artifact.release.release,
      mediaType: HELM_MEDIA_TYPE,
      meta: path.meta,
    });
  }

  private async deleteOtherManifest(
    path: OciRepositoryPath & { reference: string; meta: CommandMeta },
    view: PackageView,
  ) {
    const other = findOtherArtifact(view, path.reference);
    if (!other) throw new ManifestUnknownError(view.package, path.reference);
    await this.commands.execute(
      isOciDigestReference(path.reference)
        ? { type: 'DeleteOciManifest', package: view.package, digest: other.digest, meta: path.meta }
        : { type: 'DeleteOciTag', package: view.package, tag: path.reference, meta: path.meta },
    );
  }

  /** True when the release the reference names was pushed with exactly this manifest. */
  private async alreadyHolds(path: OciRepositoryPath & { reference: string }, manifestDigest: string) {
    const view = await this.reads.repository(path).catch(() => null);
    const artifact = view ? findArtifact(view, path.reference) : null;
    return artifact?.release.oci?.manifestDigest === manifestDigest;
  }

  private async admit(path: OciRepositoryPath) {
    const ref = parsePackageRef(path.namespace, path.name);
    const admitted: AdmittedPush = await this.admission.admit(path.caller, ref.namespace);
    return { ref, repository: ref.full, admitted };
  }

  /** A cross-repository mount: the blob, when it is in a repository the caller may read, and its store key; else null. */
  private async mountable(path: {
    caller: Caller;
    mount: string | null;
    from: string | null;
  }): Promise<Mountable | null> {
    const [namespace, name, ...rest] = (path.from ?? '').split('/');
    if (!namespace || !name || rest.length > 0 || path.mount === null) return null;
    try {
      const digest = parseAnyOciDigest(path.mount);
      const found = await this.reads.blob({ caller: path.caller, namespace, name, digest: path.mount, head: true });
      return { digest, hex: found.key };
    } catch {
      return null;
    }
  }

  /**
   * A mount that names no repository (the distribution spec's automatic content discovery): the
   * blob of the first repository, of at most MOUNT_CANDIDATES holding it (uploaded or mounted
   * into it: UploadSessionStore.holders, in the store's order), that the caller may read, as a
   * mount `from` it; null when none, and for a malformed digest. A repository the caller may not
   * read is passed over exactly as one that does not hold the blob, so the answer (a new
   * session) tells nothing of another's private repository.
   */
  private async discovered(path: { caller: Caller; mount: string | null }): Promise<Mountable | null> {
    const digest = ociDigestOrNull(path.mount ?? '');
    if (digest === null) return null;
    for (const from of await this.sessions.holders(digest.text, MOUNT_CANDIDATES)) {
      const mounted = await this.mountable({ ...path, mount: digest.text, from });
      if (mounted) return mounted;
    }
    return null;
  }

  private async append(repository: string, id: string, offset: number, body: Readable | null, max: number) {
    try {
      return (await this.sessions.append(repository, id, offset, body ?? Readable.from([]), max)).size;
    } catch (error) {
      if (error instanceof UploadOffsetMismatchError) throw new RangeInvalidError(error.expected, `${offset}-`);
      if (error instanceof UploadTooLargeError) throw new ArchiveTooLargeError('blob-size', max);
      if (error instanceof UploadSessionNotFoundError) throw new BlobUploadUnknownError(id);
      throw error;
    }
  }

  /** Streams `content` into the blob store under `hex`, at most `max` bytes; nothing is stored otherwise. */
  private async store(content: Readable, hex: string, max: number): Promise<void> {
    const limited = byteLimit(max);
    // pipeline passes a failure of the request's stream (a client gone mid-body) on to `limited`.
    void pipeline(content, limited).catch(() => undefined);
    try {
      await this.blobs.put(limited, hex);
    } catch (error) {
      if (error instanceof BlobDigestMismatchError)
        throw new DigestInvalidError(ociDigestOf(hex), `the content hashes to sha256:${error.actual}`);
      throw error;
    }
  }

  /** A copy: the store's buffer may be shared (blob cache), and the inspection pool takes what it is given. */
  private async readPushedBlob(hex: string): Promise<Buffer> {
    try {
      return Buffer.from(await this.blobs.read(hex));
    } catch (error) {
      if (error instanceof BlobNotFoundError) throw new ManifestBlobUnknownError(ociDigestOf(hex));
      throw error;
    }
  }
}

/** Passes bytes on until more than `max` came, then fails (413 size). */
function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > max) done(new ArchiveTooLargeError('blob-size', max));
      else done(null, chunk);
    },
  });
}

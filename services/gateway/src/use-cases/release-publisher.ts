/**
 * The part of a push that every upload protocol shares (appr push, ChartMuseum upload): once
 * the release is named and its archive inspected, refuse a duplicate early so its blob is
 * never stored, store the archive (and a provenance file, if any) under their own digests,
 * then send the command to the package's writer. Only the writer's answer acknowledges the push.
 *
 * Everything a request can be refused for without the package's writer is checked before the
 * blob is stored (the callers validate names, release, media type, metadata, visibility, the
 * archive and the quota; `publish` runs the package's own refusals once more on the view it reads:
 * duplicate, visibility conflict, a deleted version's tombstone). What can still refuse the
 * push after `BlobStore.put` is the writer's own decision: a concurrent push of the same release
 * won, or the namespace's quota was reserved by concurrent pushes.
 * The blob stored for such a push is referenced by no release: the blob collector deletes it
 * once it is older than the GC grace period (WHARF_BLOB_GC_GRACE_SECONDS).
 *
 * An acknowledged push is counted here, by the protocol it came through, once for every protocol.
 */
import { createHash } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  ArchiveInspection,
  CommandMeta,
  JsonValue,
  OciDigests,
  PackageExistsError,
  PackageRef,
  PushRelease,
  Visibility,
  assertPushFitsHead,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import {
  BLOB_STORE,
  BlobStore,
  CommandResult,
  METRICS,
  NO_METRICS,
  PACKAGE_COMMANDS,
  PACKAGE_READER,
  PackageCommands,
  PackageReader,
  TransferMetrics,
  TransferProtocol,
} from '@wharf/ports';

export interface ReleaseToPublish {
  /** The protocol the push came through (for the metrics). */
  protocol: TransferProtocol;
  ref: PackageRef;
  release: string;
  mediaType: string;
  archive: Buffer;
  inspection: ArchiveInspection;
  metadata: JsonValue;
  force: boolean;
  /** Visibility of the package, if this push creates it: the caller's choice or the registry's default. */
  visibility: Visibility;
  /** True when an admin of the namespace named `visibility` (see PushRelease). */
  visibilityRequested: boolean;
  /** The namespace's `allow_overwrites`. */
  allowOverwrites: boolean;
  /** The namespace's storage quota in bytes (0: none), which the writer reserves. */
  namespaceQuotaBytes: number;
  /** A Helm provenance file to store with the release, already checked against the archive. */
  provenance?: Buffer;
  /** The manifest and config of a push over OCI, already stored as blobs. */
  oci?: OciDigests;
  meta: CommandMeta;
}

@Injectable()
export class ReleasePublisher {
  constructor(
    @Inject(PACKAGE_COMMANDS) private readonly commands: PackageCommands,
    @Inject(PACKAGE_READER) private readonly reader: PackageReader,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    @Optional() @Inject(METRICS) private readonly metrics: TransferMetrics = NO_METRICS,
  ) {}

  /** Refuses (409 package-exists) a push of a release and media type the package already has, unless forced. */
  async assertNotPublished(ref: PackageRef, release: string, mediaType: string, force: boolean): Promise<void> {
    if (force) return;
    const current = await this.reader.getRelease(ref.full, release, mediaType);
    if (current?.manifest) throw new PackageExistsError(ref.full, release, mediaType);
  }

  /** The visibility of a package that has had events (even if all its releases were deleted since); null for a new one. */
  async currentVisibility(ref: PackageRef): Promise<Visibility | null> {
    const current = await this.reader.getHead(ref.full);
    return current && current.sequence > 0 ? current.visibility : null;
  }

  async publish(r: ReleaseToPublish): Promise<CommandResult> {
    const provenanceDigest = r.provenance ? sha256Hex(r.provenance) : undefined;
    const command: PushRelease = {
      type: 'PushRelease',
      package: r.ref.full,
      release: r.release,
      mediaType: r.mediaType,
      content: {
        apprDigest: r.inspection.apprDigest,
        blobDigest: r.inspection.blobDigest,
        size: r.inspection.size,
        chart: r.inspection.chart,
        ...(provenanceDigest && r.provenance ? { provenanceDigest, provenanceSize: r.provenance.length } : {}),
        ...(r.oci ? { oci: r.oci } : {}),
      },
      metadata: r.metadata,
      force: r.force,
      visibility: r.visibility,
      visibilityRequested: r.visibilityRequested,
      allowOverwrites: r.allowOverwrites,
      namespaceQuotaBytes: r.namespaceQuotaBytes,
      // Every release's metadata lives in the package's one view document (a Mongo document stops at 16 MB).
      maxPackageMetadataBytes: this.config.push.maxPackageMetadataBytes,
      meta: r.meta,
    };
    // The writer's refusals that the package's state decides, run early so a refused push stores
    // nothing: on the package's head and the one manifest the push names, not the whole view.
    const current = await this.reader.getRelease(r.ref.full, r.release, r.mediaType);
    if (current) assertPushFitsHead(command, current.head, current.manifest ?? undefined);
    await this.blobs.put(r.archive, r.inspection.blobDigest);
    if (r.provenance && provenanceDigest) await this.blobs.put(r.provenance, provenanceDigest);
    const result = await this.commands.execute(command);
    this.metrics.pushed(r.protocol, r.archive.length);
    return result;
  }
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The part of a push that every upload protocol shares (appr push, ChartMuseum upload): once
 * the release is named and its archive inspected, refuse a duplicate early so its blob is
 * never stored, store the archive (and a provenance file, if any) under their own digests,
 * then send the command to the package's writer. Only the writer's answer acknowledges the push.
 */
import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ArchiveInspection, CommandMeta, JsonValue, PackageExistsError, PackageRef, Visibility, findManifest } from '@wharf/domain';
import { BLOB_STORE, BlobStore, CommandResult, PACKAGE_COMMANDS, PACKAGE_READER, PackageCommands, PackageReader } from '@wharf/ports';

export interface ReleaseToPublish {
  ref: PackageRef;
  release: string;
  mediaType: string;
  archive: Buffer;
  inspection: ArchiveInspection;
  metadata: JsonValue;
  force: boolean;
  visibility: Visibility;
  /** The fields of PushRelease the writer enforces (see package.commands.ts). */
  visibilityRequested?: boolean;
  allowOverwrites?: boolean;
  namespaceQuotaBytes?: number;
  /** A Helm provenance file to store with the release, already checked against the archive. */
  provenance?: Buffer;
  meta: CommandMeta;
}

@Injectable()
export class ReleasePublisher {
  constructor(
    @Inject(PACKAGE_COMMANDS) private readonly commands: PackageCommands,
    @Inject(PACKAGE_READER) private readonly reader: PackageReader,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  async publish(r: ReleaseToPublish): Promise<CommandResult> {
    const current = await this.reader.get(r.ref.full);
    if (!r.force && current && findManifest(current, r.release, r.mediaType)) {
      throw new PackageExistsError(r.ref.full, r.release, r.mediaType);
    }
    await this.blobs.put(r.archive, r.inspection.blobDigest);
    const provenanceDigest = r.provenance ? sha256Hex(r.provenance) : undefined;
    if (r.provenance && provenanceDigest) await this.blobs.put(r.provenance, provenanceDigest);
    return this.commands.execute({
      type: 'PushRelease',
      package: r.ref.full,
      release: r.release,
      mediaType: r.mediaType,
      content: {
        apprDigest: r.inspection.apprDigest,
        blobDigest: r.inspection.blobDigest,
        size: r.inspection.size,
        chart: r.inspection.chart,
        ...(provenanceDigest ? { provenanceDigest } : {}),
      },
      metadata: r.metadata,
      force: r.force,
      visibility: r.visibility,
      visibilityRequested: r.visibilityRequested,
      allowOverwrites: r.allowOverwrites,
      namespaceQuotaBytes: r.namespaceQuotaBytes,
      meta: r.meta,
    });
  }
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Push (appr): everything the request can be refused for is checked before the blob is stored,
 * cheapest first: the package name, the caller's `write` role, the body's fields (release, media
 * type, visibility: read at the edge, http/package-requests.ts), metadata (size and depth), the
 * right to choose visibility, the blob's encoding and size; then, still without inspecting the
 * archive, a duplicate release (409) and the namespace's quota (413), which the
 * appr push lets us know up front (it names its release and media type), so a dozen concurrent
 * re-pushes of a large chart cost a view read each, not a gunzip each. Only then is the archive
 * inspected, off the event loop, and handed to the ReleasePublisher. The whole push runs within
 * the uploader's share of concurrent uploads and the server's upload bytes in flight, taken
 * before its body was read (http/body-limits.ts).
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  Caller,
  CommandMeta,
  JsonValue,
  PackageRef,
  Visibility,
  decodeBlobBase64,
  measureReleaseMetadata,
  parsePackageRef,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { AdmittedPush, PushAdmission } from '../auth/push-admission';
import { ArchiveInspectionPool } from '../archive/archive-inspection-pool';
import { ReleasePublisher } from './release-publisher';
import type { RequestInput } from './request-input';

/** What an appr push's body says, parsed (http/package-requests.ts): a valid release and media type, a visibility if named. */
export interface PushReleaseRequest {
  release: string;
  mediaType: string;
  /** The archive, base64: decoded here, within the namespace's blob size limit. */
  blob: string;
  metadata: JsonValue;
  visibility: Visibility | undefined;
  /** Replace an existing release (honoured only where the namespace allows overwrites). */
  force: boolean;
}

export interface PushRelease {
  /** As the path names them; parsed here. */
  namespace: string;
  name: string;
  /** The body, read once the caller holds `write` on the namespace. */
  request: RequestInput<PushReleaseRequest>;
  meta: CommandMeta;
  caller: Caller;
}

@Injectable()
export class PushReleaseUseCase {
  constructor(
    private readonly publisher: ReleasePublisher,
    private readonly admission: PushAdmission,
    private readonly inspector: ArchiveInspectionPool,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  async execute(input: PushRelease): Promise<{ status: 'ok' }> {
    const ref = parsePackageRef(input.namespace, input.name);
    const admitted = await this.admission.admit(input.caller, ref.namespace);
    const request = input.request();
    const { release, mediaType, metadata } = request;
    const metadataBytes = measureReleaseMetadata(metadata, {
      maxBytes: this.config.push.maxMetadataBytes,
      maxDepth: this.config.push.maxMetadataDepth,
    });
    const visibility = await this.readVisibility(input.caller, request.visibility, ref, admitted);
    // A namespace that forbids overwrites answers a forced push of an existing release with 409.
    const force = request.force && admitted.allowOverwrites;
    const archive = decodeBlobBase64(request.blob, admitted.maxBlobBytes);

    await this.publisher.assertNotPublished(ref, release, mediaType, force);
    // Metadata is stored with the release (view, events), so it counts against the quota too.
    await this.admission.assertStorage(admitted, archive.length + metadataBytes);

    const inspected = await this.inspector.inspect(archive);
    await this.publisher.publish({
      protocol: 'appr',
      ref,
      release,
      mediaType,
      archive: inspected.bytes,
      inspection: inspected.inspection,
      metadata,
      force,
      ...visibility,
      allowOverwrites: admitted.allowOverwrites,
      namespaceQuotaBytes: admitted.maxStorageBytes,
      meta: input.meta,
    });
    return { status: 'ok' };
  }

  /**
   * The registry's default unless the push names one. Choosing it is an admin's (403 otherwise),
   * but a write robot that always names the visibility its package already has is not choosing:
   * then it is not `requested`, and any other caller's differing choice is the decider's 409.
   */
  private async readVisibility(
    caller: Caller,
    visibility: Visibility | undefined,
    ref: PackageRef,
    admitted: AdmittedPush,
  ): Promise<{ visibility: Visibility; visibilityRequested: boolean }> {
    if (visibility === undefined) return { visibility: this.config.auth.defaultVisibility, visibilityRequested: false };
    const current = await this.publisher.currentVisibility(ref);
    if (current === visibility) return { visibility, visibilityRequested: false };
    await this.admission.assertMayChooseVisibility(caller, admitted);
    return { visibility, visibilityRequested: true };
  }
}

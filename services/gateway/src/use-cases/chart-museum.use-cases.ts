/**
 * The ChartMuseum API's writes: a chart upload (raw `.tgz` body, or multipart `chart` and
 * optional `prov` fields) becomes a push of release `<Chart.yaml version>` of package
 * `<namespace>/<Chart.yaml name>`, media type helm, through the same ReleasePublisher as an
 * appr push, so it is the very release the appr API shows, pulls and channels. A delete is the
 * appr delete of that helm release.
 *
 * Unlike an appr push, an upload names its release only inside the archive (Chart.yaml), so the
 * duplicate check comes after the inspection; the quota check does not need it and comes before.
 * The inspection runs off the event loop (ArchiveInspectionPool), and everything is checked
 * before the blob is stored; the whole upload runs within the uploader's share of concurrent
 * uploads and the server's upload bytes in flight, taken before its body was read
 * (http/body-limits.ts).
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  ArchiveTooLargeError,
  Caller,
  CommandMeta,
  HELM_MEDIA_TYPE,
  assertProvenance,
  chartCoordinates,
  parseRepositoryName,
} from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { PushAdmission } from '../auth/push-admission';
import { ArchiveInspectionPool } from '../archive/archive-inspection-pool';
import { ChangePackageUseCases } from './change-package.use-cases';
import { ReleasePublisher } from './release-publisher';
import type { RequestInput } from './request-input';

/** The files of an upload, as the request carried them (http/helm-http.ts reads the body or its form). */
export interface ChartUploadFiles {
  chart: Buffer;
  prov: Buffer | null;
}

export interface ChartUpload {
  caller: Caller;
  /** As the path names it; parsed here. */
  namespace: string;
  /** The body, read once the caller holds `write` on the namespace. */
  files: RequestInput<ChartUploadFiles>;
  /** ChartMuseum's `?force` (present, empty or `true`): replace an existing version. */
  force: boolean;
  meta: CommandMeta;
}

@Injectable()
export class ChartMuseumUseCases {
  constructor(
    private readonly publisher: ReleasePublisher,
    private readonly admission: PushAdmission,
    private readonly changes: ChangePackageUseCases,
    private readonly inspector: ArchiveInspectionPool,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  async upload(upload: ChartUpload): Promise<{ saved: true }> {
    const namespace = parseRepositoryName(upload.namespace);
    const admitted = await this.admission.admit(upload.caller, namespace);
    const { chart: archive, prov } = upload.files();
    // Each stored file keeps within the namespace's blob size limit, the provenance file too.
    if (archive.length > admitted.maxBlobBytes || (prov?.length ?? 0) > admitted.maxBlobBytes)
      throw new ArchiveTooLargeError('blob-size', admitted.maxBlobBytes);
    await this.admission.assertStorage(admitted, archive.length + (prov?.length ?? 0));
    const { bytes, inspection } = await this.inspector.inspect(archive);
    const { ref, release } = chartCoordinates(namespace, inspection.chart, inspection.chartProblem);
    if (prov) assertProvenance(prov, inspection.blobDigest);
    await this.publisher.publish({
      protocol: 'chartmuseum',
      ref,
      release,
      mediaType: HELM_MEDIA_TYPE,
      archive: bytes,
      inspection,
      metadata: null,
      force: upload.force && admitted.allowOverwrites,
      visibility: this.config.auth.defaultVisibility,
      visibilityRequested: false,
      allowOverwrites: admitted.allowOverwrites,
      namespaceQuotaBytes: admitted.maxStorageBytes,
      ...(prov ? { provenance: prov } : {}),
      meta: upload.meta,
    });
    return { saved: true };
  }

  async delete(path: {
    caller: Caller;
    namespace: string;
    name: string;
    version: string;
    meta: CommandMeta;
  }): Promise<{ deleted: true }> {
    await this.changes.deleteRelease({ ...path, release: path.version, mediaType: HELM_MEDIA_TYPE });
    return { deleted: true };
  }
}

/**
 * The referrers of a manifest (`GET /v2/<name>/referrers/<digest>`, distribution spec 1.1): an
 * image index listing the repository's artifacts whose `subject` is that digest, each with its
 * artifact type and annotations, optionally only those of one `artifactType`.
 */
import type { OciArtifact } from '../package/package.view';
import { OCI_IMAGE_INDEX } from './oci-manifest';
import { ociDigestOf } from './oci-digest';

export interface OciReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface OciReferrersIndex {
  schemaVersion: 2;
  mediaType: typeof OCI_IMAGE_INDEX;
  manifests: OciReferrerDescriptor[];
}

/** The referrers index of `subject` (hex) among `artifacts`, in push order; `artifactType` null for all. */
export function referrersIndex(
  artifacts: readonly OciArtifact[],
  subject: string,
  artifactType: string | null,
): OciReferrersIndex {
  const manifests = artifacts
    .filter((a) => a.subject === subject && (artifactType === null || a.artifactType === artifactType))
    .map((a) => ({
      mediaType: a.mediaType,
      digest: ociDigestOf(a.digest),
      size: a.size,
      ...(a.artifactType ? { artifactType: a.artifactType } : {}),
      ...(a.annotations ? { annotations: Object.fromEntries(a.annotations.map((x) => [x.name, x.value])) } : {}),
    }));
  return { schemaVersion: 2, mediaType: OCI_IMAGE_INDEX, manifests };
}

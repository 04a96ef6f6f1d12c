/**
 * How each event changes the number of releases that reference a blob (by the sha256 of its
 * bytes). The blob service folds these into reference counts; a blob whose count is zero is
 * garbage once its grace period has passed.
 */
import type { PackageEvent } from './package.events';
import type { OciDigests } from './package.view';

export interface BlobReferenceChange {
  digest: string;
  delta: 1 | -1;
}

export function blobReferenceChanges(event: Pick<PackageEvent, 'type' | 'data'>): BlobReferenceChange[] {
  const e = event as PackageEvent;
  switch (e.type) {
    case 'ReleasePublished':
      return [...referencesOf(e.data, 1), ...(e.data.replaced ? referencesOf(e.data.replaced, -1) : [])];
    case 'ReleaseDeleted':
      return referencesOf(e.data, -1);
    case 'ReleaseAddedToChannel':
    case 'ReleaseRemovedFromChannel':
    case 'ChannelDeleted':
    case 'PackageVisibilityChanged':
    case 'OciTagged':
    case 'OciUntagged':
      return [];
    // An OCI artifact keeps its own bytes, its config and layers, and an index the manifests it lists.
    case 'OciManifestPushed':
      return [e.data.digest, ...e.data.blobs, ...e.data.manifests].map((digest) => ({ digest, delta: 1 }));
    case 'OciManifestDeleted':
      return [e.data.digest, ...e.data.blobs, ...e.data.manifests].map((digest) => ({ digest, delta: -1 }));
    default: {
      const unknown: never = e;
      return unknown;
    }
  }
}

/** A release references its archive and, when there are, its provenance file and its OCI manifest and config. */
function referencesOf(
  digests: { blobDigest: string; provenanceDigest?: string; oci?: OciDigests },
  delta: 1 | -1,
): BlobReferenceChange[] {
  const changes: BlobReferenceChange[] = [{ digest: digests.blobDigest, delta }];
  if (digests.provenanceDigest) changes.push({ digest: digests.provenanceDigest, delta });
  if (digests.oci) {
    changes.push({ digest: digests.oci.manifestDigest, delta });
    changes.push({ digest: digests.oci.configDigest, delta });
  }
  return changes;
}

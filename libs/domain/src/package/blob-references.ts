/**
 * How each event changes the number of releases that reference a blob (by the sha256 of its
 * bytes). The blob service folds these into reference counts; a blob whose count is zero is
 * garbage once its grace period has passed.
 */
import type { PackageEvent } from './package.events';

export interface BlobReferenceChange {
  digest: string;
  delta: 1 | -1;
}

export function blobReferenceChanges(event: Pick<PackageEvent, 'type' | 'data'>): BlobReferenceChange[] {
  const e = event as PackageEvent;
  switch (e.type) {
    case 'ReleasePublished':
      return e.data.replaced
        ? [
            { digest: e.data.blobDigest, delta: 1 },
            { digest: e.data.replaced.blobDigest, delta: -1 },
          ]
        : [{ digest: e.data.blobDigest, delta: 1 }];
    case 'ReleaseDeleted':
      return [{ digest: e.data.blobDigest, delta: -1 }];
    case 'ReleaseAddedToChannel':
    case 'ReleaseRemovedFromChannel':
    case 'ChannelDeleted':
      return [];
    default: {
      const unknown: never = e;
      return unknown;
    }
  }
}

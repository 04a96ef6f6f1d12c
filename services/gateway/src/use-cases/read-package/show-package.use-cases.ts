import { Injectable } from '@nestjs/common';
import { Caller, PackageNotFoundError, ReleaseManifest, sortReleasesDescending } from '@wharf/domain';
import { PACKAGE_READER, PackageReader } from '@wharf/ports';
import { Inject } from '@nestjs/common';
import { manifestJson, manifestWithChannelsJson } from '../../presenters/appr.presenter';
import { mediaTypesOfRelease, resolveHeadRelease } from './package-lookup';
import type { RequestInput } from '../request-input';
import { ReadablePackages } from './readable-packages';

/**
 * What a package holds: its manifests (the whole view), those of one release (the head and that
 * release's rows), one manifest with its channels (the head and one row).
 */
@Injectable()
export class ShowPackageUseCases {
  constructor(
    private readonly packages: ReadablePackages,
    @Inject(PACKAGE_READER) private readonly reader: PackageReader,
  ) {}

  /** Every manifest, highest release first; only those of the media type the query names, if any. */
  async package(caller: Caller, namespace: string, name: string, query: RequestInput<string | undefined>) {
    const view = await this.packages.get(caller, namespace, name);
    const mediaType = query();
    return sortManifests(view.manifests)
      .filter((m) => mediaType === undefined || m.mediaType === mediaType)
      .map((m) => manifestJson(view, m));
  }

  async release(caller: Caller, namespace: string, name: string, releaseQuery: string) {
    const head = await this.packages.head(caller, namespace, name);
    const release = resolveHeadRelease(head, releaseQuery);
    const manifests: ReleaseManifest[] = [];
    for (const mediaType of mediaTypesOfRelease(head, release)) {
      const read = await this.reader.getRelease(head.package, release, mediaType);
      if (!read?.manifest) throw new PackageNotFoundError(head.package, release, mediaType);
      manifests.push(read.manifest);
    }
    return sortManifests(manifests).map((m) => manifestJson(head, m));
  }

  async manifest(caller: Caller, namespace: string, name: string, releaseQuery: string, mediaType: string) {
    const { head, manifest } = await this.packages.manifest(caller, namespace, name, releaseQuery, mediaType);
    return manifestWithChannelsJson(head, manifest);
  }
}

function sortManifests(manifests: readonly ReleaseManifest[]): ReleaseManifest[] {
  const order = new Map(sortReleasesDescending([...new Set(manifests.map((m) => m.release))]).map((r, i) => [r, i]));
  return [...manifests].sort(
    (a, b) => order.get(a.release)! - order.get(b.release)! || a.mediaType.localeCompare(b.mediaType),
  );
}

import { Injectable } from '@nestjs/common';
import { Caller, ReleaseManifest, sortReleasesDescending } from '@wharf/domain';
import { manifestJson, manifestWithChannelsJson } from '../../presenters/appr.presenter';
import { resolveManifest, resolveRelease } from './package-lookup';
import type { RequestInput } from '../request-input';
import { ReadablePackages } from './readable-packages';

/** What a package holds: its manifests, those of one release, one manifest with its channels. */
@Injectable()
export class ShowPackageUseCases {
  constructor(private readonly packages: ReadablePackages) {}

  /** Every manifest, highest release first; only those of the media type the query names, if any. */
  async package(caller: Caller, namespace: string, name: string, query: RequestInput<string | undefined>) {
    const view = await this.packages.get(caller, namespace, name);
    const mediaType = query();
    return sortManifests(view.manifests)
      .filter((m) => mediaType === undefined || m.mediaType === mediaType)
      .map((m) => manifestJson(view, m));
  }

  async release(caller: Caller, namespace: string, name: string, releaseQuery: string) {
    const view = await this.packages.get(caller, namespace, name);
    const release = resolveRelease(view, releaseQuery);
    return sortManifests(view.manifests.filter((m) => m.release === release)).map((m) => manifestJson(view, m));
  }

  async manifest(caller: Caller, namespace: string, name: string, releaseQuery: string, mediaType: string) {
    const view = await this.packages.get(caller, namespace, name);
    return manifestWithChannelsJson(view, resolveManifest(view, releaseQuery, mediaType));
  }
}

function sortManifests(manifests: readonly ReleaseManifest[]): ReleaseManifest[] {
  const order = new Map(sortReleasesDescending([...new Set(manifests.map((m) => m.release))]).map((r, i) => [r, i]));
  return [...manifests].sort(
    (a, b) => order.get(a.release)! - order.get(b.release)! || a.mediaType.localeCompare(b.mediaType),
  );
}

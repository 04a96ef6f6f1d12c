/**
 * Resolving what a read names: a package that must exist, a release query, a media type
 * (or `-`, the single media type the release has).
 */
import {
  AUTO_MEDIA_TYPE,
  InvalidUsageError,
  PackageNotFoundError,
  PackageRef,
  PackageView,
  ReleaseManifest,
  ReleaseNotFoundError,
  findManifest,
  manifestsOf,
  packageExists,
  parseMediaType,
  releaseNames,
  resolveReleaseQuery,
} from '@wharf/domain';
import type { PackageReader } from '@wharf/ports';

export async function loadExistingPackage(reader: PackageReader, ref: PackageRef): Promise<PackageView> {
  const view = await reader.get(ref.full);
  if (!packageExists(view)) throw new PackageNotFoundError(ref.full);
  return view;
}

export function resolveRelease(view: PackageView, query: string | undefined): string {
  const release = resolveReleaseQuery(query, releaseNames(view));
  if (release === null) throw new ReleaseNotFoundError(view.package, query ?? 'default');
  return release;
}

export function resolveManifest(view: PackageView, releaseQuery: string, mediaType: string): ReleaseManifest {
  const release = resolveRelease(view, releaseQuery);
  if (mediaType === AUTO_MEDIA_TYPE) {
    const manifests = manifestsOf(view, release);
    const [only] = manifests;
    if (!only || manifests.length !== 1) {
      throw new InvalidUsageError(`media-type non specified: [${manifests.map((m) => m.mediaType).join(', ')}]`, {
        package: view.package,
        release,
      });
    }
    return only;
  }
  const manifest = findManifest(view, release, parseMediaType(mediaType));
  if (!manifest) throw new PackageNotFoundError(view.package, release, mediaType);
  return manifest;
}

import { sortReleasesDescending } from '../semver';
import { PackageView, Visibility } from './package.view';

/** What listing needs of a package, without its manifests' details. */
export interface PackageSummary {
  package: string;
  namespace: string;
  name: string;
  visibility: Visibility;
  createdAt: string | null;
  updatedAt: string | null;
  /** Releases newest first (semver precedence), each with its media types. */
  releases: { release: string; mediaTypes: string[] }[];
  /** Bytes of all the package's archives as pushed (for namespace storage quotas). */
  storedBytes: number;
}

export function summarizePackage(view: PackageView): PackageSummary {
  // One pass over the manifests: a package may hold thousands of releases.
  const mediaTypesByRelease = new Map<string, string[]>();
  for (const m of view.manifests) {
    const types = mediaTypesByRelease.get(m.release);
    if (types) types.push(m.mediaType);
    else mediaTypesByRelease.set(m.release, [m.mediaType]);
  }
  return {
    package: view.package,
    namespace: view.namespace,
    name: view.name,
    visibility: view.visibility,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    storedBytes: view.manifests.reduce((sum, m) => sum + m.size, 0),
    releases: sortReleasesDescending([...mediaTypesByRelease.keys()]).map((release) => ({
      release,
      mediaTypes: mediaTypesByRelease.get(release)!.sort(),
    })),
  };
}

/** Every media type the package has a manifest of, sorted. */
export function mediaTypesOf(view: PackageView): string[] {
  return [...new Set(view.manifests.map((m) => m.mediaType))].sort();
}

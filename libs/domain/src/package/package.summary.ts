import { sortReleasesDescending } from '../semver';
import { PackageView, Visibility, manifestsOf, releaseNames } from './package.view';

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
  return {
    package: view.package,
    namespace: view.namespace,
    name: view.name,
    visibility: view.visibility,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    storedBytes: view.manifests.reduce((sum, m) => sum + m.size, 0),
    releases: sortReleasesDescending(releaseNames(view)).map((release) => ({
      release,
      mediaTypes: manifestsOf(view, release)
        .map((m) => m.mediaType)
        .sort(),
    })),
  };
}

/** Every media type the package has a manifest of, sorted. */
export function mediaTypesOf(view: PackageView): string[] {
  return [...new Set(view.manifests.map((m) => m.mediaType))].sort();
}

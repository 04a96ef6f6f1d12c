/**
 * What is searchable about a package, derived from its view: its name, and the description
 * and keywords of its newest release that carries chart metadata.
 */
import { PackageView, mediaTypesOf, packageExists, releaseNames, sortReleasesDescending } from '@wharf/domain';
import type { SearchDocument } from '@wharf/ports';

export function searchDocumentFrom(view: PackageView): SearchDocument {
  const releases = sortReleasesDescending(releaseNames(view));
  const described = releases.flatMap((r) => view.manifests.filter((m) => m.release === r && m.chart)).at(0)?.chart ?? null;
  return {
    package: view.package,
    namespace: view.namespace,
    name: view.name,
    sequence: view.sequence,
    active: packageExists(view),
    visibility: view.visibility,
    description: described?.description ?? '',
    keywords: described?.keywords ?? [],
    mediaTypes: mediaTypesOf(view),
    releases,
    updatedAt: view.updatedAt,
    view,
  };
}

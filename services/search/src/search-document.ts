/**
 * What is searchable about a package, derived from its view: its name, and the description
 * and keywords of its newest release that carries chart metadata.
 */
import { ChartMetadata, PackageView, mediaTypesOf, packageExists, releaseNames, sortReleasesDescending } from '@wharf/domain';
import type { SearchDocument } from '@wharf/ports';

export function searchDocumentFrom(view: PackageView): SearchDocument {
  const releases = sortReleasesDescending(releaseNames(view));
  const chartOf = new Map<string, ChartMetadata>();
  for (const m of view.manifests) if (m.chart && !chartOf.has(m.release)) chartOf.set(m.release, m.chart);
  const newest = releases.find((r) => chartOf.has(r));
  const described = newest === undefined ? null : chartOf.get(newest)!;
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

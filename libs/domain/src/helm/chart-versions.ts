/**
 * The Helm view of packages: which releases are charts, and what the chart repository index
 * says about each. A package `ns/foo` is chart `foo` of repository `ns`; each release of media
 * type `helm` whose archive had a usable Chart.yaml is one chart version, `version` = release.
 * Pure: derived from the package view, so the chart index is a projection of the same events.
 */
import type { ChartMetadata } from '../archive/chart-metadata';
import { parseAccountName } from '../names';
import type { PackageEvent } from '../package/package.events';
import type { ManifestChanges } from '../package/package.head';
import { HELM_MEDIA_TYPE } from '../package/package.helm-manifest';
import type { PackageView, ReleaseManifest, Visibility } from '../package/package.view';

export { HELM_MEDIA_TYPE };

/** One version of a chart, as the repository index and the ChartMuseum API present it. */
export interface ChartVersionRecord {
  /** The package name (the chart's name in this repository). */
  name: string;
  /** The release (strict SemVer). */
  version: string;
  /** Chart.yaml as pushed; its own name and version may differ from the package's (appr pushes). */
  chart: ChartMetadata;
  /** sha256 (hex) of the .tgz: the index `digest`, and the blob store key. */
  blobDigest: string;
  /** sha256 (hex) of the uncompressed tar: appr's `content.digest`. */
  apprDigest: string;
  size: number;
  provenanceDigest?: string;
  createdAt: string;
}

/** The chart versions of one package as of one point of its event stream. */
export interface PackageChartVersions {
  package: string;
  namespace: string;
  /** Sequence of the package view these versions were taken from. */
  sequence: number;
  visibility: Visibility;
  /** Empty when the package has no chart versions (left, or never had any). */
  versions: ChartVersionRecord[];
}

export function chartVersionsOf(view: PackageView): PackageChartVersions {
  const versions: ChartVersionRecord[] = [];
  for (const manifest of view.manifests) {
    const version = chartVersionOf(view.name, manifest);
    if (version) versions.push(version);
  }
  return {
    package: view.package,
    namespace: view.namespace,
    sequence: view.sequence,
    visibility: view.visibility,
    versions,
  };
}

/** The chart version a manifest of package `name` is: none unless it is `helm` with a usable Chart.yaml. */
export function chartVersionOf(name: string, manifest: ReleaseManifest): ChartVersionRecord | null {
  if (manifest.mediaType !== HELM_MEDIA_TYPE || manifest.chart === null) return null;
  return {
    name,
    version: manifest.release,
    chart: manifest.chart,
    blobDigest: manifest.blobDigest,
    apprDigest: manifest.apprDigest,
    size: manifest.size,
    ...(manifest.provenanceDigest ? { provenanceDigest: manifest.provenanceDigest } : {}),
    createdAt: manifest.createdAt,
  };
}

/**
 * What one batch of a package's events changed in its chart versions: the chart index's write
 * for a push, proportional to the batch (`manifestChanges` of the same events), not to the
 * package. A store applies it only on top of exactly `fromSequence` (see ChartIndexStore).
 */
export interface PackageChartChanges {
  package: string;
  namespace: string;
  /** The package's sequence before the batch: the one the chart index must be at. */
  fromSequence: number;
  /** The package's sequence after the batch. */
  sequence: number;
  /** The package's visibility after the batch. */
  visibility: Visibility;
  /** Chart versions published (new, or replacing the same version). */
  published: ChartVersionRecord[];
  /** Versions the package no longer has as charts (deleted, or republished without a usable Chart.yaml). */
  deleted: string[];
}

/**
 * The chart changes of a batch, from the package after it (its head's fields) and the rows the
 * batch changed: helm manifests published become versions, helm rows deleted (or published
 * without Chart.yaml) leave. Other media types are not charts.
 */
export function chartChangesOf(
  after: Pick<PackageView, 'package' | 'namespace' | 'name' | 'sequence' | 'visibility'>,
  fromSequence: number,
  changes: ManifestChanges,
): PackageChartChanges {
  const published: ChartVersionRecord[] = [];
  const deleted: string[] = [];
  for (const { manifest } of changes.published) {
    if (manifest.mediaType !== HELM_MEDIA_TYPE) continue;
    const version = chartVersionOf(after.name, manifest);
    if (version) published.push(version);
    else deleted.push(manifest.release);
  }
  for (const gone of changes.deleted) if (gone.mediaType === HELM_MEDIA_TYPE) deleted.push(gone.release);
  return {
    package: after.package,
    namespace: after.namespace,
    fromSequence,
    sequence: after.sequence,
    visibility: after.visibility,
    published,
    deleted,
  };
}

const CHANNEL_EVENTS: ReadonlySet<string> = new Set([
  'ReleaseAddedToChannel',
  'ReleaseRemovedFromChannel',
  'ChannelDeleted',
]);

/**
 * Whether any of `events` can change a package's chart versions: a publish or delete of a helm
 * release, and any event that is neither a release nor a channel event (a visibility change, or
 * an event type added later), since every version carries its package's visibility. Channel
 * events and other media types never do.
 */
export function touchesCharts(events: readonly { type: string; data: unknown }[]): boolean {
  return events.some((event) => {
    if (CHANNEL_EVENTS.has(event.type)) return false;
    if (event.type === 'ReleasePublished' || event.type === 'ReleaseDeleted') {
      return (
        (event as Extract<PackageEvent, { type: 'ReleasePublished' | 'ReleaseDeleted' }>).data.mediaType ===
        HELM_MEDIA_TYPE
      );
    }
    return true;
  });
}

/** The file name Helm tooling expects for a chart version: `<name>-<version>.tgz`. */
export function chartFileName(name: string, version: string): string {
  return `${name}-${version}.tgz`;
}

/** A Helm repository is a namespace: its name follows the namespace rule (names.ts). */
export function parseRepositoryName(namespace: string): string {
  return parseAccountName(namespace);
}

/**
 * A package's head and its manifests as rows: how the metadata projection stores a package
 * (issue 17), so that a push writes its own rows and the head, and a show reads the head and
 * one row, whatever the package's size.
 *
 * The head is the view without its manifests (channels, visibility, sequence, recent command
 * ids, tombstones, OCI artifacts) plus the release index a listing and a release query need
 * (each release with its media types, newest first) and the bytes the package counts against
 * its namespace's quota. The OCI manifest digest of each helm release is not in the head: stores
 * keep it as a record keyed by (package, digest) (`helmDigestOfRow`). Each manifest is a row, keyed by (package, release, media type) and
 * ordered by the sequence of the event that published it, which is its place in the view's
 * `manifests` (a publication, a forced one too, appends; a delete removes).
 */
import { HELM_MEDIA_TYPE, helmManifestDigestOf } from './package.helm-manifest';
import { compareReleasesDescending } from '../semver';
import type { RecordedEvent } from './package.events';
import type { PackageSummary } from './package.summary';
import { summarizePackage } from './package.summary';
import type { PackageView, ReleaseManifest } from './package.view';

export interface PackageHead extends Omit<PackageView, 'manifests'> {
  /** Releases newest first (SemVer precedence), each with its media types, sorted: the summary's. */
  releases: PackageSummary['releases'];
  /** What the package counts against its namespace's storage quota (`storedBytesOf`). */
  storedBytes: number;
  /** The `metadata` its manifests hold together (`storedMetadataBytesOf`): what a push's bound checks. */
  metadataBytes: number;
}

/**
 * A helm release's OCI manifest digest (sha256 hex): what a `/v2/` manifest read by digest finds
 * its release by. Stores keep these as records of their own, keyed by (package, digest), not in
 * the head, so a push does not rewrite an index that grows with the package.
 */
export interface HelmManifestDigest {
  digest: string;
  release: string;
}

/** A manifest with the sequence of the event that published it: its order among the package's manifests. */
export interface ManifestRow {
  manifest: ReleaseManifest;
  sequence: number;
}

/** What a run of events changed among a package's manifests; anything not named is as it was. */
export interface ManifestChanges {
  /** Manifests published (new, or replacing one of the same release and media type). */
  published: ManifestRow[];
  /** (release, media type) pairs the package no longer holds. */
  deleted: { release: string; mediaType: string }[];
}

/** The view without its manifests, keys in the view's order. */
export type HeadFields = Omit<PackageView, 'manifests'>;

/** What a store keeps of a head beside its summary: the view's fields (`headFieldsOfHead`; `joinHead` takes it back). */
export type StoredHeadFields = HeadFields;

export function headFieldsOf(view: PackageView): HeadFields {
  const { manifests: _manifests, ...fields } = view;
  return fields;
}

/** The head of a view; proportional to its releases (the summary's release index). */
export function packageHead(view: PackageView): PackageHead {
  const summary = summarizePackage(view);
  return {
    ...headFieldsOf(view),
    releases: summary.releases,
    storedBytes: summary.storedBytes,
    metadataBytes: summary.metadataBytes,
  };
}

/** The helm manifest digest a manifest row is found by (null: not a helm release's row). */
export function helmDigestOfRow(manifest: ReleaseManifest): HelmManifestDigest | null {
  const digest = manifest.mediaType === HELM_MEDIA_TYPE ? helmManifestDigestOf(manifest) : null;
  return digest === null ? null : { digest, release: manifest.release };
}

/** The releases among `candidates` that the head holds a helm release of, sorted, each once. */
export function heldHelmReleases(head: Pick<PackageHead, 'releases'>, candidates: readonly string[]): string[] {
  return [...new Set(candidates)]
    .filter((release) => mediaTypesInIndex(head.releases, release).includes(HELM_MEDIA_TYPE))
    .sort();
}

/**
 * The helm release among `candidates` (the releases a store's digest records name for `digest`)
 * that the head holds and whose manifest (`rowOf`) has that digest: a record a later put left
 * behind (a forced republish, a delete) names a release whose manifest no longer has it.
 */
export function helmReleaseOfDigest(
  head: Pick<PackageHead, 'releases'>,
  candidates: readonly string[],
  digest: string,
  rowOf: (release: string) => ReleaseManifest | null,
): ReleaseManifest | null {
  for (const release of heldHelmReleases(head, candidates)) {
    const manifest = rowOf(release);
    if (manifest && helmManifestDigestOf(manifest) === digest) return manifest;
  }
  return null;
}

/** The listing's summary of a package, from its head. */
export function summaryOfHead(head: PackageHead): PackageSummary {
  return {
    package: head.package,
    namespace: head.namespace,
    name: head.name,
    visibility: head.visibility,
    createdAt: head.createdAt,
    updatedAt: head.updatedAt,
    storedBytes: head.storedBytes,
    metadataBytes: head.metadataBytes,
    releases: head.releases,
  };
}

/**
 * The head's fields and the summary's, stored apart, as one head again (keys in `packageHead`'s
 * order). A head stored by a release that kept the index of helm manifest digests in it
 * (`helmManifestDigests`) is read without it: the stores keep those as records of their own.
 */
export function joinHead(stored: StoredHeadFields, summary: PackageSummary): PackageHead {
  const { helmManifestDigests: _index, ...fields } = stored as StoredHeadFields & { helmManifestDigests?: unknown };
  return {
    ...fields,
    releases: summary.releases,
    storedBytes: summary.storedBytes,
    metadataBytes: summary.metadataBytes,
  };
}

/**
 * The view again from the head's fields and its manifest rows (any order): the manifests in
 * publication order, placed where the view has them (right after `visibility`), so the view is
 * the one `evolve` folded, keys in the same order.
 */
export function assembleView(fields: HeadFields, rows: readonly ManifestRow[]): PackageView {
  return withManifests(
    fields,
    [...rows].sort((a, b) => a.sequence - b.sequence).map((r) => r.manifest),
  );
}

/** The view of `fields` holding `manifests`, placed where the view has them (right after `visibility`). */
function withManifests(fields: HeadFields, manifests: ReleaseManifest[]): PackageView {
  const view: Record<string, unknown> = {};
  let placed = false;
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'helmManifestDigests') continue; // a head stored by a release that kept the index in it
    view[key] = value;
    if (key === 'visibility') {
      view.manifests = manifests;
      placed = true;
    }
  }
  if (!placed) view.manifests = manifests;
  return view as unknown as PackageView;
}

/**
 * The view after a put of `head` and `changes` onto `before` (the view at the head's previous
 * sequence): for a store that keeps whole views in memory. Proportional to the package, as
 * any whole view is.
 */
export function viewAfterChanges(before: PackageView, head: PackageHead, changes: ManifestChanges): PackageView {
  // A few changes against every manifest: compared in place, no key built per manifest.
  const gone = [...changes.deleted, ...changes.published.map((p) => p.manifest)];
  const manifests = before.manifests.filter(
    (m) => !gone.some((g) => g.release === m.release && g.mediaType === m.mediaType),
  );
  for (const p of changes.published) manifests.push(p.manifest);
  return withManifests(headFieldsOfHead(head), manifests);
}

/** The head without its release index and byte counts: the view's fields, keys in the view's order. */
export function headFieldsOfHead(head: PackageHead): StoredHeadFields {
  const { releases: _releases, storedBytes: _storedBytes, metadataBytes: _metadataBytes, ...fields } = head;
  return fields;
}

/** Every media type the head's release index holds, sorted (`mediaTypesOf` of its view). */
export function mediaTypesOfHead(head: PackageHead): string[] {
  const types = new Set<string>();
  for (const r of head.releases) for (const t of r.mediaTypes) types.add(t);
  return [...types].sort();
}

/** `packageExists` of the head's view: it holds a release. */
export function headHasReleases(head: PackageHead): boolean {
  return head.releases.length > 0;
}

/** `ociRepositoryExists` of the head's view: it holds a release or an OCI artifact. */
export function headIsOciRepository(head: PackageHead): boolean {
  return head.releases.length > 0 || (head.ociArtifacts?.length ?? 0) > 0;
}

/** Every manifest of a view as a row, ordered by its place in the view (for a store that knows no sequences yet). */
export function rowsOfView(view: PackageView): ManifestRow[] {
  return view.manifests.map((manifest, i) => ({ manifest, sequence: i }));
}

/**
 * What `events` changed among the manifests, read off `after` (the view the events folded
 * into): the last publication or delete of each (release, media type) wins. Proportional to
 * the events, not to the package: the manifests published are the last ones of the view.
 */
export function manifestChanges(after: PackageView, events: readonly RecordedEvent[]): ManifestChanges {
  const { wanted, deleted } = lastManifestChanges(events);
  const published: ManifestRow[] = [];
  // Publications append to the view's manifests, so they are its last ones.
  for (let i = after.manifests.length - 1; i >= 0 && wanted.size > published.length; i--) {
    const manifest = after.manifests[i]!;
    const sequence = wanted.get(manifestRowKey(manifest.release, manifest.mediaType));
    if (sequence !== undefined) published.push({ manifest, sequence });
  }
  if (published.length !== wanted.size)
    throw new Error(`the view of ${after.package} lacks manifests its events published`);
  published.reverse();
  return { published, deleted };
}

/**
 * The last publication or delete of each (release, media type) among `events`: the rows
 * published (by key, `<media type>\0<release>`, with the publishing sequence, in publication
 * order) and the ones deleted.
 */
export function lastManifestChanges(events: readonly RecordedEvent[]): {
  wanted: Map<string, number>;
  deleted: ManifestChanges['deleted'];
} {
  const last = new Map<string, { release: string; mediaType: string; sequence: number | null }>();
  for (const event of events) {
    if (event.type !== 'ReleasePublished' && event.type !== 'ReleaseDeleted') continue;
    const { release, mediaType } = event.data as { release: string; mediaType: string };
    const key = manifestRowKey(release, mediaType);
    last.delete(key); // re-inserted last: the map's order is the publications' order
    last.set(key, { release, mediaType, sequence: event.type === 'ReleasePublished' ? event.sequence : null });
  }
  const deleted: ManifestChanges['deleted'] = [];
  const wanted = new Map<string, number>();
  for (const [key, change] of last) {
    if (change.sequence === null) deleted.push({ release: change.release, mediaType: change.mediaType });
    else wanted.set(key, change.sequence);
  }
  return { wanted, deleted };
}

/** The release index's place of `release`: where it is, or where it would go (binary search). */
function placeInIndex(index: PackageHead['releases'], release: string): { at: number; found: boolean } {
  let low = 0;
  let high = index.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const order = compareReleasesDescending(index[mid]!.release, release);
    if (order === 0) return { at: mid, found: true };
    if (order < 0) low = mid + 1;
    else high = mid;
  }
  return { at: low, found: false };
}

/** The media types the head's release index holds for `release` (none: it holds no such release). */
export function mediaTypesInIndex(index: PackageHead['releases'], release: string): string[] {
  const { at, found } = placeInIndex(index, release);
  return found ? index[at]!.mediaTypes : [];
}

/**
 * The manifest of (release, media type) among the rows loaded with a head: undefined when the
 * head's index has no such manifest; an error when it has one that was not loaded (the loader
 * must read every row a command touches).
 */
export function headRow(
  head: Pick<PackageHead, 'package' | 'releases'>,
  rows: readonly ReleaseManifest[],
  release: string,
  mediaType: string,
): ReleaseManifest | undefined {
  if (!mediaTypesInIndex(head.releases, release).includes(mediaType)) return undefined;
  const row = rows.find((m) => m.release === release && m.mediaType === mediaType);
  if (!row) throw new Error(`the manifest ${release} (${mediaType}) of ${head.package} was not loaded with its head`);
  return row;
}

/** The release index with (release, media type) in it, as `summarizePackage` would sort it; a new array. */
export function indexWith(index: PackageHead['releases'], release: string, mediaType: string): PackageHead['releases'] {
  const { at, found } = placeInIndex(index, release);
  if (found && index[at]!.mediaTypes.includes(mediaType)) return index;
  const next = [...index];
  if (found) next[at] = { release, mediaTypes: [...index[at]!.mediaTypes, mediaType].sort() };
  else next.splice(at, 0, { release, mediaTypes: [mediaType] });
  return next;
}

/** The release index without (release, media type); a release left with none goes. */
export function indexWithout(
  index: PackageHead['releases'],
  release: string,
  mediaType: string,
): PackageHead['releases'] {
  const { at, found } = placeInIndex(index, release);
  if (!found || !index[at]!.mediaTypes.includes(mediaType)) return index;
  const next = [...index];
  const left = index[at]!.mediaTypes.filter((t) => t !== mediaType);
  if (left.length > 0) next[at] = { release, mediaTypes: left };
  else next.splice(at, 1);
  return next;
}

/** The key of a (release, media type) among a package's manifests. */
export function manifestRowKey(release: string, mediaType: string): string {
  return `${mediaType}\u0000${release}`;
}

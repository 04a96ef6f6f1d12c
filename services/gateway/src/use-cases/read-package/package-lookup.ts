/**
 * Resolving what a read names: a package that must exist, a release query, a media type
 * (or `-`, the single media type the release has). A read of one manifest reads the package's
 * head and that manifest's row (`PackageReader.getRelease`), never the whole view.
 */
import {
  AUTO_MEDIA_TYPE,
  InvalidUsageError,
  PackageHead,
  PackageNotFoundError,
  PackageRef,
  PackageView,
  ReleaseManifest,
  ReleaseNotFoundError,
  packageExists,
  parseMediaType,
  parseSemVer,
  releaseNames,
  resolveReleaseQuery,
  resolveReleaseQuerySorted,
} from '@wharf/domain';
import type { PackageReader } from '@wharf/ports';

export async function loadExistingPackage(reader: PackageReader, ref: PackageRef): Promise<PackageView> {
  const view = await reader.get(ref.full);
  if (!packageExists(view)) throw new PackageNotFoundError(ref.full);
  return view;
}

/** A package exists while its head holds a release. */
export function headExists(head: PackageHead | null): head is PackageHead {
  return head !== null && head.releases.length > 0;
}

export async function loadExistingHead(reader: PackageReader, ref: PackageRef): Promise<PackageHead> {
  const head = await reader.getHead(ref.full);
  if (!headExists(head)) throw new PackageNotFoundError(ref.full);
  return head;
}

/** The release a query names among a whole view's releases (a page showing every release); ReleaseNotFoundError when none. */
export function resolveViewRelease(view: PackageView, query: string | undefined): string {
  const release = resolveReleaseQuery(query, releaseNames(view));
  if (release === null) throw new ReleaseNotFoundError(view.package, query ?? 'default');
  return release;
}

/** The release a query names among the head's releases; ReleaseNotFoundError when none. */
export function resolveHeadRelease(head: PackageHead, query: string | undefined): string {
  const release = resolveReleaseQuerySorted(query, releaseIndex(head));
  if (release === null) throw new ReleaseNotFoundError(head.package, query ?? 'default');
  return release;
}

/** The head's release names, highest first: one array per head object (heads are cached and never mutated). */
function releaseIndex(head: PackageHead): string[] {
  let names = releaseNamesOfHead.get(head);
  if (!names) releaseNamesOfHead.set(head, (names = head.releases.map((r) => r.release)));
  return names;
}
const releaseNamesOfHead = new WeakMap<PackageHead, string[]>();

/** The media types the head holds for `release`, sorted. */
export function mediaTypesOfRelease(head: PackageHead, release: string): string[] {
  return head.releases.find((r) => r.release === release)?.mediaTypes ?? [];
}

/** The media type a read names, `-` resolved to the release's only one. */
export function resolveMediaType(head: PackageHead, release: string, mediaType: string): string {
  if (mediaType !== AUTO_MEDIA_TYPE) return parseMediaType(mediaType);
  const types = mediaTypesOfRelease(head, release);
  const [only] = types;
  if (!only || types.length !== 1) {
    throw new InvalidUsageError(`media-type non specified: [${types.join(', ')}]`, {
      package: head.package,
      release,
    });
  }
  return only;
}

/**
 * The head and the manifest a read names, in one read of the store when the query is a release
 * named in full with its media type (the common case: the head then confirms the name is what the
 * query resolves to), else the head first and then the manifest. `check` runs on the head before
 * the release is resolved (the access check: a private package answers like a missing one).
 */
export async function readManifest(
  reader: PackageReader,
  ref: PackageRef,
  releaseQuery: string,
  mediaType: string,
  check: (head: PackageHead) => Promise<void>,
): Promise<{ head: PackageHead; manifest: ReleaseManifest }> {
  // Only a valid media type is read at once: an invalid one is refused after the package's checks, as before.
  const givenType = mediaType === AUTO_MEDIA_TYPE ? null : validMediaType(mediaType);
  const exact = givenType !== null && parseSemVer(releaseQuery) !== null;
  const found = exact ? await reader.getRelease(ref.full, releaseQuery, givenType) : null;
  const head = exact ? found?.head : await reader.getHead(ref.full);
  if (!headExists(head ?? null)) throw new PackageNotFoundError(ref.full);
  await check(head!);
  const release = resolveHeadRelease(head!, releaseQuery);
  const type = resolveMediaType(head!, release, mediaType);
  if (found?.manifest && release === releaseQuery) return { head: head!, manifest: found.manifest };
  const read = await reader.getRelease(ref.full, release, type);
  if (!read?.manifest || !headExists(read.head)) throw new PackageNotFoundError(ref.full, release, mediaType);
  return { head: read.head, manifest: read.manifest };
}

function validMediaType(mediaType: string): string | null {
  try {
    return parseMediaType(mediaType);
  } catch {
    return null;
  }
}

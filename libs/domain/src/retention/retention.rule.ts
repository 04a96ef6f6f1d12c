/**
 * The one rule that decides what retention deletes: given a package's view, the namespace's
 * policies and the instant of the run, the manifests to delete and the policy that deletes each.
 * Pure: the dry run and the run both call it, so the preview is what a run deletes at the same
 * instant over the same views.
 *
 * - A policy covers a package when its pattern matches the package's name. Releases are judged
 *   whole: every media type of a deleted release goes.
 * - A release survives a policy when any keep rule of that policy holds: among the `keepLast`
 *   highest by SemVer precedence (pre-releases counted unless `prereleases` is `keep` or
 *   `drop`), pushed within `keepPushedWithinDays` (its newest manifest; never for a dropped
 *   pre-release), pulled within `keepPulledWithinDays` (its last pull, from `lastPulls`: the
 *   caller reads them, the rule stays pure; never for a dropped pre-release), a pre-release under `keep`, a channel's current release, or, under
 *   `keepChannelReleases: all`, any release on a channel.
 * - With several policies covering a package, keeping wins: a release goes only when every
 *   covering policy would delete it, and the deletion names the first of them by id.
 */
import { parseSemVer, sortReleasesDescending } from '../semver';
import type { PackageView } from '../package/package.view';
import { RetentionPolicy, policyCovers } from './retention-policy';

export interface RetentionDeletion {
  package: string;
  release: string;
  mediaType: string;
  /** sha256 (hex) of the manifest's .tgz when planned: the writer refuses the delete if it changed since. */
  blobDigest: string;
  /** Id of the policy the deletion is made under (the audit trail's and the event's reason). */
  policy: string;
}

const DAY_MS = 86_400_000;

/**
 * The manifests of `view` the policies delete at `now` (ISO instant), ordered by release (highest
 * first) then media type. `lastPulls`: release → its last pull (ISO instant); a release absent
 * was never pulled (as far as the records know).
 */
export function retentionDeletions(
  view: PackageView,
  policies: readonly RetentionPolicy[],
  now: string,
  lastPulls: ReadonlyMap<string, string> = new Map(),
): RetentionDeletion[] {
  const covering = [...policies].filter((p) => policyCovers(p, view.name)).sort((a, b) => compare(a.id, b.id));
  if (covering.length === 0 || view.manifests.length === 0) return [];
  const releases = sortReleasesDescending([...new Set(view.manifests.map((m) => m.release))]);
  const doomed = releases.flatMap((release) => {
    const deleting = covering.map((p) => (keeps(p, view, release, releases, now, lastPulls) ? null : p.id));
    return deleting.every((id) => id !== null) ? [{ release, policy: deleting[0]! }] : [];
  });
  return doomed.flatMap(({ release, policy }) =>
    view.manifests
      .filter((m) => m.release === release)
      .sort((a, b) => compare(a.mediaType, b.mediaType))
      .map((m) => ({ package: view.package, release, mediaType: m.mediaType, blobDigest: m.blobDigest, policy })),
  );
}

function keeps(
  policy: RetentionPolicy,
  view: PackageView,
  release: string,
  releasesDescending: readonly string[],
  now: string,
  lastPulls: ReadonlyMap<string, string>,
): boolean {
  if (view.channels.some((c) => c.current === release)) return true;
  if (policy.keepChannelReleases === 'all' && view.channels.some((c) => c.releases.includes(release))) return true;
  const pre = isPrerelease(release);
  if (pre && policy.prereleases === 'keep') return true;
  if (pre && policy.prereleases === 'drop') return false;
  if (policy.keepLast !== null) {
    const counted = releasesDescending.filter((r) => policy.prereleases === 'count' || !isPrerelease(r));
    if (counted.indexOf(release) < policy.keepLast && counted.includes(release)) return true;
  }
  if (policy.keepPushedWithinDays !== null) {
    const pushed = Math.max(...view.manifests.filter((m) => m.release === release).map((m) => Date.parse(m.createdAt)));
    if (Date.parse(now) - pushed < policy.keepPushedWithinDays * DAY_MS) return true;
  }
  const pulled = lastPulls.get(release);
  if (policy.keepPulledWithinDays && pulled !== undefined)
    if (Date.parse(now) - Date.parse(pulled) < policy.keepPulledWithinDays * DAY_MS) return true;
  return false;
}

function isPrerelease(release: string): boolean {
  return (parseSemVer(release)?.prerelease.length ?? 0) > 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

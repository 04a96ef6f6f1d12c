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
 *   pre-release), used within `keepPulledWithinDays` (never for a dropped pre-release), a
 *   pre-release under `keep`, a channel's current release, or, under `keepChannelReleases: all`,
 *   any release on a channel.
 * - "Used" for `keepPulledWithinDays` is the latest of: its last pull (from `lastPulls`: the
 *   caller reads them, the rule stays pure), its push (its newest manifest), and the instant pull
 *   records began (`pullsRecordedSince`). A release no one has pulled is thus deleted only once
 *   it has been in the registry a whole period without a pull, and nothing is deleted for want of
 *   pulls before the records cover a whole period: a release pulled every day before pulls were
 *   recorded is not taken for one never pulled. Releases kept now by that grace alone are `held`,
 *   with the instant they go unless pulled, so the preview can say so.
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

/** A manifest kept now only by the grace of `keepPulledWithinDays` (see the header). */
export interface RetentionHold extends RetentionDeletion {
  /** The instant from which it is deleted unless pulled (ISO); `policy` is the one that will delete it. */
  until: string;
}

/** What the policies do to a package at an instant: the manifests deleted, and those held by the grace. */
export interface RetentionPlan {
  deleted: RetentionDeletion[];
  held: RetentionHold[];
}

/** What the rule knows of pulls: the last pull of each release, and since when pulls are recorded. */
export interface PullHistory {
  /** release → its last pull (ISO instant); a release absent was never pulled as far as the records know. */
  lastPulls: ReadonlyMap<string, string>;
  /** The instant pull records began (ISO); null: they always existed. */
  recordedSince: string | null;
}

const DAY_MS = 86_400_000;
const NO_PULLS: PullHistory = { lastPulls: new Map(), recordedSince: null };

/**
 * The manifests of `view` the policies delete at `now` (ISO instant), and those held by the
 * grace, each ordered by release (highest first) then media type.
 */
export function retentionPlan(
  view: PackageView,
  policies: readonly RetentionPolicy[],
  now: string,
  pulls: PullHistory = NO_PULLS,
): RetentionPlan {
  const covering = [...policies].filter((p) => policyCovers(p, view.name)).sort((a, b) => compare(a.id, b.id));
  if (covering.length === 0 || view.manifests.length === 0) return { deleted: [], held: [] };
  const releases = sortReleasesDescending([...new Set(view.manifests.map((m) => m.release))]);
  const deleted: RetentionDeletion[] = [];
  const held: RetentionHold[] = [];
  for (const release of releases) {
    const judge = (grace: boolean) =>
      covering.map((p) => (keeps(p, view, release, releases, now, pulls, grace) ? null : p.id));
    const deleting = judge(true);
    if (deleting.every((id) => id !== null)) deleted.push(...manifestsOf(view, release, deleting[0]!));
    else {
      const withoutGrace = judge(false);
      if (withoutGrace.every((id) => id !== null))
        held.push(
          ...manifestsOf(view, release, withoutGrace[0]!).map((m) => ({
            ...m,
            until: heldUntil(covering, view, release, now, pulls),
          })),
        );
    }
  }
  return { deleted, held };
}

/** The manifests the policies delete (retentionPlan's `deleted`). */
export function retentionDeletions(
  view: PackageView,
  policies: readonly RetentionPolicy[],
  now: string,
  pulls: PullHistory = NO_PULLS,
): RetentionDeletion[] {
  return retentionPlan(view, policies, now, pulls).deleted;
}

function manifestsOf(view: PackageView, release: string, policy: string): RetentionDeletion[] {
  return view.manifests
    .filter((m) => m.release === release)
    .sort((a, b) => compare(a.mediaType, b.mediaType))
    .map((m) => ({ package: view.package, release, mediaType: m.mediaType, blobDigest: m.blobDigest, policy }));
}

/** When the last policy holding `release` by the grace lets it go: its last use plus the longest such period. */
function heldUntil(
  covering: readonly RetentionPolicy[],
  view: PackageView,
  release: string,
  now: string,
  pulls: PullHistory,
): string {
  const used = lastUse(view, release, pulls);
  const days = Math.max(...covering.filter((p) => usedWithin(p, used, now)).map((p) => p.keepPulledWithinDays ?? 0));
  return new Date(used + days * DAY_MS).toISOString();
}

/** The latest of the release's last pull, its push, and the start of the pull records (epoch ms). */
function lastUse(view: PackageView, release: string, pulls: PullHistory): number {
  const pulled = pulls.lastPulls.get(release);
  return Math.max(
    pushedAt(view, release),
    pulled === undefined ? -Infinity : Date.parse(pulled),
    pulls.recordedSince === null ? -Infinity : Date.parse(pulls.recordedSince),
  );
}

function usedWithin(policy: RetentionPolicy, used: number, now: string): boolean {
  return !!policy.keepPulledWithinDays && Date.parse(now) - used < policy.keepPulledWithinDays * DAY_MS;
}

function pushedAt(view: PackageView, release: string): number {
  return Math.max(...view.manifests.filter((m) => m.release === release).map((m) => Date.parse(m.createdAt)));
}

/** `grace`: the pulled-within rule counts the push and the start of the records as uses (see the header). */
function keeps(
  policy: RetentionPolicy,
  view: PackageView,
  release: string,
  releasesDescending: readonly string[],
  now: string,
  pulls: PullHistory,
  grace: boolean,
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
  if (policy.keepPushedWithinDays !== null)
    if (Date.parse(now) - pushedAt(view, release) < policy.keepPushedWithinDays * DAY_MS) return true;
  const pulled = pulls.lastPulls.get(release);
  const used = grace ? lastUse(view, release, pulls) : pulled === undefined ? -Infinity : Date.parse(pulled);
  return usedWithin(policy, used, now);
}

function isPrerelease(release: string): boolean {
  return (parseSemVer(release)?.prerelease.length ?? 0) > 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

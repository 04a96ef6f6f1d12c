/**
 * The rules of ImportReleases, a bulk command: which releases are new, which are already there
 * (skipped) and which are there with other bytes (conflicts), and the events that make the
 * package hold the new ones and the channels asked for. Pure, like the decider that calls it.
 */
import { InvalidUsageError } from '../errors';
import type { ImportReleases, ImportedRelease } from './package.commands';
import type { PackageEvent, ReleaseAddedToChannel } from './package.events';
import { ChannelRecord, PackageView, ReleaseManifest, findChannel, findTombstone } from './package.view';

/** A release the import could not add: the package holds it with other digests. */
export interface ImportConflict {
  release: string;
  mediaType: string;
  /** The blob digest the package holds under that release and media type. */
  heldBlobDigest: string;
  /** The blob digest the import brought. */
  importedBlobDigest: string;
}

/** What an import does to a package; its counts add up to the command's releases. */
export interface ImportPlan {
  /** Releases to publish, in command order. */
  publish: ImportedRelease[];
  /** Releases the package already holds with the same digests (also repeats within the command). */
  skipped: number;
  conflicts: ImportConflict[];
}

/** The answer to an ImportReleases command (in CommandResult.import). */
export interface ImportOutcome {
  imported: number;
  skipped: number;
  conflicts: ImportConflict[];
}

const keyOf = (release: string, mediaType: string) => `${mediaType}\u0000${release}`;

/** Sorts the command's releases into new, skipped and conflicting, against `state`; O(manifests + releases). */
export function planImport(command: ImportReleases, state: PackageView): ImportPlan {
  const held = new Map<string, Pick<ReleaseManifest, 'apprDigest' | 'blobDigest'>>();
  for (const m of state.manifests) held.set(keyOf(m.release, m.mediaType), m);
  const plan: ImportPlan = { publish: [], skipped: 0, conflicts: [] };
  for (const r of command.releases) {
    const key = keyOf(r.release, r.mediaType);
    const there = held.get(key);
    // A deleted release's bytes still bind it, as for a push that may not overwrite
    // (OverwriteForbiddenError): an import never overwrites, not even what was deleted.
    const tombstone = there ? undefined : findTombstone(state, r.release, r.mediaType);
    if (tombstone && tombstone.blobDigest !== r.content.blobDigest) {
      plan.conflicts.push({
        release: r.release,
        mediaType: r.mediaType,
        heldBlobDigest: tombstone.blobDigest,
        importedBlobDigest: r.content.blobDigest,
      });
    } else if (!there) {
      plan.publish.push(r);
      held.set(key, r.content);
    } else if (there.blobDigest === r.content.blobDigest && there.apprDigest === r.content.apprDigest) {
      plan.skipped++;
    } else {
      plan.conflicts.push({
        release: r.release,
        mediaType: r.mediaType,
        heldBlobDigest: there.blobDigest,
        importedBlobDigest: r.content.blobDigest,
      });
    }
  }
  return plan;
}

export function importOutcome(plan: ImportPlan): ImportOutcome {
  return { imported: plan.publish.length, skipped: plan.skipped, conflicts: plan.conflicts };
}

/**
 * ReleasePublished for each new release (never `replaced`: an import does not overwrite), then
 * for each channel asked for, the releases it lacks added in the order given, and its current
 * release set when the import changed the channel. A channel entry naming a release the package
 * will not hold is left out; a channel with none left is not created.
 */
export function decideImport(command: ImportReleases, state: PackageView): PackageEvent[] {
  const plan = planImport(command, state);
  const existed = state.sequence > 0;
  const events: PackageEvent[] = plan.publish.map((r) => ({
    type: 'ReleasePublished',
    data: {
      release: r.release,
      mediaType: r.mediaType,
      apprDigest: r.content.apprDigest,
      blobDigest: r.content.blobDigest,
      size: r.content.size,
      metadata: r.metadata,
      chart: r.content.chart,
      ...(r.content.provenanceDigest ? { provenanceDigest: r.content.provenanceDigest } : {}),
      ...(r.content.provenanceSize !== undefined ? { provenanceSize: r.content.provenanceSize } : {}),
      replaced: null,
      visibility: existed ? state.visibility : command.visibility,
      ...(r.createdAt !== undefined ? { createdAt: sourceCreatedAt(r, command.meta.issuedAt) } : {}),
    },
  }));
  const releases = new Set([...state.manifests.map((m) => m.release), ...plan.publish.map((r) => r.release)]);
  for (const channel of command.channels ?? []) {
    events.push(...channelEvents(findChannel(state, channel.name), channel, releases));
  }
  return events;
}

/**
 * A source's creation time, as an ISO instant in the form every other time has (so times compare
 * as text): refused when it is not one, or after the import (a future time would keep the
 * release from any "pushed within" retention for ever).
 */
function sourceCreatedAt(r: ImportedRelease, issuedAt: string): string {
  const time = Date.parse(r.createdAt!);
  if (!ISO_INSTANT.test(r.createdAt!) || Number.isNaN(time))
    throw new InvalidUsageError(`${r.release} (${r.mediaType}): createdAt is not an ISO 8601 instant`, {
      field: 'createdAt',
    });
  if (time > Date.parse(issuedAt))
    throw new InvalidUsageError(`${r.release} (${r.mediaType}): createdAt is after the import`, {
      field: 'createdAt',
    });
  return new Date(time).toISOString();
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function channelEvents(
  existing: ChannelRecord | undefined,
  wanted: { name: string; releases: string[]; current: string },
  releases: Set<string>,
): ReleaseAddedToChannel[] {
  const present = new Set(existing?.releases ?? []);
  const added = [...new Set(wanted.releases)].filter((r) => releases.has(r) && !present.has(r));
  if (added.length === 0) return [];
  const events: ReleaseAddedToChannel[] = added.map((release) => ({
    type: 'ReleaseAddedToChannel',
    data: { channel: wanted.name, release },
  }));
  // Adding makes a release current: the one asked for is added again last, if it is in the channel.
  const inChannel = present.has(wanted.current) || added.includes(wanted.current);
  if (inChannel && added[added.length - 1] !== wanted.current) {
    events.push({ type: 'ReleaseAddedToChannel', data: { channel: wanted.name, release: wanted.current } });
  }
  return events;
}

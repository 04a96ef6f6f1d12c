/**
 * The package aggregate as a decider: `decide` turns a command and the current state into the
 * events that should happen (or throws a typed rejection); `evolve` folds one recorded event
 * into the state. Both are pure.
 */
import {
  ChannelNotFoundError,
  OverwriteForbiddenError,
  PackageExistsError,
  PackageMetadataTooLargeError,
  PackageNotFoundError,
  QuotaExceededError,
  ReleaseNotFoundError,
  VisibilityConflictError,
  RetentionSupersededError,
} from '../errors';
import { sortReleasesDescending } from '../semver';
import type {
  PackageEvent,
  RecordedEvent,
  ReleasePublished,
  ReleaseRemovedFromChannel,
  ChannelDeleted,
} from './package.events';
import type {
  AddReleaseToChannel,
  DeleteChannel,
  DeleteRelease,
  PackageCommand,
  PushRelease,
  RemoveReleaseFromChannel,
} from './package.commands';
import { decideImport } from './package.import';
import { decideDeleteOciManifest, decideDeleteOciTag, decidePutOciManifest, evolveOci } from './package.oci';
import { manifestBytes, metadataBytes, storedBytesOf, storedMetadataBytesOf } from './package.summary';
import {
  ChannelRecord,
  OciDigests,
  PackageView,
  RECENT_COMMANDS_KEPT,
  ReleaseManifest,
  ReleaseTombstone,
  Visibility,
  findChannel,
  findManifest,
  manifestsOf,
  packageExists,
} from './package.view';
import type { HeadFields, PackageHead } from './package.head';
import { headRow, mediaTypesInIndex } from './package.head';
import type { PackageHeadState } from './package.head-state';

/** What a decision needs to know beyond the package's own state, measured by its writer. */
export interface DecisionContext {
  /**
   * Bytes the package's namespace holds in its OTHER packages: stored, plus reserved by their
   * pushes in flight. Required for a PushRelease that carries `namespaceQuotaBytes`.
   */
  namespaceBytesElsewhere?: number;
}

/**
 * What a command is decided on: the package's whole view, or (for the commands `decidesOnHead`
 * names) its head and the manifests of the (release, media type)s the command touches, so that
 * deciding costs the same in a package of one release and of 100,000.
 */
export type DecisionState = PackageView | PackageHeadState;

/** The commands decided on a head and the rows they touch (`touchedRows`); the others need the whole view. */
export function decidesOnHead(command: PackageCommand): boolean {
  return HEAD_COMMANDS.has(command.type);
}

const HEAD_COMMANDS = new Set<PackageCommand['type']>([
  'PushRelease',
  'DeleteRelease',
  'AddReleaseToChannel',
  'RemoveReleaseFromChannel',
  'DeleteChannel',
  'SetVisibility',
]);

/** The (release, media type)s whose manifests a head-decided command reads and its events change. */
export function touchedRows(command: PackageCommand): { release: string; mediaType: string }[] {
  return command.type === 'PushRelease' || command.type === 'DeleteRelease'
    ? [{ release: command.release, mediaType: command.mediaType }]
    : [];
}

export function decide(command: PackageCommand, state: DecisionState, context: DecisionContext = {}): PackageEvent[] {
  const facts = factsOf(state);
  switch (command.type) {
    case 'PushRelease':
      return decidePush(command, facts, context);
    case 'DeleteRelease':
      return decideDeleteRelease(command, facts);
    case 'AddReleaseToChannel':
      return decideAddToChannel(command, facts);
    case 'RemoveReleaseFromChannel':
      return decideRemoveFromChannel(command, facts);
    case 'DeleteChannel':
      return decideDeleteChannel(command, facts);
    case 'SetVisibility':
      // A package emptied by deletes keeps its visibility, so it can still be changed here.
      if (facts.fields.sequence === 0) throw new PackageNotFoundError(command.package);
      return facts.fields.visibility === command.visibility
        ? []
        : [{ type: 'PackageVisibilityChanged', data: { visibility: command.visibility } }];
    case 'ImportReleases':
      return decideImport(command, wholeView(state, command));
    case 'PutOciManifest': {
      const view = wholeView(state, command);
      return decidePutOciManifest(command, view, hadEvents(view), context.namespaceBytesElsewhere);
    }
    case 'DeleteOciManifest':
      return decideDeleteOciManifest(command, wholeView(state, command));
    case 'DeleteOciTag':
      return decideDeleteOciTag(command, wholeView(state, command));
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${(unknown as PackageCommand).type}`);
    }
  }
}

/**
 * What the rules of the head-decided commands read of a package, from a whole view or from a
 * head and the rows loaded with it: one place for each rule, whichever state it runs on.
 */
interface PackageFacts {
  fields: Pick<HeadFields, 'package' | 'namespace' | 'sequence' | 'visibility' | 'channels' | 'tombstones'>;
  /** The package has at least one release. */
  exists: boolean;
  /** The manifest of (release, media type), if the package holds one. */
  manifest(release: string, mediaType: string): ReleaseManifest | undefined;
  /** How many manifests (media types) the release has. */
  manifestCount(release: string): number;
  storedBytes(): number;
  storedMetadataBytes(): number;
}

function isHeadState(state: DecisionState): state is PackageHeadState {
  return 'head' in state;
}

function factsOf(state: DecisionState): PackageFacts {
  if (!isHeadState(state))
    return {
      fields: state,
      exists: packageExists(state),
      manifest: (release, mediaType) => findManifest(state, release, mediaType),
      manifestCount: (release) => manifestsOf(state, release).length,
      storedBytes: () => storedBytesOf(state),
      storedMetadataBytes: () => storedMetadataBytesOf(state),
    };
  const { head, rows } = state;
  return {
    fields: head,
    exists: head.releases.length > 0,
    manifest: (release, mediaType) => headRow(head, rows, release, mediaType),
    manifestCount: (release) => mediaTypesInIndex(head.releases, release).length,
    storedBytes: () => head.storedBytes,
    storedMetadataBytes: () => head.metadataBytes,
  };
}

function wholeView(state: DecisionState, command: PackageCommand): PackageView {
  if (isHeadState(state)) throw new Error(`${command.type} is decided on the package's whole view, not on its head`);
  return state;
}

/**
 * The refusals of a push that its own package's state decides: another visibility asked of an
 * existing package (409 visibility-conflict), an existing release without a permitted force (409
 * package-exists), other bytes under a deleted release where overwrites are forbidden (409
 * overwrite-forbidden), more metadata than the package may hold in all (413 payload-too-large).
 * Returns the manifest the push replaces, if any. The gateway runs the same
 * checks on the view it reads before it stores the blob, so such a push stores nothing; the
 * writer's decision stays the guarantee.
 */
export function assertPushFitsPackage(command: PushRelease, state: PackageView): ReleaseManifest | undefined {
  return assertPushFits(command, pushTargetOf(factsOf(state), command));
}

/** A push's target as the package's facts give it (a whole view, or a head and the rows the push touches). */
function pushTargetOf(facts: PackageFacts, command: PushRelease): PushTarget {
  return {
    sequence: facts.fields.sequence,
    visibility: facts.fields.visibility,
    tombstones: facts.fields.tombstones,
    existing: facts.manifest(command.release, command.mediaType),
    storedMetadataBytes: facts.storedMetadataBytes,
  };
}

/**
 * What `assertPushFitsPackage` needs of a package: its sequence, visibility and tombstones (all in
 * its head), the manifest of the push's release and media type, and the metadata all its manifests
 * hold (asked only when the push carries a bound).
 */
export interface PushTarget {
  sequence: number;
  visibility: Visibility;
  tombstones?: ReleaseTombstone[];
  existing: ReleaseManifest | undefined;
  storedMetadataBytes: () => number;
}

/** The same refusals on a package's head and the one manifest the push names (the gateway's early check). */
export function assertPushFitsHead(
  command: PushRelease,
  head: PackageHead,
  existing: ReleaseManifest | undefined,
): ReleaseManifest | undefined {
  return assertPushFits(command, {
    sequence: head.sequence,
    visibility: head.visibility,
    tombstones: head.tombstones,
    existing,
    storedMetadataBytes: () => head.metadataBytes,
  });
}

function assertPushFits(command: PushRelease, target: PushTarget): ReleaseManifest | undefined {
  if (target.sequence > 0 && command.visibilityRequested && command.visibility !== target.visibility) {
    throw new VisibilityConflictError(command.package, target.visibility, command.visibility);
  }
  const overwrites = command.allowOverwrites !== false;
  const existing = target.existing;
  if (existing && (!command.force || !overwrites)) {
    throw new PackageExistsError(command.package, command.release, command.mediaType);
  }
  const tombstone = existing
    ? undefined
    : target.tombstones?.find((t) => t.release === command.release && t.mediaType === command.mediaType);
  if (tombstone && !overwrites && tombstone.blobDigest !== command.content.blobDigest) {
    throw new OverwriteForbiddenError(command.package, command.release, command.mediaType, tombstone.blobDigest);
  }
  assertPackageMetadataWithinBound(command, target, existing);
  return existing;
}

/**
 * With a bound, the metadata of all the package's manifests after the push (the push's own
 * included; a forced push adds the difference to the manifest it replaces) may reach it and no
 * more. Like the quota, a push that adds no metadata is never refused, so a package left over a
 * lowered bound can still replace its releases with smaller ones.
 */
function assertPackageMetadataWithinBound(
  command: PushRelease,
  target: PushTarget,
  existing: ReleaseManifest | undefined,
): void {
  const bound = command.maxPackageMetadataBytes ?? 0;
  if (bound <= 0) return;
  const added = metadataBytes(command.metadata) - (existing ? metadataBytes(existing.metadata) : 0);
  if (added <= 0) return;
  if (target.storedMetadataBytes() + added > bound) throw new PackageMetadataTooLargeError(command.package, bound);
}

/**
 * A push never changes a package's visibility: the package keeps the one it was created with,
 * through any deletes, until SetVisibility (audited) changes it. So the event carries the
 * package's current visibility whenever the package had events; `evolve` adopts the event's
 * visibility only when the package has no manifests, which makes these events and the ones
 * recorded before this rule fold the same way (no new event version).
 */
function decidePush(command: PushRelease, facts: PackageFacts, context: DecisionContext): PackageEvent[] {
  const state = facts.fields;
  const existed = state.sequence > 0;
  const existing = assertPushFits(command, pushTargetOf(facts, command));
  assertWithinQuota(command, facts, existing, context);
  return [
    {
      type: 'ReleasePublished',
      data: {
        release: command.release,
        mediaType: command.mediaType,
        apprDigest: command.content.apprDigest,
        blobDigest: command.content.blobDigest,
        size: command.content.size,
        metadata: command.metadata,
        chart: command.content.chart,
        ...(command.content.provenanceDigest ? { provenanceDigest: command.content.provenanceDigest } : {}),
        ...(command.content.provenanceSize !== undefined ? { provenanceSize: command.content.provenanceSize } : {}),
        ...(command.content.oci ? { oci: command.content.oci } : {}),
        replaced: existing ? replacedDigests(existing) : null,
        visibility: existed ? state.visibility : command.visibility,
      },
    },
  ];
}

/**
 * With a quota, a push may grow the namespace up to it and no further: what the namespace holds
 * elsewhere, plus this package, plus what the push adds (a forced push adds the difference to
 * the manifest it replaces). A push that adds nothing is never refused, even over the quota.
 */
function assertWithinQuota(
  command: PushRelease,
  facts: PackageFacts,
  existing: ReleaseManifest | undefined,
  context: DecisionContext,
): void {
  const quota = command.namespaceQuotaBytes ?? 0;
  if (quota <= 0) return;
  if (context.namespaceBytesElsewhere === undefined) {
    throw new Error(`a push into ${command.package} carries a quota, but its writer did not measure the namespace`);
  }
  const added =
    manifestBytes({
      size: command.content.size,
      provenanceSize: command.content.provenanceSize,
      metadata: command.metadata,
    }) - (existing ? manifestBytes(existing) : 0);
  if (added <= 0) return;
  const used = context.namespaceBytesElsewhere + facts.storedBytes();
  if (used + added > quota) throw new QuotaExceededError(facts.fields.namespace, quota, used);
}

/** True once any event of the package was recorded, even if every release was deleted since. */
function hadEvents(state: PackageView): boolean {
  return state.sequence > 0;
}

/** What a forced push replaces: the digests whose blobs lose a reference. */
function replacedDigests(existing: ReleaseManifest): {
  apprDigest: string;
  blobDigest: string;
  provenanceDigest?: string;
  oci?: OciDigests;
} {
  return {
    apprDigest: existing.apprDigest,
    blobDigest: existing.blobDigest,
    ...(existing.provenanceDigest ? { provenanceDigest: existing.provenanceDigest } : {}),
    ...(existing.oci ? { oci: existing.oci } : {}),
  };
}

/**
 * Deleting the last manifest of a release also takes the release out of every channel, with
 * the same fallback as an explicit removal, so no channel ever points at a missing release.
 */
function decideDeleteRelease(command: DeleteRelease, facts: PackageFacts): PackageEvent[] {
  const state = facts.fields;
  const manifest = facts.manifest(command.release, command.mediaType);
  if (!manifest) throw new PackageNotFoundError(command.package, command.release, command.mediaType);
  if (command.guard) assertRetentionStillApplies(command, manifest, state);
  const events: PackageEvent[] = [
    {
      type: 'ReleaseDeleted',
      data: {
        release: manifest.release,
        mediaType: manifest.mediaType,
        apprDigest: manifest.apprDigest,
        blobDigest: manifest.blobDigest,
        ...(manifest.provenanceDigest ? { provenanceDigest: manifest.provenanceDigest } : {}),
        ...(manifest.oci ? { oci: manifest.oci } : {}),
        ...(command.reason ? { reason: command.reason } : {}),
      },
    },
  ];
  const lastManifestOfRelease = facts.manifestCount(command.release) === 1;
  if (lastManifestOfRelease) {
    for (const channel of state.channels.filter((c) => c.releases.includes(command.release))) {
      events.push(...removalEvents(channel, command.release));
    }
  }
  return events;
}

/** A retention delete applies only to the state its run planned against (see RetentionGuard). */
function assertRetentionStillApplies(
  command: DeleteRelease,
  manifest: ReleaseManifest,
  state: Pick<PackageView, 'channels'>,
): void {
  const superseded = (why: string) =>
    new RetentionSupersededError(command.package, command.release, command.mediaType, why);
  if (manifest.blobDigest !== command.guard!.blobDigest) throw superseded('pushed again since the run planned it');
  if (state.channels.some((c) => c.current === command.release)) throw superseded("now a channel's current release");
}

function decideAddToChannel(command: AddReleaseToChannel, facts: PackageFacts): PackageEvent[] {
  if (!facts.exists) throw new PackageNotFoundError(command.package);
  if (facts.manifestCount(command.release) === 0) {
    throw new ReleaseNotFoundError(command.package, command.release);
  }
  return [{ type: 'ReleaseAddedToChannel', data: { channel: command.channel, release: command.release } }];
}

function decideRemoveFromChannel(command: RemoveReleaseFromChannel, facts: PackageFacts): PackageEvent[] {
  if (!facts.exists) throw new PackageNotFoundError(command.package);
  const channel = findChannel(facts.fields, command.channel);
  if (!channel) throw new ChannelNotFoundError(command.package, command.channel);
  if (!channel.releases.includes(command.release)) {
    throw new PackageNotFoundError(command.package, command.release);
  }
  return removalEvents(channel, command.release);
}

function decideDeleteChannel(command: DeleteChannel, facts: PackageFacts): PackageEvent[] {
  if (!facts.exists) throw new PackageNotFoundError(command.package);
  if (!findChannel(facts.fields, command.channel)) throw new ChannelNotFoundError(command.package, command.channel);
  return [{ type: 'ChannelDeleted', data: { channel: command.channel } }];
}

/** After a removal the current release falls back to the highest remaining one; none left, the channel goes. */
function removalEvents(channel: ChannelRecord, release: string): (ReleaseRemovedFromChannel | ChannelDeleted)[] {
  const remaining = channel.releases.filter((r) => r !== release);
  const current =
    remaining.length === 0
      ? null
      : channel.current !== release
        ? channel.current
        : (sortReleasesDescending(remaining)[0] ?? null);
  const removed: ReleaseRemovedFromChannel = {
    type: 'ReleaseRemovedFromChannel',
    data: { channel: channel.name, release, current },
  };
  return current === null ? [removed, { type: 'ChannelDeleted', data: { channel: channel.name } }] : [removed];
}

export function evolve(state: PackageView, event: RecordedEvent): PackageView {
  return stamped(applyEvent(state, event as RecordedEvent<PackageEvent>), state, event);
}

/** What every event does to a package's state besides its own change: its sequence, time and command. */
export function stamped<T extends HeadFields>(next: T, state: HeadFields, event: RecordedEvent): T {
  return {
    ...next,
    sequence: event.sequence,
    updatedAt: event.occurredAt,
    recentCommands: rememberCommand(state.recentCommands, event.causationId),
  };
}

/**
 * `events.reduce(evolve, state)`, to the same object (keys in the same order, so stored views
 * compare equal as JSON), in time proportional to the package plus the events: a run of
 * publications is folded at once (one pass over the manifests), where `evolve` copies the
 * manifests once per event. Bulk imports into a package of many releases need it.
 */
export function evolveAll(state: PackageView, events: readonly RecordedEvent[]): PackageView {
  let view = state;
  for (let i = 0; i < events.length;) {
    let j = i;
    while (j < events.length && events[j]!.type === 'ReleasePublished') j++;
    if (j - i > 1) {
      view = publishAll(view, events.slice(i, j) as RecordedEvent<ReleasePublished>[]);
      i = j;
    } else {
      view = evolve(view, events[i]!);
      i++;
    }
  }
  return view;
}

/** The manifest a ReleasePublished event adds (evolve, publishAll and evolveHead alike). */
export function manifestPublishedBy(event: RecordedEvent<ReleasePublished>): ReleaseManifest {
  const d = event.data;
  return {
    release: d.release,
    mediaType: d.mediaType,
    apprDigest: d.apprDigest,
    blobDigest: d.blobDigest,
    size: d.size,
    metadata: d.metadata,
    chart: d.chart,
    ...(d.provenanceDigest ? { provenanceDigest: d.provenanceDigest } : {}),
    ...(d.provenanceSize !== undefined ? { provenanceSize: d.provenanceSize } : {}),
    ...(d.oci ? { oci: d.oci } : {}),
    createdAt: d.createdAt ?? event.occurredAt,
  };
}

/** The fold of a run of ReleasePublished events: what `evolve` does for each, in one pass. */
function publishAll(state: PackageView, events: readonly RecordedEvent<ReleasePublished>[]): PackageView {
  const keyOf = (release: string, mediaType: string) => `${mediaType}\u0000${release}`;
  const slots: (ReleaseManifest | null)[] = [...state.manifests];
  const at = new Map<string, number>();
  slots.forEach((m, i) => at.set(keyOf(m!.release, m!.mediaType), i));
  let live = slots.length;
  let visibility = state.visibility;
  let createdAt = state.createdAt;
  let recentCommands = state.recentCommands;
  const published = new Set<string>();
  for (const event of events) {
    const d = event.data;
    const key = keyOf(d.release, d.mediaType);
    if (live === 0) {
      visibility = d.visibility;
      createdAt = event.occurredAt;
    }
    const replaced = at.get(key);
    if (replaced !== undefined) {
      slots[replaced] = null;
      live--;
    }
    at.set(key, slots.length);
    slots.push(manifestPublishedBy(event));
    live++;
    published.add(key);
    recentCommands = rememberCommand(recentCommands, event.causationId);
  }
  // As withoutTombstone does it: the field moves last, or goes when none is left.
  let base: PackageView = state;
  if (state.tombstones) {
    const { tombstones, ...rest } = state;
    const left = tombstones.filter((t) => !published.has(keyOf(t.release, t.mediaType)));
    base = left.length > 0 ? { ...rest, tombstones: left } : rest;
  }
  const last = events[events.length - 1]!;
  return {
    ...base,
    visibility,
    createdAt,
    manifests: slots.filter((m): m is ReleaseManifest => m !== null),
    sequence: last.sequence,
    updatedAt: last.occurredAt,
    recentCommands,
  };
}

function applyEvent(state: PackageView, event: RecordedEvent<PackageEvent>): PackageView {
  const e = { type: event.type, data: event.data } as PackageEvent;
  switch (e.type) {
    case 'ReleasePublished': {
      const { release, mediaType } = e.data;
      const others = state.manifests.filter((m) => !(m.release === release && m.mediaType === mediaType));
      // Before the visibility rule of decidePush, a push into an emptied package could carry
      // another visibility; replaying such a log gives the visibility it gave then.
      const isNewPackage = !packageExists(state);
      return {
        ...withoutTombstone(state, release, mediaType),
        visibility: isNewPackage ? e.data.visibility : state.visibility,
        createdAt: isNewPackage ? event.occurredAt : state.createdAt,
        manifests: [...others, manifestPublishedBy(event as RecordedEvent<ReleasePublished>)],
      };
    }
    case 'ReleaseDeleted': {
      const { release, mediaType, blobDigest } = e.data;
      const manifests = state.manifests.filter((m) => !(m.release === release && m.mediaType === mediaType));
      const tombstones: ReleaseTombstone[] = [
        ...(withoutTombstone(state, release, mediaType).tombstones ?? []),
        { release, mediaType, blobDigest },
      ];
      return { ...state, manifests, tombstones, createdAt: manifests.length === 0 ? null : state.createdAt };
    }
    case 'ReleaseAddedToChannel':
    case 'ReleaseRemovedFromChannel':
    case 'ChannelDeleted':
    case 'PackageVisibilityChanged':
      return applyHeadEvent(state, e);
    case 'OciManifestPushed':
    case 'OciManifestDeleted':
    case 'OciTagged':
    case 'OciUntagged':
      return evolveOci(state, e, event.occurredAt);
    default: {
      const unknown: never = e;
      return unknown;
    }
  }
}

/** The events that change a package's head fields alone (channels, visibility). */
export type HeadOnlyEvent = Extract<
  PackageEvent,
  { type: 'ReleaseAddedToChannel' | 'ReleaseRemovedFromChannel' | 'ChannelDeleted' | 'PackageVisibilityChanged' }
>;

/** Folds an event that changes no manifest: the same on a view and on a head's fields. */
export function applyHeadEvent<T extends Pick<PackageView, 'channels' | 'visibility'>>(state: T, e: HeadOnlyEvent): T {
  switch (e.type) {
    case 'ReleaseAddedToChannel': {
      const { channel, release } = e.data;
      const existing = findChannel(state, channel);
      const updated: ChannelRecord = existing
        ? {
            ...existing,
            current: release,
            releases: existing.releases.includes(release) ? existing.releases : [...existing.releases, release],
          }
        : { name: channel, current: release, releases: [release] };
      return { ...state, channels: [...state.channels.filter((c) => c.name !== channel), updated] };
    }
    case 'ReleaseRemovedFromChannel': {
      const { channel, release, current } = e.data;
      return {
        ...state,
        channels: state.channels.map((c) =>
          c.name === channel
            ? { ...c, current: current ?? c.current, releases: c.releases.filter((r) => r !== release) }
            : c,
        ),
      };
    }
    case 'ChannelDeleted':
      return { ...state, channels: state.channels.filter((c) => c.name !== e.data.channel) };
    case 'PackageVisibilityChanged':
      return { ...state, visibility: e.data.visibility };
    default: {
      const unknown: never = e;
      return unknown;
    }
  }
}

/** The state without the tombstone of (release, media type); the field goes when none is left. */
export function withoutTombstone<T extends { tombstones?: ReleaseTombstone[] }>(
  state: T,
  release: string,
  mediaType: string,
): T {
  if (!state.tombstones) return state;
  const { tombstones, ...rest } = state;
  const left = tombstones.filter((t) => !(t.release === release && t.mediaType === mediaType));
  return (left.length > 0 ? { ...rest, tombstones: left } : rest) as T;
}

function rememberCommand(recent: string[], commandId: string): string[] {
  if (recent[recent.length - 1] === commandId) return recent;
  const next = [...recent, commandId];
  return next.length > RECENT_COMMANDS_KEPT ? next.slice(next.length - RECENT_COMMANDS_KEPT) : next;
}

export function wasApplied(state: Pick<PackageView, 'recentCommands'>, commandId: string): boolean {
  return state.recentCommands.includes(commandId);
}

/**
 * The package aggregate as a decider: `decide` turns a command and the current state into the
 * events that should happen (or throws a typed rejection); `evolve` folds one recorded event
 * into the state. Both are pure.
 */
import {
  ChannelNotFoundError,
  PackageExistsError,
  PackageNotFoundError,
  ReleaseNotFoundError,
} from '../errors';
import { sortReleasesDescending } from '../semver';
import type { PackageEvent, RecordedEvent, ReleaseRemovedFromChannel, ChannelDeleted } from './package.events';
import type {
  AddReleaseToChannel,
  DeleteChannel,
  DeleteRelease,
  PackageCommand,
  PushRelease,
  RemoveReleaseFromChannel,
} from './package.commands';
import {
  ChannelRecord,
  PackageView,
  RECENT_COMMANDS_KEPT,
  ReleaseManifest,
  findChannel,
  findManifest,
  manifestsOf,
  packageExists,
} from './package.view';

export function decide(command: PackageCommand, state: PackageView): PackageEvent[] {
  switch (command.type) {
    case 'PushRelease':
      return decidePush(command, state);
    case 'DeleteRelease':
      return decideDeleteRelease(command, state);
    case 'AddReleaseToChannel':
      return decideAddToChannel(command, state);
    case 'RemoveReleaseFromChannel':
      return decideRemoveFromChannel(command, state);
    case 'DeleteChannel':
      return decideDeleteChannel(command, state);
    case 'SetVisibility':
      if (!packageExists(state)) throw new PackageNotFoundError(command.package);
      return state.visibility === command.visibility ? [] : [{ type: 'PackageVisibilityChanged', data: { visibility: command.visibility } }];
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${(unknown as PackageCommand).type}`);
    }
  }
}

function decidePush(command: PushRelease, state: PackageView): PackageEvent[] {
  const existing = findManifest(state, command.release, command.mediaType);
  if (existing && !command.force) {
    throw new PackageExistsError(command.package, command.release, command.mediaType);
  }
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
        replaced: existing ? replacedDigests(existing) : null,
        visibility: command.visibility,
      },
    },
  ];
}

/** What a forced push replaces: the digests whose blobs lose a reference. */
function replacedDigests(existing: ReleaseManifest): { apprDigest: string; blobDigest: string; provenanceDigest?: string } {
  return {
    apprDigest: existing.apprDigest,
    blobDigest: existing.blobDigest,
    ...(existing.provenanceDigest ? { provenanceDigest: existing.provenanceDigest } : {}),
  };
}

/**
 * Deleting the last manifest of a release also takes the release out of every channel, with
 * the same fallback as an explicit removal, so no channel ever points at a missing release.
 */
function decideDeleteRelease(command: DeleteRelease, state: PackageView): PackageEvent[] {
  const manifest = findManifest(state, command.release, command.mediaType);
  if (!manifest) throw new PackageNotFoundError(command.package, command.release, command.mediaType);
  const events: PackageEvent[] = [
    {
      type: 'ReleaseDeleted',
      data: {
        release: manifest.release,
        mediaType: manifest.mediaType,
        apprDigest: manifest.apprDigest,
        blobDigest: manifest.blobDigest,
        ...(manifest.provenanceDigest ? { provenanceDigest: manifest.provenanceDigest } : {}),
      },
    },
  ];
  const lastManifestOfRelease = manifestsOf(state, command.release).length === 1;
  if (lastManifestOfRelease) {
    for (const channel of state.channels.filter((c) => c.releases.includes(command.release))) {
      events.push(...removalEvents(channel, command.release));
    }
  }
  return events;
}

function decideAddToChannel(command: AddReleaseToChannel, state: PackageView): PackageEvent[] {
  if (!packageExists(state)) throw new PackageNotFoundError(command.package);
  if (manifestsOf(state, command.release).length === 0) {
    throw new ReleaseNotFoundError(command.package, command.release);
  }
  return [{ type: 'ReleaseAddedToChannel', data: { channel: command.channel, release: command.release } }];
}

function decideRemoveFromChannel(command: RemoveReleaseFromChannel, state: PackageView): PackageEvent[] {
  if (!packageExists(state)) throw new PackageNotFoundError(command.package);
  const channel = findChannel(state, command.channel);
  if (!channel) throw new ChannelNotFoundError(command.package, command.channel);
  if (!channel.releases.includes(command.release)) {
    throw new PackageNotFoundError(command.package, command.release);
  }
  return removalEvents(channel, command.release);
}

function decideDeleteChannel(command: DeleteChannel, state: PackageView): PackageEvent[] {
  if (!packageExists(state)) throw new PackageNotFoundError(command.package);
  if (!findChannel(state, command.channel)) throw new ChannelNotFoundError(command.package, command.channel);
  return [{ type: 'ChannelDeleted', data: { channel: command.channel } }];
}

/** After a removal the current release falls back to the highest remaining one; none left, the channel goes. */
function removalEvents(channel: ChannelRecord, release: string): (ReleaseRemovedFromChannel | ChannelDeleted)[] {
  const remaining = channel.releases.filter((r) => r !== release);
  const current = remaining.length === 0 ? null : channel.current !== release ? channel.current : sortReleasesDescending(remaining)[0];
  const removed: ReleaseRemovedFromChannel = {
    type: 'ReleaseRemovedFromChannel',
    data: { channel: channel.name, release, current },
  };
  return current === null ? [removed, { type: 'ChannelDeleted', data: { channel: channel.name } }] : [removed];
}

export function evolve(state: PackageView, event: RecordedEvent): PackageView {
  const next = applyEvent(state, event as RecordedEvent<PackageEvent>);
  return {
    ...next,
    sequence: event.sequence,
    updatedAt: event.occurredAt,
    recentCommands: rememberCommand(state.recentCommands, event.causationId),
  };
}

function applyEvent(state: PackageView, event: RecordedEvent<PackageEvent>): PackageView {
  const e = { type: event.type, data: event.data } as PackageEvent;
  switch (e.type) {
    case 'ReleasePublished': {
      const { release, mediaType } = e.data;
      const others = state.manifests.filter((m) => !(m.release === release && m.mediaType === mediaType));
      const isNewPackage = !packageExists(state);
      return {
        ...state,
        visibility: isNewPackage ? e.data.visibility : state.visibility,
        createdAt: isNewPackage ? event.occurredAt : state.createdAt,
        manifests: [
          ...others,
          {
            release,
            mediaType,
            apprDigest: e.data.apprDigest,
            blobDigest: e.data.blobDigest,
            size: e.data.size,
            metadata: e.data.metadata,
            chart: e.data.chart,
            ...(e.data.provenanceDigest ? { provenanceDigest: e.data.provenanceDigest } : {}),
            createdAt: event.occurredAt,
          },
        ],
      };
    }
    case 'ReleaseDeleted': {
      const manifests = state.manifests.filter((m) => !(m.release === e.data.release && m.mediaType === e.data.mediaType));
      return { ...state, manifests, createdAt: manifests.length === 0 ? null : state.createdAt };
    }
    case 'ReleaseAddedToChannel': {
      const { channel, release } = e.data;
      const existing = findChannel(state, channel);
      const updated: ChannelRecord = existing
        ? { ...existing, current: release, releases: existing.releases.includes(release) ? existing.releases : [...existing.releases, release] }
        : { name: channel, current: release, releases: [release] };
      return { ...state, channels: [...state.channels.filter((c) => c.name !== channel), updated] };
    }
    case 'ReleaseRemovedFromChannel': {
      const { channel, release, current } = e.data;
      return {
        ...state,
        channels: state.channels.map((c) =>
          c.name === channel ? { ...c, current: current ?? c.current, releases: c.releases.filter((r) => r !== release) } : c,
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

function rememberCommand(recent: string[], commandId: string): string[] {
  if (recent[recent.length - 1] === commandId) return recent;
  const next = [...recent, commandId];
  return next.length > RECENT_COMMANDS_KEPT ? next.slice(next.length - RECENT_COMMANDS_KEPT) : next;
}

export function wasApplied(state: PackageView, commandId: string): boolean {
  return state.recentCommands.includes(commandId);
}

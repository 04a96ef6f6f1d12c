/**
 * Given/when/then for the package decider (STYLE habit 7), plus factories for its commands and
 * events. `given` folds events through `evolve` with sequences 1..n, a deterministic clock and
 * one command id per event; `when` decides against a deep-frozen state, so a decider that
 * mutates its input fails the test. Every factory returns fresh objects; override any field.
 */
import { createHash } from 'node:crypto';
import { deepFreeze } from '@wharf/contracts';
import {
  AddReleaseToChannel,
  ChannelDeleted,
  ChartMetadata,
  CommandMeta,
  DeleteChannel,
  DeleteRelease,
  ImportReleases,
  ImportedRelease,
  PackageCommand,
  PackageEvent,
  PackageView,
  PushRelease,
  RecordedEvent,
  ReleaseAddedToChannel,
  ReleaseContent,
  ReleaseDeleted,
  ReleasePublished,
  ReleaseRemovedFromChannel,
  RemoveReleaseFromChannel,
  WharfError,
  decide,
  emptyPackageView,
  evolve,
} from '@wharf/domain';

export const TEST_PACKAGE = 'ns1/app1';

const EPOCH_MS = Date.parse('2026-01-01T00:00:00.000Z');

/** The instant `given` records for the event at `sequence`: one second per event after a fixed epoch. */
export function clockAt(sequence: number): string {
  return new Date(EPOCH_MS + sequence * 1000).toISOString();
}

/** The command id `given` records as the cause of the event at `sequence`. */
export function givenCommandId(sequence: number): string {
  return `given-command-${sequence}`;
}

/** A deterministic lowercase hex sha256, distinct per seed. */
export function testDigest(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

function apprDigestOf(release: string, mediaType: string): string {
  return testDigest(`appr:${release}:${mediaType}`);
}

function blobDigestOf(release: string, mediaType: string): string {
  return testDigest(`blob:${release}:${mediaType}`);
}

// ---------------------------------------------------------------------------------------------
// Command factories
// ---------------------------------------------------------------------------------------------

export function commandMeta(overrides: Partial<CommandMeta> = {}): CommandMeta {
  return { commandId: 'command-1', correlationId: 'correlation-1', issuedAt: '2026-02-01T12:00:00.000Z', ...overrides };
}

export function chartMetadata(overrides: Partial<ChartMetadata> = {}): ChartMetadata {
  return {
    apiVersion: 'v2',
    name: 'app1',
    version: '1.0.0',
    description: 'An example chart',
    keywords: ['example'],
    ...overrides,
  };
}

type CommandOverrides<C extends PackageCommand> = Partial<Omit<C, 'type' | 'meta'>> & { meta?: Partial<CommandMeta> };

/**
 * Defaults match `published()`: pushing `pushRelease(x)` decides `published(x)` (same release,
 * media type and digests) as long as the overrides agree.
 */
export function pushRelease(
  overrides: Partial<Omit<PushRelease, 'type' | 'meta' | 'content'>> & {
    meta?: Partial<CommandMeta>;
    content?: Partial<ReleaseContent>;
  } = {},
): PushRelease {
  const { meta, content, ...rest } = overrides;
  const release = rest.release ?? '1.0.0';
  const mediaType = rest.mediaType ?? 'helm';
  return {
    type: 'PushRelease',
    package: TEST_PACKAGE,
    release,
    mediaType,
    metadata: null,
    force: false,
    visibility: 'public',
    ...rest,
    content: {
      apprDigest: apprDigestOf(release, mediaType),
      blobDigest: blobDigestOf(release, mediaType),
      size: 137,
      chart: null,
      ...content,
    },
    meta: commandMeta(meta),
  };
}

export function deleteRelease(overrides: CommandOverrides<DeleteRelease> = {}): DeleteRelease {
  const { meta, ...rest } = overrides;
  return {
    type: 'DeleteRelease',
    package: TEST_PACKAGE,
    release: '1.0.0',
    mediaType: 'helm',
    ...rest,
    meta: commandMeta(meta),
  };
}

export function addReleaseToChannel(overrides: CommandOverrides<AddReleaseToChannel> = {}): AddReleaseToChannel {
  const { meta, ...rest } = overrides;
  return {
    type: 'AddReleaseToChannel',
    package: TEST_PACKAGE,
    channel: 'stable',
    release: '1.0.0',
    ...rest,
    meta: commandMeta(meta),
  };
}

export function removeReleaseFromChannel(
  overrides: CommandOverrides<RemoveReleaseFromChannel> = {},
): RemoveReleaseFromChannel {
  const { meta, ...rest } = overrides;
  return {
    type: 'RemoveReleaseFromChannel',
    package: TEST_PACKAGE,
    channel: 'stable',
    release: '1.0.0',
    ...rest,
    meta: commandMeta(meta),
  };
}

export function deleteChannel(overrides: CommandOverrides<DeleteChannel> = {}): DeleteChannel {
  const { meta, ...rest } = overrides;
  return { type: 'DeleteChannel', package: TEST_PACKAGE, channel: 'stable', ...rest, meta: commandMeta(meta) };
}

/** One release of an import, with the digests `published()` gives the same release and media type. */
export function importedRelease(
  overrides: Partial<Omit<ImportedRelease, 'content'>> & { content?: Partial<ReleaseContent> } = {},
): ImportedRelease {
  const { content, ...rest } = overrides;
  const release = rest.release ?? '1.0.0';
  const mediaType = rest.mediaType ?? 'helm';
  return {
    release,
    mediaType,
    metadata: null,
    ...rest,
    content: {
      apprDigest: apprDigestOf(release, mediaType),
      blobDigest: blobDigestOf(release, mediaType),
      size: 137,
      chart: null,
      ...content,
    },
  };
}

/** An import of `releases` (e.g. `['1.0.0', '1.1.0']`, or full ImportedRelease objects). */
export function importReleases(
  releases: (string | ImportedRelease)[],
  overrides: Partial<Omit<ImportReleases, 'type' | 'meta' | 'releases'>> & { meta?: Partial<CommandMeta> } = {},
): ImportReleases {
  const { meta, ...rest } = overrides;
  return {
    type: 'ImportReleases',
    package: TEST_PACKAGE,
    releases: releases.map((r) => (typeof r === 'string' ? importedRelease({ release: r }) : r)),
    visibility: 'public',
    ...rest,
    meta: commandMeta(meta),
  };
}

// ---------------------------------------------------------------------------------------------
// Event factories
// ---------------------------------------------------------------------------------------------

export function published(overrides: Partial<ReleasePublished['data']> = {}): ReleasePublished {
  const release = overrides.release ?? '1.0.0';
  const mediaType = overrides.mediaType ?? 'helm';
  return {
    type: 'ReleasePublished',
    data: {
      release,
      mediaType,
      apprDigest: apprDigestOf(release, mediaType),
      blobDigest: blobDigestOf(release, mediaType),
      size: 137,
      metadata: null,
      chart: null,
      replaced: null,
      visibility: 'public',
      ...overrides,
    },
  };
}

/** Defaults to the digests `published()` gives the same release and media type. */
export function deleted(overrides: Partial<ReleaseDeleted['data']> = {}): ReleaseDeleted {
  const release = overrides.release ?? '1.0.0';
  const mediaType = overrides.mediaType ?? 'helm';
  return {
    type: 'ReleaseDeleted',
    data: {
      release,
      mediaType,
      apprDigest: apprDigestOf(release, mediaType),
      blobDigest: blobDigestOf(release, mediaType),
      ...overrides,
    },
  };
}

export function addedToChannel(overrides: Partial<ReleaseAddedToChannel['data']> = {}): ReleaseAddedToChannel {
  return { type: 'ReleaseAddedToChannel', data: { channel: 'stable', release: '1.0.0', ...overrides } };
}

export function removedFromChannel(
  overrides: Partial<ReleaseRemovedFromChannel['data']> = {},
): ReleaseRemovedFromChannel {
  return {
    type: 'ReleaseRemovedFromChannel',
    data: { channel: 'stable', release: '1.0.0', current: null, ...overrides },
  };
}

export function channelDeleted(overrides: Partial<ChannelDeleted['data']> = {}): ChannelDeleted {
  return { type: 'ChannelDeleted', data: { channel: 'stable', ...overrides } };
}

// ---------------------------------------------------------------------------------------------
// Folding and given/when/then
// ---------------------------------------------------------------------------------------------

/** `event` as the log records it at `sequence` under the `given` clock and command ids. */
export function recorded<E extends PackageEvent>(
  event: E,
  sequence: number,
  overrides: Partial<Omit<RecordedEvent<E>, 'type' | 'data'>> = {},
): RecordedEvent<E> {
  return {
    type: event.type,
    data: event.data,
    package: TEST_PACKAGE,
    sequence,
    occurredAt: clockAt(sequence),
    causationId: givenCommandId(sequence),
    ...overrides,
  } as RecordedEvent<E>;
}

/** The package after `events`, recorded with sequences 1..n. */
export function foldEvents(pkg: string, events: readonly PackageEvent[]): PackageView {
  return events.reduce(
    (state, event, i) => evolve(state, recorded(event, i + 1, { package: pkg })),
    emptyPackageView(pkg),
  );
}

type ErrorClass = abstract new (...args: never[]) => WharfError;

export interface DeciderWhen {
  /** The decided events, exactly and in order. */
  then(...expected: PackageEvent[]): void;
  /** decide throws an instance of `errorClass` whose details contain `details`. */
  thenThrows(errorClass: ErrorClass, details?: Record<string, unknown>): void;
}

export interface DeciderGiven {
  /** The folded state the command will be decided against (frozen). */
  readonly state: PackageView;
  when(command: PackageCommand): DeciderWhen;
}

export function deciderSpec(pkg: string = TEST_PACKAGE) {
  return {
    given(...events: PackageEvent[]): DeciderGiven {
      const state = deepFreeze(foldEvents(pkg, events));
      return {
        state,
        when(command: PackageCommand): DeciderWhen {
          if (command.package !== pkg) throw new Error(`spec is for ${pkg}, command is for ${command.package}`);
          return {
            then(...expected: PackageEvent[]) {
              expect(decide(command, state)).toEqual(expected);
            },
            thenThrows(errorClass: ErrorClass, details?: Record<string, unknown>) {
              let decided: PackageEvent[] | undefined;
              try {
                decided = decide(command, state);
              } catch (error) {
                expect(error).toBeInstanceOf(errorClass);
                if (details) expect((error as WharfError).details).toMatchObject(details);
                return;
              }
              throw new Error(`expected ${errorClass.name}, but decide returned ${JSON.stringify(decided)}`);
            },
          };
        },
      };
    },
  };
}

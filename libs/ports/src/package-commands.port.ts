import type { ChannelRecord, ImportOutcome, PackageCommand, Visibility } from '@wharf/domain';

export const PACKAGE_COMMANDS = Symbol('PackageCommands');

/**
 * What a command's caller needs to answer it, and no more: its size does not grow with the
 * package (in the distributed profile it is a Kafka message, whose size is bounded). The package
 * itself is read from the metadata store, which already holds the command's effect.
 */
export interface CommandResult {
  /** Sequences of the events the command appended; empty for a redelivered command. */
  sequences: number[];
  /** The package's visibility after the command (for a redelivered command, as it is now). */
  visibility: Visibility;
  /**
   * For a command that names a channel (AddReleaseToChannel, RemoveReleaseFromChannel,
   * DeleteChannel): that channel after the command, null when it does not exist (any more).
   * Absent for other commands.
   */
  channel?: ChannelRecord | null;
  /**
   * For ImportReleases: how many of its releases were published, how many the package already
   * held with the same digests, and those it holds with other digests (at most the command's own
   * releases, so bounded by the command's size). A redelivered command reports every release as
   * skipped or conflicting. Absent for other commands.
   */
  import?: ImportOutcome;
}

/**
 * How the gateway reaches a package's single writer: an in-process call in the embedded
 * profile, request-reply over the log's transport in the distributed one. Resolves only after
 * the events are durable and applied to the metadata projection (read-your-writes: a read of
 * the package that starts after it resolved sees the command's effect). Rejects with the
 * decider's typed error when the command is refused.
 */
export interface PackageCommands {
  execute(command: PackageCommand): Promise<CommandResult>;
}

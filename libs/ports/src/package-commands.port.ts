import type { PackageCommand, PackageView } from '@wharf/domain';

export const PACKAGE_COMMANDS = Symbol('PackageCommands');

export interface CommandResult {
  /** The package after the command; for a redelivered command, the package as it is now. */
  view: PackageView;
  /** Sequences of the events the command appended; empty for a redelivered command. */
  sequences: number[];
}

/**
 * How the gateway reaches a package's single writer: an in-process call in the embedded
 * profile, request-reply over the log's transport in the distributed one. Resolves only after
 * the events are durable and applied to the metadata projection (read-your-writes). Rejects
 * with the decider's typed error when the command is refused.
 */
export interface PackageCommands {
  execute(command: PackageCommand): Promise<CommandResult>;
}

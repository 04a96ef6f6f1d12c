/**
 * The single writer of each package: decides commands against the package's current view,
 * appends the resulting events to the log, applies them to the metadata store, and only then
 * answers. One command per package at a time in this process; across processes the log's
 * sequence check turns a race into a retry.
 */
import { Inject, Injectable } from '@nestjs/common';
import { ConcurrencyConflictError, PackageCommand, decide, emptyPackageView, wasApplied } from '@wharf/domain';
import { CommandResult, EVENT_LOG, EventLog, METADATA_STORE, MetadataStore, PackageCommands } from '@wharf/ports';
import { envelopesFor } from './event-envelopes';
import { KeyedMutex } from './keyed-mutex';
import { MetadataProjector } from './metadata-projector';
import { PackageProjection } from './package-projection';

const MAX_ATTEMPTS = 5;

@Injectable()
export class PackageWriter implements PackageCommands {
  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    private readonly projection: PackageProjection,
    private readonly projector: MetadataProjector,
    private readonly locks: KeyedMutex,
  ) {}

  /**
   * One locked attempt at a time; between attempts the package's lock is released, because the
   * projector needs it to apply the events that put the log ahead of the store.
   */
  async execute(command: PackageCommand): Promise<CommandResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.locks.run(command.package, () => this.attempt(command));
      } catch (error) {
        if (!(error instanceof ConcurrencyConflictError) || attempt >= MAX_ATTEMPTS) throw error;
        await this.projector.caughtUp(5_000);
      }
    }
  }

  private async attempt(command: PackageCommand): Promise<CommandResult> {
    const view = (await this.store.get(command.package)) ?? emptyPackageView(command.package);
    if (wasApplied(view, command.meta.commandId)) return { view, sequences: [] };
    const events = decide(command, view);
    if (events.length === 0) return { view, sequences: [] };
    const envelopes = envelopesFor(command.package, view.sequence, events, command.meta);
    await this.log.append(command.package, view.sequence, envelopes);
    const applied = await this.projection.apply(command.package, envelopes);
    return { view: applied, sequences: envelopes.map((e) => e.sequence) };
  }
}

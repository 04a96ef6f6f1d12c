/**
 * The single writer of each package: decides commands against the package's current view,
 * appends the resulting events to the log, applies them to the metadata store, and only then
 * answers. One batch per package at a time in this process: commands for a package that arrive
 * while it is busy wait, and are then decided together, one after the other against the view
 * each leaves, and appended and applied at once (one log write for many pushes into one
 * package). Each command still gets its own answer: its refusal, or the view after its events.
 * Across processes the log's sequence check turns a race into a retry.
 */
import { Inject, Injectable } from '@nestjs/common';
import { ConcurrencyConflictError, PackageCommand, PackageView, decide, emptyPackageView, evolve, wasApplied } from '@wharf/domain';
import type { EventEnvelope } from '@wharf/contracts';
import { CommandResult, EVENT_LOG, EventLog, METADATA_STORE, MetadataStore, PackageCommands } from '@wharf/ports';
import { envelopesFor } from './event-envelopes';
import { KeyedMutex } from './keyed-mutex';
import { MetadataProjector } from './metadata-projector';
import { PackageProjection } from './package-projection';

const MAX_ATTEMPTS = 5;

interface Waiting {
  command: PackageCommand;
  resolve: (result: CommandResult) => void;
  reject: (error: unknown) => void;
}

@Injectable()
export class PackageWriter implements PackageCommands {
  /** Per package, the commands waiting for the package's next batch. */
  private readonly waiting = new Map<string, Waiting[]>();

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
        return await this.submit(command);
      } catch (error) {
        if (!(error instanceof ConcurrencyConflictError) || attempt >= MAX_ATTEMPTS) throw error;
        await this.projector.caughtUp(5_000);
      }
    }
  }

  /** Joins the package's waiting batch, or starts one that runs when the package's lock is free. */
  private submit(command: PackageCommand): Promise<CommandResult> {
    const pkg = command.package;
    return new Promise<CommandResult>((resolve, reject) => {
      const batch = this.waiting.get(pkg);
      if (batch) {
        batch.push({ command, resolve, reject });
        return;
      }
      this.waiting.set(pkg, [{ command, resolve, reject }]);
      void this.locks.run(pkg, async () => {
        const taken = this.waiting.get(pkg) ?? [];
        this.waiting.delete(pkg);
        await this.attempt(pkg, taken);
      });
    });
  }

  /** Settles every command of the batch; a failure to append or apply fails them all. */
  private async attempt(pkg: string, batch: Waiting[]): Promise<void> {
    const answers: (() => void)[] = [];
    try {
      const current = await this.store.get(pkg);
      const stored = current ?? emptyPackageView(pkg);
      let view: PackageView = stored;
      const envelopes: EventEnvelope[] = [];
      for (const { command, resolve, reject } of batch) {
        const before = view;
        let events;
        try {
          events = wasApplied(before, command.meta.commandId) ? [] : decide(command, before);
        } catch (refusal) {
          answers.push(() => reject(refusal));
          continue;
        }
        const decided = envelopesFor(pkg, before.sequence, events, command.meta);
        const after = decided.reduce(evolve, before);
        envelopes.push(...decided);
        view = after;
        answers.push(() => resolve({ view: after, sequences: decided.map((e) => e.sequence) }));
      }
      if (envelopes.length > 0) {
        await this.log.append(pkg, stored.sequence, envelopes);
        await this.projection.apply(pkg, envelopes, current);
      }
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    for (const answer of answers) answer();
  }
}

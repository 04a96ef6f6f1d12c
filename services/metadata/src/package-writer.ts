/**
 * The single writer of each package: decides commands against the package's current view,
 * appends the resulting events to the log, applies them to the metadata store, and only then
 * answers. One batch per package at a time in this process: commands for a package that arrive
 * while it is busy wait, and are then decided together, one after the other against the view
 * each leaves, and appended and applied at once (one log write for many pushes into one
 * package). Each command still gets its own answer: its refusal, or what the caller needs of the
 * package after its events (a CommandResult, whose size does not grow with the package's).
 * Across processes the log's sequence check turns a race into a retry.
 *
 * A batch with a push that carries a namespace quota is decided under its namespace's
 * reservation (NamespaceReservations), so concurrent pushes into different packages of one
 * namespace cannot all fit into the same free space.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  ConcurrencyConflictError,
  DecisionContext,
  PackageCommand,
  PackageView,
  decide,
  emptyPackageView,
  evolveAll,
  findChannel,
  importOutcome,
  planImport,
  storedBytesOf,
  wasApplied,
} from '@wharf/domain';
import type { EventEnvelope } from '@wharf/contracts';
import { CommandResult, EVENT_LOG, EventLog, METADATA_STORE, MetadataStore, PackageCommands } from '@wharf/ports';
import { envelopesFor } from './event-envelopes';
import { KeyedMutex } from './keyed-mutex';
import { MetadataProjector } from './metadata-projector';
import { NamespaceReservations } from './namespace-reservations';
import { PackageProjection } from './package-projection';

const MAX_ATTEMPTS = 5;

interface Waiting {
  command: PackageCommand;
  resolve: (result: CommandResult) => void;
  reject: (error: unknown) => void;
}

/** A batch decided: the events to append and, once they are applied, each command's answer. */
interface DecidedBatch {
  envelopes: EventEnvelope[];
  answers: (() => void)[];
  view: PackageView;
}

@Injectable()
export class PackageWriter implements PackageCommands {
  /** Per package, the commands waiting for the package's next batch. */
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly reservations: NamespaceReservations;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    private readonly projection: PackageProjection,
    private readonly projector: MetadataProjector,
    private readonly locks: KeyedMutex,
  ) {
    this.reservations = new NamespaceReservations(store);
  }

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
    const quotaCarried = batch.some(
      ({ command }) =>
        (command.type === 'PushRelease' || command.type === 'PutOciManifest') && (command.namespaceQuotaBytes ?? 0) > 0,
    );
    let decided: DecidedBatch;
    try {
      const current = await this.store.get(pkg);
      const stored = current ?? emptyPackageView(pkg);
      decided = quotaCarried
        ? await this.reservations.reserve(pkg, (namespaceBytesElsewhere) => {
            const outcome = this.decideBatch(pkg, batch, stored, { namespaceBytesElsewhere });
            return { decided: outcome, heldBytes: Math.max(storedBytesOf(outcome.view), storedBytesOf(stored)) };
          })
        : this.decideBatch(pkg, batch, stored, {});
      try {
        if (decided.envelopes.length > 0) {
          await this.log.append(pkg, stored.sequence, decided.envelopes);
          await this.projection.apply(pkg, decided.envelopes, current);
        }
      } finally {
        if (quotaCarried) this.reservations.release(pkg);
      }
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    for (const answer of decided.answers) answer();
  }

  /**
   * Decides each command on the view the previous ones leave. A refused command, or one whose
   * events break their contract, gets its own error and leaves the view as it was.
   */
  private decideBatch(pkg: string, batch: Waiting[], stored: PackageView, context: DecisionContext): DecidedBatch {
    let view = stored;
    const envelopes: EventEnvelope[] = [];
    const answers: (() => void)[] = [];
    for (const { command, resolve, reject } of batch) {
      const before = view;
      let events: EventEnvelope[];
      try {
        events = wasApplied(before, command.meta.commandId)
          ? []
          : envelopesFor(pkg, before.sequence, decide(command, before, context), command.meta);
      } catch (refusal) {
        answers.push(() => reject(refusal));
        continue;
      }
      const after = evolveAll(before, events);
      envelopes.push(...events);
      view = after;
      answers.push(() => resolve(resultOf(command, before, after, events)));
    }
    return { envelopes, answers, view };
  }
}

/** The answer to `command`, from the views before and after its events. */
function resultOf(
  command: PackageCommand,
  before: PackageView,
  after: PackageView,
  events: EventEnvelope[],
): CommandResult {
  const result: CommandResult = { sequences: events.map((e) => e.sequence), visibility: after.visibility };
  if ('channel' in command) result.channel = findChannel(after, command.channel) ?? null;
  // A redelivered command has no events: its releases are all there now, reported as such.
  if (command.type === 'ImportReleases')
    result.import = importOutcome(planImport(command, events.length > 0 ? before : after));
  return result;
}

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
  DecisionState,
  PackageCommand,
  PackageHeadState,
  PackageView,
  RecordedEvent,
  decide,
  decidesOnHead,
  emptyPackageView,
  evolveAll,
  evolveHeadAll,
  findChannel,
  importOutcome,
  manifestRowKey,
  mediaTypesInIndex,
  packageHead,
  planImport,
  storedBytesOf,
  touchedRows,
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
interface DecidedBatch<S> {
  envelopes: EventEnvelope[];
  answers: (() => void)[];
  state: S;
}

/** How a batch is decided on one kind of state: a whole view, or a head and the rows the batch touches. */
interface Fold<S extends DecisionState> {
  evolve(state: S, events: readonly RecordedEvent[]): S;
  fields(state: S): Pick<PackageView, 'sequence' | 'visibility' | 'channels' | 'recentCommands'>;
  storedBytes(state: S): number;
}

const VIEW_FOLD: Fold<PackageView> = {
  evolve: evolveAll,
  fields: (view) => view,
  storedBytes: storedBytesOf,
};

const HEAD_FOLD: Fold<PackageHeadState> = {
  evolve: evolveHeadAll,
  fields: (state) => state.head,
  storedBytes: (state) => state.head.storedBytes,
};

/** Attempts at reading a head and its rows as of one sequence before the writer reads the whole view instead. */
const HEAD_READS = 3;

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

  /**
   * Settles every command of the batch; a failure to append or apply fails them all. A batch of
   * commands decided on heads (pushes, deletes, channels, visibility: `decidesOnHead`) reads the
   * package's head and the rows its commands touch, never the whole view, so it costs the same
   * in a package of any size; any other batch reads the whole view.
   */
  private async attempt(pkg: string, batch: Waiting[]): Promise<void> {
    let answers: (() => void)[];
    try {
      const loaded = batch.every(({ command }) => decidesOnHead(command)) ? await this.loadHead(pkg, batch) : null;
      if (loaded)
        answers = await this.run(pkg, batch, HEAD_FOLD, loaded, (envelopes, after) =>
          this.projection.applyHead(pkg, envelopes, loaded, after),
        );
      else {
        const current = await this.store.get(pkg);
        answers = await this.run(pkg, batch, VIEW_FOLD, current ?? emptyPackageView(pkg), async (envelopes) => {
          await this.projection.applyAppended(pkg, envelopes, current);
        });
      }
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    for (const answer of answers) answer();
  }

  /**
   * The package's head and the manifests of the rows the batch touches, all as of one sequence
   * (a row read with another head than the first means a write came in between: read again).
   * Null after HEAD_READS such attempts: the caller reads the whole view.
   */
  private async loadHead(pkg: string, batch: Waiting[]): Promise<PackageHeadState | null> {
    const keys = new Map<string, { release: string; mediaType: string }>();
    for (const { command } of batch)
      for (const row of touchedRows(command)) keys.set(manifestRowKey(row.release, row.mediaType), row);
    for (let attempt = 0; attempt < HEAD_READS; attempt++) {
      const [first, ...others] = [...keys.values()];
      // One read for a batch of new releases: the first key's read brings the head, and a row the
      // head does not hold is not read.
      const read = first ? await this.store.getRelease(pkg, first.release, first.mediaType) : null;
      const head = first ? read?.head : await this.store.getHead(pkg);
      if (!head) return { head: packageHead(emptyPackageView(pkg)), rows: [] };
      const rows = read?.manifest ? [read.manifest] : [];
      let consistent = true;
      for (const row of others) {
        if (!mediaTypesInIndex(head.releases, row.release).includes(row.mediaType)) continue;
        const more = await this.store.getRelease(pkg, row.release, row.mediaType);
        if (more?.head.sequence !== head.sequence) {
          consistent = false;
          break;
        }
        if (more.manifest) rows.push(more.manifest);
      }
      if (consistent) return { head, rows };
    }
    return null;
  }

  /**
   * Decides the batch on `stored` (under the namespace's reservation when a push carries a
   * quota), appends its events at `stored`'s sequence and applies them (`apply`, given the state
   * after them); the reservation lasts until they are applied. Returns each command's answer.
   */
  private async run<S extends DecisionState>(
    pkg: string,
    batch: Waiting[],
    fold: Fold<S>,
    stored: S,
    apply: (envelopes: EventEnvelope[], after: S) => Promise<void>,
  ): Promise<(() => void)[]> {
    const quotaCarried = batch.some(
      ({ command }) =>
        (command.type === 'PushRelease' || command.type === 'PutOciManifest') && (command.namespaceQuotaBytes ?? 0) > 0,
    );
    const decided = quotaCarried
      ? await this.reservations.reserve(pkg, (namespaceBytesElsewhere) => {
          const outcome = this.decideBatch(pkg, batch, fold, stored, { namespaceBytesElsewhere });
          return {
            decided: outcome,
            heldBytes: Math.max(fold.storedBytes(outcome.state), fold.storedBytes(stored)),
          };
        })
      : this.decideBatch(pkg, batch, fold, stored, {});
    try {
      if (decided.envelopes.length > 0) {
        await this.log.append(pkg, fold.fields(stored).sequence, decided.envelopes);
        await apply(decided.envelopes, decided.state);
      }
    } finally {
      if (quotaCarried) this.reservations.release(pkg);
    }
    return decided.answers;
  }

  /**
   * Decides each command on the state the previous ones leave. A refused command, or one whose
   * events break their contract, gets its own error and leaves the state as it was.
   */
  private decideBatch<S extends DecisionState>(
    pkg: string,
    batch: Waiting[],
    fold: Fold<S>,
    stored: S,
    context: DecisionContext,
  ): DecidedBatch<S> {
    let state = stored;
    const envelopes: EventEnvelope[] = [];
    const answers: (() => void)[] = [];
    for (const { command, resolve, reject } of batch) {
      const before = state;
      let events: EventEnvelope[];
      try {
        events = wasApplied(fold.fields(before), command.meta.commandId)
          ? []
          : envelopesFor(pkg, fold.fields(before).sequence, decide(command, before, context), command.meta);
      } catch (refusal) {
        answers.push(() => reject(refusal));
        continue;
      }
      const after = fold.evolve(before, events);
      envelopes.push(...events);
      state = after;
      answers.push(() => resolve(resultOf(command, before, after, events, fold)));
    }
    return { envelopes, answers, state };
  }
}

/** The answer to `command`, from the states before and after its events. */
function resultOf<S extends DecisionState>(
  command: PackageCommand,
  before: S,
  after: S,
  events: EventEnvelope[],
  fold: Fold<S>,
): CommandResult {
  const fields = fold.fields(after);
  const result: CommandResult = { sequences: events.map((e) => e.sequence), visibility: fields.visibility };
  if ('channel' in command) result.channel = findChannel(fields, command.channel) ?? null;
  // A redelivered command has no events: its releases are all there now, reported as such.
  if (command.type === 'ImportReleases')
    result.import = importOutcome(planImport(command, (events.length > 0 ? before : after) as PackageView));
  return result;
}

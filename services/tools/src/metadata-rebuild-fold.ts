/**
 * The metadata replay's fold BEFORE the switch, on MongoDB: the fresh generation is read by no
 * one and written by the replay alone, so it needs no compare-and-set per package and event.
 * Each batch is folded in memory per package with the domain's `evolveAll` (as
 * PackageProjection does), and the batch's puts go to the store in bulk (`putRebuilt`: the
 * documents `put` would store, in a few commands per batch instead of about nine per package).
 * After the switch the replay folds the tail with the projector's own path (PackageProjection).
 *
 * Packages whose events span batches: the fold remembers, per package it stored, the sequence
 * it stored (a number each), and carries the newest views in memory (bounded by their
 * manifests, CARRIED_MANIFESTS); a package stored but no longer carried is read back from the
 * fresh generation, and so is every package of a batch whose write failed (it may have been
 * stored in part). A package the fold never stored starts empty, without a read: the rebuild's
 * generation starts empty.
 */
import { LruBySize } from '@wharf/collections';
import type { MongoMetadataStore, RebuiltPut } from '@wharf/adapters/metadata-mongo';
import type { StoredEvent } from '@wharf/contracts';
import { PackageView, emptyPackageView, evolveAll, manifestChanges } from '@wharf/domain';
import { RejectedEvent, UnappliableEventsError, parkedBehind } from '@wharf/ports';

/** Manifests of the views carried from batch to batch (a view weighs its manifests, plus one). */
export const CARRIED_MANIFESTS = 50_000;

/** Reads in flight at once for packages not carried. */
const READS_AT_ONCE = 16;

/** What the fold needs of the fresh store: its reads, and the bulk write of a rebuild's generation. */
export type RebuiltMetadataStore = Pick<MongoMetadataStore, 'get' | 'putRebuilt'>;

export class MetadataRebuildFold {
  /** Per package, the sequence this fold has stored in the fresh generation. */
  private readonly stored = new Map<string, number>();
  /** Packages a failed write may have stored in part: read before they are folded again. */
  private readonly unsure = new Set<string>();
  private readonly carried: LruBySize<string, PackageView>;

  /** `carriedManifests`: the bound on the views carried between batches (0: every package stored is read back). */
  constructor(carriedManifests = CARRIED_MANIFESTS) {
    this.carried = new LruBySize({ maxEntrySize: carriedManifests, maxTotalSize: carriedManifests });
  }

  /** Folds a batch into the fresh store: events at or below a package's stored sequence are skipped, a gap is set aside. */
  async apply(store: RebuiltMetadataStore, events: readonly StoredEvent[]): Promise<void> {
    const byPackage = new Map<string, StoredEvent[]>();
    for (const event of events) {
      const list = byPackage.get(event.package);
      if (list) list.push(event);
      else byPackage.set(event.package, [event]);
    }
    const packages = [...byPackage.keys()];
    const befores = await this.before(store, packages);
    const puts: RebuiltPut[] = [];
    const rejected: RejectedEvent[] = [];
    packages.forEach((pkg, i) => {
      const { view: before, stored } = befores[i]!;
      const fresh = byPackage
        .get(pkg)!
        .filter((e) => e.sequence > before.sequence)
        .sort((a, b) => a.sequence - b.sequence);
      if (fresh.length === 0) return;
      if (fresh[0]!.sequence !== before.sequence + 1) {
        rejected.push(...parkedBehind(before.sequence, fresh));
        return;
      }
      const after = evolveAll(before, fresh);
      puts.push({
        view: after,
        expectedSequence: stored ? before.sequence : 0,
        changes: manifestChanges(after, fresh),
      });
    });
    try {
      await store.putRebuilt(puts);
    } catch (error) {
      for (const { view } of puts) {
        this.unsure.add(view.package);
        this.carried.delete(view.package);
      }
      throw error;
    }
    for (const { view } of puts) {
      this.stored.set(view.package, view.sequence);
      this.unsure.delete(view.package);
      this.carried.set(view.package, view, view.manifests.length + 1);
    }
    if (rejected.length > 0) throw new UnappliableEventsError(rejected);
  }

  /** Each package's view before the batch, and whether it is stored (else it is new to the generation). */
  private async before(
    store: RebuiltMetadataStore,
    packages: readonly string[],
  ): Promise<{ view: PackageView; stored: boolean }[]> {
    const befores: { view: PackageView; stored: boolean }[] = [];
    const reads: number[] = [];
    packages.forEach((pkg, i) => {
      const sequence = this.stored.get(pkg);
      const carried = this.carried.get(pkg);
      if (!this.unsure.has(pkg) && sequence === undefined) befores[i] = { view: emptyPackageView(pkg), stored: false };
      else if (!this.unsure.has(pkg) && carried?.sequence === sequence) befores[i] = { view: carried!, stored: true };
      else reads.push(i);
    });
    for (let at = 0; at < reads.length; at += READS_AT_ONCE)
      await Promise.all(
        reads.slice(at, at + READS_AT_ONCE).map(async (i) => {
          const view = await store.get(packages[i]!);
          befores[i] = view ? { view, stored: true } : { view: emptyPackageView(packages[i]!), stored: false };
        }),
      );
    return befores;
  }
}

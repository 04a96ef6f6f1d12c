/**
 * The namespace side of the single writer, for storage quotas. A package's writer is single,
 * but a quota is shared by every package of its namespace: twelve pushes into twelve packages
 * were each decided against the same usage and all got in. So the batches that carry a quota
 * are decided one namespace at a time in this process, against the bytes the namespace's other
 * packages hold: for a package whose batch is decided and not yet applied, what it will hold
 * (reserved here until applied), for any other, what the metadata store says. Only the decision
 * is serialised; appends and applies of different packages still run side by side.
 *
 * Within one process this is exact, and so it is across metadata-service replicas: commands are
 * keyed by namespace (commandKeyOf in commands-kafka), so one writer at a time decides all of a
 * namespace's pushes. Were two processes ever to decide one namespace's pushes (gateways of two
 * keyings side by side, a writer whose session expired while it was still running), each would
 * see the other's pushes only once applied, and the namespace could overshoot by what the other
 * admitted in that instant (see docs/security.md).
 */
import { splitPackageName } from '@wharf/domain';
import type { MetadataStore } from '@wharf/ports';
import { KeyedMutex } from './keyed-mutex';

/** Summaries read per page when measuring a namespace. */
const PAGE = 1000;

export class NamespaceReservations {
  private readonly locks = new KeyedMutex();
  /**
   * Per namespace, per package with a batch in flight: the bytes the package holds once the
   * batch is applied, or before it if that is more (the batch may still fail).
   */
  private readonly inFlight = new Map<string, Map<string, number>>();

  constructor(private readonly store: MetadataStore) {}

  /**
   * Under the namespace's lock: measures the bytes the namespace holds outside `pkg`, lets
   * `decideBatch` decide with them, and holds the bytes it says the package will hold
   * (`heldBytes`) until `release(pkg)`. At most one reservation per package: the package's own
   * lock keeps its batches one at a time.
   */
  async reserve<T>(
    pkg: string,
    decideBatch: (bytesElsewhere: number) => { decided: T; heldBytes: number },
  ): Promise<T> {
    const namespace = namespaceOf(pkg);
    return this.locks.run(namespace, async () => {
      const { decided, heldBytes } = decideBatch(await this.bytesOutside(namespace, pkg));
      const held = this.inFlight.get(namespace) ?? new Map<string, number>();
      held.set(pkg, heldBytes);
      this.inFlight.set(namespace, held);
      return decided;
    });
  }

  /** Ends the package's reservation; call it once its batch is applied to the store (or failed). */
  release(pkg: string): void {
    const namespace = namespaceOf(pkg);
    const held = this.inFlight.get(namespace);
    if (held?.delete(pkg) && held.size === 0) this.inFlight.delete(namespace);
  }

  /**
   * Reservations first, then the store: a package released in between was applied before its
   * release, so the store read after it shows it; one still reserved counts by its reservation
   * only, whatever the store shows of it by then.
   */
  private async bytesOutside(namespace: string, pkg: string): Promise<number> {
    const held = new Map(this.inFlight.get(namespace) ?? []);
    held.delete(pkg);
    let bytes = 0;
    for (const reserved of held.values()) bytes += reserved;
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.store.list({
        namespace,
        visibleNamespaces: 'all',
        includeOciOnly: true,
        limit: PAGE,
        offset,
      });
      for (const summary of page)
        if (summary.package !== pkg && !held.has(summary.package)) bytes += summary.storedBytes ?? 0;
      if (page.length < PAGE) return bytes;
    }
  }
}

function namespaceOf(pkg: string): string {
  return splitPackageName(pkg).namespace;
}

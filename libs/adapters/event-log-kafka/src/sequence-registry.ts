/**
 * Per process, per (brokers, events topic): the package mutexes and the last-sequence cache,
 * shared by every handle so that the check is exact within the process. Dropped when the last
 * handle closes.
 */
export class SequenceRegistry {
  private static readonly registries = new Map<string, SequenceRegistry>();

  static acquire(key: string): SequenceRegistry {
    let registry = SequenceRegistry.registries.get(key);
    if (!registry) SequenceRegistry.registries.set(key, (registry = new SequenceRegistry(key)));
    registry.users++;
    return registry;
  }

  static release(registry: SequenceRegistry): void {
    if (--registry.users === 0 && SequenceRegistry.registries.get(registry.key) === registry) SequenceRegistry.registries.delete(registry.key);
  }

  private users = 0;
  private readonly locks = new Map<string, Promise<void>>();
  /** Last sequence per package, by partition: lower bounds from our appends, exact once warm. */
  private readonly known = new Map<number, Map<string, number>>();
  /** Partitions whose `known` map covers everything written before the process last read them. */
  private readonly warm = new Set<number>();
  private readonly warming = new Map<number, Promise<void>>();
  /** Bumped by forget(): a read that started before a forget() does not make the partition warm. */
  private generation = 0;

  private constructor(private readonly key: string) {}

  /** Runs `fn` when no other call for `pkg` in this process is running. */
  async exclusive<T>(pkg: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(pkg) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.locks.set(pkg, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(pkg) === tail) this.locks.delete(pkg);
    }
  }

  async lastSequence(partition: number, pkg: string, read: () => Promise<Map<string, number>>): Promise<number> {
    while (!this.warm.has(partition)) {
      let warming = this.warming.get(partition);
      if (!warming) {
        const generation = this.generation;
        warming = read()
          .then((found) => {
            for (const [p, sequence] of found) this.record(partition, p, sequence);
            if (generation === this.generation) this.warm.add(partition);
          })
          .finally(() => this.warming.delete(partition));
        this.warming.set(partition, warming);
      }
      await warming;
    }
    return this.known.get(partition)?.get(pkg) ?? 0;
  }

  record(partition: number, pkg: string, sequence: number): void {
    let packages = this.known.get(partition);
    if (!packages) this.known.set(partition, (packages = new Map()));
    if (sequence > (packages.get(pkg) ?? 0)) packages.set(pkg, sequence);
  }

  /** The partition must be read again before the next check (e.g. after a send of unknown outcome). */
  forget(partition: number): void {
    this.generation++;
    this.warm.delete(partition);
  }
}

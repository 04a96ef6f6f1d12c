/** What a read of one partition found: each package's last sequence, and the offset it read up to. */
export interface PartitionSequences {
  sequences: Map<string, number>;
  end: number;
}

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
    if (--registry.users === 0 && SequenceRegistry.registries.get(registry.key) === registry)
      SequenceRegistry.registries.delete(registry.key);
  }

  private users = 0;
  private readonly locks = new Map<string, Promise<void>>();
  /** Last sequence per package, by partition: lower bounds from our appends, exact once warm. */
  private readonly known = new Map<number, Map<string, number>>();
  /** Partitions whose `known` map covers everything written before the process last read them. */
  private readonly warm = new Set<number>();
  private readonly warming = new Map<number, Promise<void>>();
  /** Per partition, an offset the log had reached (a read's high watermark, the end of our append). */
  private readonly floors = new Map<number, number>();
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

  async lastSequence(partition: number, pkg: string, read: () => Promise<PartitionSequences>): Promise<number> {
    while (!this.warm.has(partition)) {
      let warming = this.warming.get(partition);
      if (!warming) {
        const generation = this.generation;
        warming = read()
          .then(({ sequences, end }) => {
            this.reached(partition, end);
            for (const [p, sequence] of sequences) this.record(partition, p, sequence, end);
            if (generation === this.generation) this.warm.add(partition);
          })
          .finally(() => this.warming.delete(partition));
        this.warming.set(partition, warming);
      }
      await warming;
    }
    return this.known.get(partition)?.get(pkg) ?? 0;
  }

  /** `pkg`'s stream in `partition` reaches `sequence`, and the partition reaches offset `end`. */
  record(partition: number, pkg: string, sequence: number, end: number): void {
    this.reached(partition, end);
    let packages = this.known.get(partition);
    if (!packages) this.known.set(partition, (packages = new Map()));
    if (sequence > (packages.get(pkg) ?? 0)) packages.set(pkg, sequence);
  }

  /**
   * An offset the partition had reached before now (0 when nothing is known): a batch sent from
   * now on is written at or above it, so an acknowledgement below it is not of that batch.
   */
  offsetFloor(partition: number): number {
    return this.floors.get(partition) ?? 0;
  }

  private reached(partition: number, end: number): void {
    this.floors.set(partition, Math.max(end, this.floors.get(partition) ?? 0));
  }

  /** The partition must be read again before the next check (e.g. after a send of unknown outcome). */
  forget(partition: number): void {
    this.generation++;
    this.warm.delete(partition);
  }
}

/**
 * Rebuilds of projections on MongoDB and FerretDB v1 (ProjectionRebuild): generations of a
 * projection's collections and a pointer to the live one.
 *
 * A rebuild fills the next generation's collections (`<prefix><collection>_g<n>`; generation 0
 * is the unsuffixed set) and the switch is one write of the pointer document
 * (`<prefix>projection_generations`, `_id` = the projection's name). Not `renameCollection` with
 * `dropTarget`, the usual MongoDB idiom: FerretDB v1.24 refuses `dropTarget: true` as not
 * implemented (FerretDB issue #2565), and a drop followed by a rename would leave readers an
 * empty projection in between. Every store reads the pointer at most `cacheMs` old, so after a
 * switch other processes use the previous generation for up to that long (`switchOver()` says
 * so); the previous generation is dropped by the next rebuild, never while a stale reader might
 * still write to it.
 */
import type { Collection, Db } from 'mongodb';
import type { ProjectionRebuild } from '@wharf/ports';
import { literalPattern } from './literal-pattern';

/** The pointers to the live generations: one document per projection in this collection. */
export const GENERATIONS_COLLECTION = 'projection_generations';

interface GenerationDocument {
  _id: string;
  generation: number;
}

/** The collection names of a generation (0: unsuffixed), keyed by their unprefixed base names. */
export function generationNames<B extends string>(
  prefix: string,
  bases: readonly B[],
  generation: number,
): Record<B, string> {
  const suffix = generation === 0 ? '' : `_g${generation}`;
  return Object.fromEntries(bases.map((base) => [base, `${prefix}${base}${suffix}`])) as Record<B, string>;
}

/** One projection's generations: its collections' base names and the pointer to the live one. */
export class MongoGenerations<B extends string> {
  private readonly pointers: Collection<GenerationDocument>;
  private cached: { generation: number; readAt: number } | null = null;

  /**
   * `projection`: the pointer document's `_id`. `bases`: the projection's collections without
   * prefix or suffix (no base may be another's prefix followed by `_g<n>`). `cacheMs`: how long
   * a pointer read is trusted.
   */
  constructor(
    private readonly db: Db,
    private readonly prefix: string,
    private readonly projection: string,
    private readonly bases: readonly B[],
    readonly cacheMs: number,
  ) {
    this.pointers = db.collection<GenerationDocument>(`${prefix}${GENERATIONS_COLLECTION}`);
  }

  names(generation: number): Record<B, string> {
    return generationNames(this.prefix, this.bases, generation);
  }

  /** The live generation, read from the pointer now (0 when there is none). */
  async read(): Promise<number> {
    return (await this.pointers.findOne({ _id: this.projection }))?.generation ?? 0;
  }

  /** The live generation, as read at most `cacheMs` ago. */
  async live(): Promise<number> {
    if (this.cached && Date.now() - this.cached.readAt < this.cacheMs) return this.cached.generation;
    const generation = await this.read();
    this.cached = { generation, readAt: Date.now() };
    return generation;
  }

  /**
   * Starts a rebuild over the next generation: drops the collections of every generation but
   * the live one (the previous generation, kept since the last switch for stale readers, and
   * whatever an unfinished rebuild left), then `open(next)` builds the fresh store over the
   * next generation's (empty) collections. The switch moves the pointer, refusing if another
   * switch moved it since; `abort` drops the next generation's collections.
   */
  async rebuild<S>(open: (generation: number) => Promise<S>): Promise<ProjectionRebuild<S>> {
    const current = await this.read();
    const next = current + 1;
    const keep = new Set<string>(Object.values(this.names(current)));
    const ours = new RegExp(`^${literalPattern(this.prefix)}(${this.bases.map(literalPattern).join('|')})(_g[0-9]+)?$`);
    for (const { name } of await this.db.listCollections({}, { nameOnly: true }).toArray()) {
      if (ours.test(name) && !keep.has(name)) await this.db.dropCollection(name);
    }
    const store = await open(next);
    let state: 'open' | 'switched' | 'aborted' = 'open';
    return {
      store,
      switchOver: async () => {
        if (state !== 'open') throw new Error(`this rebuild was already ${state}`);
        if ((await this.read()) !== current)
          throw new Error(`the live generation of ${this.projection} moved from ${current} during the rebuild`);
        await this.pointers.updateOne({ _id: this.projection }, { $set: { generation: next } }, { upsert: true });
        state = 'switched';
        this.cached = null;
        return this.cacheMs;
      },
      abort: async () => {
        if (state !== 'open') return;
        state = 'aborted';
        for (const name of Object.values<string>(this.names(next)))
          await this.db.dropCollection(name).catch(() => undefined);
      },
    };
  }
}

/**
 * An in-memory MetadataStore for UNIT tests only. It keeps the port's contract strictly: views
 * are stored and returned as copies (no aliasing between caller and store), `put` is a
 * compare-and-set on the stored sequence, and a view never moves backwards. It stores whole views:
 * `put`'s manifest changes are not needed to hold the port's answers.
 */
import {
  ManifestChanges,
  PackageHead,
  PackageSummary,
  PackageView,
  findManifest,
  packageExists,
  packageHead,
  summarizePackage,
  ociRepositoryExists,
  emptyPackageView,
  viewAfterChanges,
} from '@wharf/domain';
import { releaseInView } from '@wharf/ports';
import type { HeadAndManifest, MetadataStore, PackageListFilter, ProjectionRebuild, ReleaseOfHead } from '@wharf/ports';

type PutHook = (view: PackageView, expectedSequence: number) => Promise<void> | void;

export class InMemoryMetadataStore implements MetadataStore {
  private readonly views = new Map<string, string>();
  private readonly beforePutHooks: PutHook[] = [];
  /** Every put, including refused ones. */
  readonly putAttempts: { pkg: string; sequence: number; expectedSequence: number; stored: boolean }[] = [];
  /** The package of every read (get, getHead, getRelease), in order. */
  readonly reads: string[] = [];
  /** The package of every read of a whole view (get), in order. */
  readonly wholeViewReads: string[] = [];

  constructor(private readonly journal?: string[]) {}

  /** Runs `hook` once, just before the next put compares sequences (e.g. another projection racing in). */
  beforeNextPut(hook: PutHook): void {
    this.beforePutHooks.push(hook);
  }

  /** Stores `view` unconditionally: test setup only. */
  seed(view: PackageView): void {
    this.views.set(view.package, JSON.stringify(view));
  }

  async get(pkg: string): Promise<PackageView | null> {
    this.reads.push(pkg);
    this.wholeViewReads.push(pkg);
    return this.stored(pkg);
  }

  async getHead(pkg: string): Promise<PackageHead | null> {
    this.reads.push(pkg);
    const view = this.stored(pkg);
    return view && packageHead(view);
  }

  async getRelease(pkg: string, release: ReleaseOfHead, mediaType: string): Promise<HeadAndManifest | null> {
    this.reads.push(pkg);
    const view = this.stored(pkg);
    if (!view) return null;
    const head = packageHead(view);
    const name = releaseInView(release, view);
    return { head, manifest: (name !== null && findManifest(view, name, mediaType)) || null };
  }

  private stored(pkg: string): PackageView | null {
    const text = this.views.get(pkg);
    return text === undefined ? null : (JSON.parse(text) as PackageView);
  }

  async put(view: PackageView, expectedSequence: number): Promise<boolean> {
    const hook = this.beforePutHooks.shift();
    if (hook) await hook(view, expectedSequence);
    if (view.sequence <= expectedSequence) {
      throw new Error(`put of ${view.package} at sequence ${view.sequence} does not move past ${expectedSequence}`);
    }
    const current = this.stored(view.package)?.sequence ?? 0;
    const stored = current === expectedSequence;
    this.putAttempts.push({ pkg: view.package, sequence: view.sequence, expectedSequence, stored });
    if (!stored) return false;
    this.views.set(view.package, JSON.stringify(view));
    this.journal?.push(`put ${view.package} ${view.sequence}`);
    return true;
  }

  /** As `put` of the stored view with the changes (the store keeps whole views). */
  async putHead(head: PackageHead, expectedSequence: number, changes: ManifestChanges): Promise<boolean> {
    const before = this.stored(head.package) ?? emptyPackageView(head.package);
    return this.put(viewAfterChanges(before, head, changes), expectedSequence);
  }

  async list(filter: PackageListFilter): Promise<PackageSummary[]> {
    const views = [...this.views.values()]
      .map((text) => JSON.parse(text) as PackageView)
      .filter((v) => packageExists(v) || (filter.includeOciOnly === true && ociRepositoryExists(v)));
    const visible = filter.visibleNamespaces;
    return views
      .filter((v) => filter.namespace === undefined || v.namespace === filter.namespace)
      .filter((v) => filter.mediaType === undefined || v.manifests.some((m) => m.mediaType === filter.mediaType))
      .filter((v) => filter.nameContains === undefined || v.package.includes(filter.nameContains))
      .filter((v) => filter.after === undefined || v.package > filter.after)
      .filter(
        (v) => visible === undefined || visible === 'all' || v.visibility === 'public' || visible.includes(v.namespace),
      )
      .sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0))
      .slice(filter.offset ?? 0, (filter.offset ?? 0) + filter.limit)
      .map(summarizePackage);
  }

  async count(): Promise<number> {
    return [...this.views.values()].filter((text) => packageExists(JSON.parse(text) as PackageView)).length;
  }

  /** A fresh in-memory store; the switch copies its views over this store's, at once. */
  async rebuild(): Promise<ProjectionRebuild<MetadataStore>> {
    const fresh = new InMemoryMetadataStore();
    let state: 'open' | 'switched' | 'aborted' = 'open';
    return {
      store: fresh,
      switchOver: async () => {
        if (state !== 'open') throw new Error(`this rebuild was already ${state}`);
        state = 'switched';
        this.views.clear();
        for (const [pkg, text] of fresh.views) this.views.set(pkg, text);
        return 0;
      },
      abort: async () => {
        if (state === 'open') state = 'aborted';
      },
    };
  }

  async close(): Promise<void> {}
}

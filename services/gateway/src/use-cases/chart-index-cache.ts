/**
 * The gateway's cache of namespaces' chart versions and their rendered index files, keyed by
 * the chart index revision: every request asks the projection for the namespace's revision (a
 * cheap read), and only a changed revision costs a full read and a new rendering. Read-your-writes
 * holds because the revision is asked every time, never assumed. Bounded: the most recently used
 * namespaces, and a few renderings (formats, size controls) of each.
 */
import { Inject, Injectable } from '@nestjs/common';
import { CHART_INDEX_READER, ChartIndexReader, NamespaceCharts } from '@wharf/ports';

export interface RenderedIndex {
  etag: string;
  body: Buffer;
  /** The body gzipped, made on first use. */
  gzipped(): Buffer;
}

interface CachedNamespace {
  charts: NamespaceCharts;
  rendered: Map<string, RenderedIndex>;
}

const MAX_NAMESPACES = 64;
const MAX_RENDERINGS = 16;
/** Rendered per-chart index fragments kept across revisions (each a chart's versions in one format). */
const MAX_FRAGMENTS = 20_000;

@Injectable()
export class ChartIndexCache {
  private readonly namespaces = new Map<string, CachedNamespace>();
  private readonly fragments = new Map<string, string>();

  constructor(@Inject(CHART_INDEX_READER) private readonly reader: ChartIndexReader) {}

  /** The namespace's current chart versions. */
  async charts(namespace: string): Promise<NamespaceCharts> {
    return (await this.current(namespace)).charts;
  }

  /** The rendering `key` of the namespace's current versions, made by `render` on a miss. */
  async rendered(
    namespace: string,
    key: string,
    render: (charts: NamespaceCharts) => RenderedIndex,
  ): Promise<RenderedIndex> {
    const slot = await this.current(namespace);
    let rendered = slot.rendered.get(key);
    if (!rendered) {
      rendered = render(slot.charts);
      if (slot.rendered.size >= MAX_RENDERINGS) slot.rendered.delete(slot.rendered.keys().next().value!);
      slot.rendered.set(key, rendered);
    }
    return rendered;
  }

  /** A chart's rendered fragment, made at most once while it stays cached (see renderIndexFromFragments). */
  readonly fragment = (key: string, render: () => string): string => {
    let text = this.fragments.get(key);
    if (text === undefined) {
      text = render();
      if (this.fragments.size >= MAX_FRAGMENTS) this.fragments.delete(this.fragments.keys().next().value!);
      this.fragments.set(key, text);
    }
    return text;
  };

  private async current(namespace: string): Promise<CachedNamespace> {
    const cached = this.namespaces.get(namespace);
    const revision = await this.reader.revision(namespace);
    if (cached && cached.charts.revision === revision) {
      this.namespaces.delete(namespace);
      this.namespaces.set(namespace, cached);
      return cached;
    }
    const fresh: CachedNamespace = { charts: await this.reader.read(namespace), rendered: new Map() };
    this.namespaces.delete(namespace);
    if (this.namespaces.size >= MAX_NAMESPACES) this.namespaces.delete(this.namespaces.keys().next().value!);
    this.namespaces.set(namespace, fresh);
    return fresh;
  }
}

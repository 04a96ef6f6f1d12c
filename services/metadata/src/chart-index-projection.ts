/**
 * Keeps the chart index (the Helm repositories' projection) in step with the package views:
 * after a batch of a package's events is applied (or found already applied), a batch that can
 * change charts records the package's chart versions as of the view. The store ignores a state
 * it already has, so the writer and the projector may both call this for the same events, and
 * a replay changes nothing; a crash between the view's write and this one is repaired when the
 * projector delivers the same events again.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { PackageView, chartVersionsOf, touchesCharts } from '@wharf/domain';
import type { EventEnvelope } from '@wharf/contracts';
import { CHART_INDEX_STORE, ChartIndexStore } from '@wharf/ports';

@Injectable()
export class ChartIndexProjection {
  constructor(@Optional() @Inject(CHART_INDEX_STORE) private readonly charts: ChartIndexStore | null = null) {}

  /** `view` is the package's view after (at least) `events`. */
  async apply(view: PackageView, events: readonly Pick<EventEnvelope, 'type' | 'data'>[]): Promise<void> {
    await this.applyLoaded(async () => view, events);
  }

  /** As `apply`, with the view read (by `load`) only when the events can change charts. */
  async applyLoaded(
    load: () => Promise<PackageView | null>,
    events: readonly Pick<EventEnvelope, 'type' | 'data'>[],
  ): Promise<void> {
    if (!this.charts || !touchesCharts(events)) return;
    const view = await load();
    if (view) await this.charts.sync(chartVersionsOf(view));
  }
}

/**
 * Keeps the chart index (the Helm repositories' projection) in step with the package views.
 * After a batch of a package's events is stored, `record` hands the chart index what the batch
 * changed (`chartChangesOf` of the rows the metadata put wrote), so a push writes its own chart
 * versions and the package's head, whatever the package's size. Only when the chart index lacks
 * earlier events of the package (a writer stopped between the two writes, or the package's
 * first chart version came after other events) is the whole view read and its chart versions
 * recorded at once (`sync`). Both writes ignore a state the store already has, so the writer
 * and the projector may both apply the same events, and a replay changes nothing; a crash
 * between the view's write and this one is repaired when the projector delivers the same
 * events again (`repair`).
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { ManifestChanges, PackageView, chartChangesOf, chartVersionsOf, touchesCharts } from '@wharf/domain';
import type { EventEnvelope } from '@wharf/contracts';
import { CHART_INDEX_STORE, ChartIndexStore } from '@wharf/ports';

@Injectable()
export class ChartIndexProjection {
  constructor(@Optional() @Inject(CHART_INDEX_STORE) private readonly charts: ChartIndexStore | null = null) {}

  /**
   * Records a batch just stored (`events`) when it can change charts: `after` is the package
   * after it (its view or head), `fromSequence` its sequence before, `changes` the rows the
   * batch changed. `load` reads the whole view, called only when the chart index is behind.
   */
  async record(
    events: readonly Pick<EventEnvelope, 'type' | 'data'>[],
    after: Pick<PackageView, 'package' | 'namespace' | 'name' | 'sequence' | 'visibility'>,
    fromSequence: number,
    changes: ManifestChanges,
    load: () => Promise<PackageView | null>,
  ): Promise<void> {
    if (!this.charts || !touchesCharts(events)) return;
    if ((await this.charts.applyChanges(chartChangesOf(after, fromSequence, changes))) !== 'behind') return;
    const view = await load();
    if (view) await this.charts.sync(chartVersionsOf(view));
  }

  /**
   * For events the metadata store already holds (`view` is the stored view, at or after them):
   * when they can change charts, records the view's chart versions unless the chart index is
   * already there. The repair after a writer stopped between its two writes.
   */
  async repair(view: PackageView, events: readonly Pick<EventEnvelope, 'type' | 'data'>[]): Promise<void> {
    if (!this.charts || !touchesCharts(events)) return;
    await this.charts.sync(chartVersionsOf(view));
  }
}

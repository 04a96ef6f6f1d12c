import { Controller, Get, Inject, Param } from '@nestjs/common';
import { CHART_INDEX_STORE, ChartIndexStore } from '@wharf/ports';

/** The metadata service's internal chart index API (the gateway's ChartIndexReader in the distributed profile). */
@Controller('internal/v1/charts')
export class InternalChartsController {
  constructor(@Inject(CHART_INDEX_STORE) private readonly charts: ChartIndexStore) {}

  @Get(':namespace')
  read(@Param('namespace') namespace: string) {
    return this.charts.read(namespace);
  }

  @Get(':namespace/revision')
  async revision(@Param('namespace') namespace: string) {
    return { revision: await this.charts.revision(namespace) };
  }
}

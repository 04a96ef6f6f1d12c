import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { SEARCH_INDEX, SearchIndex, SearchQuery } from '@wharf/ports';

/** The search service's internal query API (the gateway's SearchReader in the distributed profile). */
@Controller('internal/v1')
export class InternalSearchController {
  constructor(@Inject(SEARCH_INDEX) private readonly index: SearchIndex) {}

  @Post('search')
  @HttpCode(200)
  search(@Body() query: SearchQuery) {
    return this.index.search(query);
  }

  @Get('search-count')
  async count() {
    return { count: await this.index.count() };
  }
}

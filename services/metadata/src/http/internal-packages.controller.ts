import { Body, Controller, Get, Inject, Param, Post } from '@nestjs/common';
import { METADATA_STORE, MetadataStore, PackageListFilter } from '@wharf/ports';

/** The metadata service's internal read API (the gateway's PackageReader in the distributed profile). */
@Controller('internal/v1')
export class InternalPackagesController {
  constructor(@Inject(METADATA_STORE) private readonly store: MetadataStore) {}

  @Get('packages/:namespace/:name')
  async get(@Param('namespace') namespace: string, @Param('name') name: string) {
    return { view: await this.store.get(`${namespace}/${name}`) };
  }

  @Post('packages/list')
  list(@Body() filter: PackageListFilter) {
    return this.store.list(filter);
  }

  @Get('packages-count')
  async count() {
    return { count: await this.store.count() };
  }
}

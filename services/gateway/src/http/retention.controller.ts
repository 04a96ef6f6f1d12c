import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import type { Caller } from '@wharf/domain';
import { CurrentCaller } from '../auth/caller.guard';
import { RetentionPoliciesUseCases } from '../use-cases/retention/retention-policies.use-cases';
import { SiteRetentionDefaultUseCases } from '../use-cases/retention/site-retention-default.use-cases';
import { retentionPolicy, retentionPolicyId, retentionSettings } from './retention-requests';

const R = 'api/v1/namespaces/:namespace/retention';
const SITE = 'api/v1/retention/default';

/**
 * A namespace's retention policies, their dry run and an on-demand run; the site's default
 * (docs/architecture.md: Retention).
 */
@Controller()
export class RetentionController {
  constructor(
    private readonly retention: RetentionPoliciesUseCases,
    private readonly site: SiteRetentionDefaultUseCases,
  ) {}

  @Get(SITE)
  siteDefault(@CurrentCaller() caller: Caller) {
    return this.site.show(caller);
  }

  @Put(SITE)
  setSiteDefault(@Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.site.set(caller, () => retentionSettings(body));
  }

  @Delete(SITE)
  deleteSiteDefault(@CurrentCaller() caller: Caller) {
    return this.site.delete(caller);
  }

  @Get(R)
  list(@Param('namespace') ns: string, @CurrentCaller() caller: Caller) {
    return this.retention.list(caller, ns);
  }

  @Get(`${R}/preview`)
  preview(@Param('namespace') ns: string, @CurrentCaller() caller: Caller) {
    return this.retention.preview(caller, ns);
  }

  @Post(`${R}/run`)
  @HttpCode(200)
  run(@Param('namespace') ns: string, @CurrentCaller() caller: Caller) {
    return this.retention.run(caller, ns);
  }

  @Get(`${R}/policies/:id`)
  get(@Param('namespace') ns: string, @Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.retention.get(caller, ns, () => retentionPolicyId(id));
  }

  @Put(`${R}/policies/:id`)
  set(@Param('namespace') ns: string, @Param('id') id: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.retention.set(caller, ns, () => retentionPolicy(id, body));
  }

  @Delete(`${R}/policies/:id`)
  delete(@Param('namespace') ns: string, @Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.retention.delete(caller, ns, () => retentionPolicyId(id));
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import type { Caller } from '@wharf/domain';
import { CurrentCaller } from '../auth/caller.guard';
import { WebhookSubscriptionsUseCases } from '../use-cases/webhooks/webhook-subscriptions.use-cases';
import { deliveryPage, webhookChange, webhookCreation } from './webhook-requests';

const W = 'api/v1/namespaces/:namespace/webhooks';

/** Webhook subscriptions of a namespace and their delivery log (README: Webhooks). */
@Controller()
export class WebhooksController {
  constructor(private readonly webhooks: WebhookSubscriptionsUseCases) {}

  @Get(W)
  list(@Param('namespace') ns: string, @CurrentCaller() caller: Caller) {
    return this.webhooks.list(caller, ns);
  }

  @Post(W)
  @HttpCode(201)
  create(@Param('namespace') ns: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.webhooks.create(caller, ns, () => webhookCreation(body, ns));
  }

  @Get(`${W}/:id`)
  get(@Param('namespace') ns: string, @Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.webhooks.get(caller, ns, id);
  }

  @Patch(`${W}/:id`)
  update(
    @Param('namespace') ns: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    return this.webhooks.update(caller, ns, id, () => webhookChange(body, ns));
  }

  @Post(`${W}/:id/pause`)
  @HttpCode(200)
  pause(@Param('namespace') ns: string, @Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.webhooks.setActive(caller, ns, id, false);
  }

  @Post(`${W}/:id/resume`)
  @HttpCode(200)
  resume(@Param('namespace') ns: string, @Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.webhooks.setActive(caller, ns, id, true);
  }

  @Delete(`${W}/:id`)
  delete(@Param('namespace') ns: string, @Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.webhooks.delete(caller, ns, id);
  }

  @Get(`${W}/:id/deliveries`)
  deliveries(
    @Param('namespace') ns: string,
    @Param('id') id: string,
    @Query() query: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    return this.webhooks.deliveryLog(caller, ns, id, () => deliveryPage(query));
  }

  @Get(`${W}/:id/deliveries/:delivery`)
  delivery(
    @Param('namespace') ns: string,
    @Param('id') id: string,
    @Param('delivery') delivery: string,
    @CurrentCaller() caller: Caller,
  ) {
    return this.webhooks.delivery(caller, ns, id, delivery);
  }

  @Post(`${W}/:id/deliveries/:delivery/redeliver`)
  @HttpCode(202)
  redeliver(
    @Param('namespace') ns: string,
    @Param('id') id: string,
    @Param('delivery') delivery: string,
    @CurrentCaller() caller: Caller,
  ) {
    return this.webhooks.redeliver(caller, ns, id, delivery);
  }
}

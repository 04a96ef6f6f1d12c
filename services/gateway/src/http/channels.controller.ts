import { Controller, Delete, Get, Param, Post, HttpCode } from '@nestjs/common';
import type { Caller } from '@wharf/domain';
import { CurrentCaller } from '../auth/caller.guard';
import { ChangePackageUseCases } from '../use-cases/change-package.use-cases';
import { newCommandMeta } from '../use-cases/command-meta';
import { RequestId } from './request-id.decorator';
import { ShowChannelsUseCases } from '../use-cases/read-package/show-channels.use-cases';

const C = 'api/v1/packages/:namespace/:package/channels';

/** The App Registry channel routes (reference §1.2, rows 16-20). */
@Controller()
export class ChannelsController {
  constructor(
    private readonly reads: ShowChannelsUseCases,
    private readonly changes: ChangePackageUseCases,
  ) {}

  @Get(C)
  list(@Param('namespace') namespace: string, @Param('package') name: string, @CurrentCaller() caller: Caller) {
    return this.reads.list(caller, namespace, name);
  }

  @Get(`${C}/:channel`)
  show(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Param('channel') channel: string,
    @CurrentCaller() caller: Caller,
  ) {
    return this.reads.one(caller, namespace, name, channel);
  }

  @Post(`${C}/:channel/:release`)
  @HttpCode(200)
  addRelease(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Param('channel') channel: string,
    @Param('release') release: string,
    @CurrentCaller() caller: Caller,
    @RequestId() requestId: string,
  ) {
    return this.changes.addReleaseToChannel({
      namespace,
      name,
      channel,
      release,
      meta: newCommandMeta(requestId),
      caller,
    });
  }

  @Delete(`${C}/:channel/:release`)
  removeRelease(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Param('channel') channel: string,
    @Param('release') release: string,
    @CurrentCaller() caller: Caller,
    @RequestId() requestId: string,
  ) {
    return this.changes.removeReleaseFromChannel({
      namespace,
      name,
      channel,
      release,
      meta: newCommandMeta(requestId),
      caller,
    });
  }

  @Delete(`${C}/:channel`)
  delete(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Param('channel') channel: string,
    @CurrentCaller() caller: Caller,
    @RequestId() requestId: string,
  ) {
    return this.changes.deleteChannel({ namespace, name, channel, meta: newCommandMeta(requestId), caller });
  }
}

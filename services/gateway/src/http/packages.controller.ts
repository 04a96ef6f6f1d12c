import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Caller } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { CurrentCaller } from '../auth/caller.guard';
import { ChangePackageUseCases } from '../use-cases/change-package.use-cases';
import { newCommandMeta } from '../use-cases/command-meta';
import { RequestId } from './request-id.decorator';
import { PushReleaseUseCase } from '../use-cases/push-release.use-case';
import { ListPackagesUseCase } from '../use-cases/read-package/list-packages.use-case';
import { PackageBlobsUseCases } from '../use-cases/read-package/package-blobs.use-cases';
import { PullReleaseUseCases } from '../use-cases/read-package/pull-release.use-cases';
import { SearchPackagesUseCase } from '../use-cases/read-package/search-packages.use-case';
import { ShowPackageUseCases } from '../use-cases/read-package/show-package.use-cases';
import { blobJson, pullJson } from '../presenters/appr.presenter';
import {
  packageListQuery,
  pushReleaseRequest,
  packageSearch,
  showPackageMediaType,
  visibilityRequest,
} from './package-requests';
import { heldBlobs, redirectTo, sendBlobArchive, sendJson } from './send-archive';

const P = 'api/v1/packages/:namespace/:package';

/** The App Registry package routes (reference §1.2, rows 5-15). */
@Controller()
export class PackagesController {
  constructor(
    private readonly listing: ListPackagesUseCase,
    private readonly searching: SearchPackagesUseCase,
    private readonly shows: ShowPackageUseCases,
    private readonly pulls: PullReleaseUseCases,
    private readonly blobs: PackageBlobsUseCases,
    private readonly pushes: PushReleaseUseCase,
    private readonly changes: ChangePackageUseCases,
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
  ) {}

  @Get('api/v1/packages')
  list(@Query() query: unknown, @CurrentCaller() caller: Caller) {
    return this.listing.execute(caller, packageListQuery(query, this.config.listLimit));
  }

  @Get('api/v1/packages/search')
  search(@Query() query: unknown, @CurrentCaller() caller: Caller) {
    return this.searching.execute(caller, packageSearch(query));
  }

  @Post(P)
  @HttpCode(200)
  push(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Query() query: unknown,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
    @RequestId() requestId: string,
  ) {
    return this.pushes.execute({
      namespace,
      name,
      request: () => pushReleaseRequest(query, body),
      meta: newCommandMeta(requestId),
      caller,
    });
  }

  /** Wharf's own: make the package public or private (admin of its namespace). */
  @Put(`${P}/visibility`)
  setVisibility(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
    @RequestId() requestId: string,
  ) {
    return this.changes.setVisibility({
      namespace,
      name,
      visibility: () => visibilityRequest(body),
      meta: newCommandMeta(requestId),
      caller,
    });
  }

  @Get(P)
  showPackage(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Query() query: unknown,
    @CurrentCaller() caller: Caller,
  ) {
    return this.shows.package(caller, namespace, name, () => showPackageMediaType(query));
  }

  @Get(`${P}/:release`)
  showRelease(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Param('release') release: string,
    @CurrentCaller() caller: Caller,
  ) {
    return this.shows.release(caller, namespace, name, release);
  }

  @Get(`${P}/:release/:mediaType`)
  showManifest(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Param('release') release: string,
    @Param('mediaType') mediaType: string,
    @CurrentCaller() caller: Caller,
  ) {
    return this.shows.manifest(caller, namespace, name, release, mediaType);
  }

  @Delete(`${P}/:release/:mediaType`)
  deleteRelease(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Param('release') release: string,
    @Param('mediaType') mediaType: string,
    @CurrentCaller() caller: Caller,
    @RequestId() requestId: string,
  ) {
    return this.changes.deleteRelease({ namespace, name, release, mediaType, meta: newCommandMeta(requestId), caller });
  }

  @Get(`${P}/:release/:mediaType/pull`)
  async pull(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Param('release') release: string,
    @Param('mediaType') mediaType: string,
    @Query('format') format: unknown,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentCaller() caller: Caller,
  ) {
    if (format === 'json') return this.pullJson(namespace, name, release, mediaType, reply, caller);
    const pulled = await this.pulls.archive(caller, namespace, name, release, mediaType, heldBlobs(ifNoneMatch));
    return 'location' in pulled ? redirectTo(reply, pulled.location) : sendBlobArchive(reply, pulled);
  }

  @Get(`${P}/:release/:mediaType/pull/json`)
  async pullJson(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Param('release') release: string,
    @Param('mediaType') mediaType: string,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentCaller() caller: Caller,
  ) {
    const pulled = await this.pulls.json(caller, namespace, name, release, mediaType);
    return sendJson(reply, pullJson(pulled.view, pulled.manifest, pulled.body));
  }

  @Get(`${P}/blobs/sha256/:digest`)
  async blob(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Param('digest') digest: string,
    @Query('format') format: unknown,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentCaller() caller: Caller,
  ) {
    if (format === 'json') return this.blobJson(namespace, name, digest, reply, caller);
    return sendBlobArchive(reply, await this.blobs.archive(caller, namespace, name, digest, heldBlobs(ifNoneMatch)));
  }

  @Get(`${P}/blobs/sha256/:digest/json`)
  async blobJson(
    @Param('namespace') namespace: string,
    @Param('package') name: string,
    @Param('digest') digest: string,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentCaller() caller: Caller,
  ) {
    const found = await this.blobs.json(caller, namespace, name, digest);
    return sendJson(reply, blobJson(found.view, found.manifest, found.digest, found.body));
  }
}

import { Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Req, Res, Body } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '@wharf/domain';
import { AccessControl } from '../auth/access-control';
import { CurrentCaller } from '../auth/caller.guard';
import { ChartMuseumUseCases } from '../use-cases/chart-museum.use-cases';
import { newCommandMeta } from '../use-cases/command-meta';
import { RequestId } from './request-id.decorator';
import { HelmRepositoryUseCases } from '../use-cases/helm-repository.use-cases';
import { chartUploadFiles, contextPathOf, indexFormat, indexQuery, isForced, sendIndex } from './helm-http';
import { sendArchive } from './send-archive';

/** The ChartMuseum API lives at `/api/<ns>/charts` and, as ChartMuseum under context path `/helm`, at `/helm/api/<ns>/charts`. */
const CHARTS = ['api/:namespace/charts', 'helm/api/:namespace/charts'];
const CHART = CHARTS.map((p) => `${p}/:name`);
const CHART_VERSION = CHARTS.map((p) => `${p}/:name/:version`);

/** Helm chart repositories (one per namespace) and the ChartMuseum API over the same packages. */
@Controller()
export class HelmController {
  constructor(
    private readonly repositories: HelmRepositoryUseCases,
    private readonly museum: ChartMuseumUseCases,
    private readonly access: AccessControl,
  ) {}

  @Get(['helm/:namespace/index.yaml', 'helm/:namespace/index.json'])
  async index(
    @Param('namespace') namespace: string,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentCaller() caller: Caller,
  ) {
    const format = indexFormat(request);
    const access = await this.access.chartAccess(caller, namespace);
    const rendered = await this.repositories.index({
      namespace,
      query: indexQuery(query),
      format,
      contextPath: contextPathOf(request, namespace),
      access,
    });
    return sendIndex(request, reply, rendered, format);
  }

  @Get('helm/:namespace/charts/:file')
  async chartFile(
    @Param('namespace') namespace: string,
    @Param('file') file: string,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentCaller() caller: Caller,
  ) {
    const found = await this.repositories.chartFile(namespace, file, await this.access.chartAccess(caller, namespace));
    if (found.provenance) void reply.header('content-type', 'application/pgp-signature');
    else if (found.size !== null && !Buffer.isBuffer(found.body)) void reply.header('content-length', found.size);
    return found.provenance ? found.body : sendArchive(reply, found.filename, found.body);
  }

  @Post(CHARTS)
  @HttpCode(201)
  upload(
    @Param('namespace') namespace: string,
    @Query() query: unknown,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @CurrentCaller() caller: Caller,
    @RequestId() requestId: string,
  ) {
    return this.museum.upload({
      caller,
      namespace,
      force: isForced(query),
      files: () => chartUploadFiles(contentType, body),
      meta: newCommandMeta(requestId),
    });
  }

  @Get(CHARTS)
  async listCharts(@Param('namespace') namespace: string, @CurrentCaller() caller: Caller) {
    return this.repositories.listCharts(namespace, await this.access.chartAccess(caller, namespace));
  }

  @Get(CHART)
  async chartVersions(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @CurrentCaller() caller: Caller,
  ) {
    return this.repositories.chartVersions(namespace, name, await this.access.chartAccess(caller, namespace));
  }

  @Get(CHART_VERSION)
  async chartVersion(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentCaller() caller: Caller,
  ) {
    return this.repositories.chartVersion(namespace, name, version, await this.access.chartAccess(caller, namespace));
  }

  @Delete(CHART_VERSION)
  deleteChartVersion(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('version') version: string,
    @CurrentCaller() caller: Caller,
    @RequestId() requestId: string,
  ) {
    return this.museum.delete({ caller, namespace, name, version, meta: newCommandMeta(requestId) });
  }
}

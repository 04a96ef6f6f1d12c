import { Controller, Get, Header, Inject, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { OperatorOnly, publicOrigin } from '@wharf/http';
import { RegistryStatsUseCase } from '../use-cases/registry-stats.use-case';
import { openApiDocument } from '../openapi/openapi.document';
import { APPR_API_VERSION, CNR_API_VERSION, WHARF_VERSION } from '../version';

/** Version, discovery documents, the OpenAPI document and operational endpoints. */
@Controller()
export class DiscoveryController {
  constructor(
    @Inject(WHARF_CONFIG) private readonly config: WharfConfig,
    private readonly stats: RegistryStatsUseCase,
  ) {}

  @Get('version')
  version() {
    return { 'appr-api': APPR_API_VERSION, 'cnr-api': CNR_API_VERSION, wharf: WHARF_VERSION };
  }

  /** The page the `appr` client's discovery reads: `<meta name="appr-package" content="<pattern> <url template>">`. */
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  discoveryPage(@Req() request: FastifyRequest) {
    const origin = this.origin(request);
    const template = `${origin}${this.config.http.apiPrefix}/api/v1/packages/{name}/{version}/{media_type}/pull`;
    const content = escapeAttribute(`${origin ? `${new URL(origin).host}/` : ''}{name} ${template}`);
    return [
      '<!DOCTYPE html>',
      '<html lang="en"><head><meta charset="utf-8"><title>Wharf App Registry</title>',
      `<meta name="appr-package" content="${content}">`,
      `<meta name="cnr-package" content="${content}">`,
      '</head><body><h1>Wharf App Registry</h1>',
      '<p><a href="/ui/">Browse and search packages</a></p>',
      `<p>App Registry API at <code>${escapeAttribute(origin + this.config.http.apiPrefix)}/api/v1</code>; see <a href="/openapi.json">/openapi.json</a>.</p>`,
      '</body></html>',
    ].join('\n');
  }

  /** spec/discovery.md of app-registry/spec. */
  @Get('.well-known/app-registry-uri.json')
  wellKnown(@Req() request: FastifyRequest) {
    return { version: 'v1', uri_prefix: `${this.origin(request)}${this.config.http.apiPrefix}` };
  }

  @Get('openapi.json')
  openApi() {
    return openApiDocument(this.config.http.apiPrefix, WHARF_VERSION);
  }

  /** Registry-wide counts; `?fresh=true` counts the blobs now instead of answering the kept figure. */
  @Get('_wharf/stats')
  @OperatorOnly()
  registryStats(@Query('fresh') fresh?: unknown) {
    return this.stats.execute(fresh === 'true');
  }

  /** The origin the discovery documents name (`publicOrigin`: '' makes them host-less, URLs relative to the server that answered). */
  private origin(request: FastifyRequest): string {
    return publicOrigin(request, this.config);
  }
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

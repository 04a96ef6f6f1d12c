import { Body, Controller, Delete, Get, Headers, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Caller, parseByteRange } from '@wharf/domain';
import { CurrentCaller } from '../auth/caller.guard';
import { newCommandMeta } from '../use-cases/command-meta';
import { OciPushesUseCases } from '../use-cases/oci/oci-pushes.use-cases';
import { OciReadsUseCases } from '../use-cases/oci/oci-reads.use-cases';
import { OciTokenUseCase } from '../use-cases/oci/oci-token.use-case';
import {
  OCI_ROUTES,
  bodyStream,
  chunkRange,
  isHead,
  manifestBody,
  ociQuery,
  pageSize,
  presentedToken,
  sendBlob,
  sendBlobCreated,
  sendManifest,
  sendUploadState,
  tokenScopes,
} from './oci-http';
import { RequestId } from './request-id.decorator';

/**
 * The OCI distribution API (`/v2/`) over the same packages (docs/architecture.md, "OCI
 * distribution"). HEAD is Fastify's sibling of each GET route (`isHead`: no body is read).
 */
@Controller()
export class OciController {
  constructor(
    private readonly reads: OciReadsUseCases,
    private readonly pushes: OciPushesUseCases,
    private readonly tokens: OciTokenUseCase,
  ) {}

  @Get(OCI_ROUTES.root)
  root(@CurrentCaller() caller: Caller, @Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('docker-distribution-api-version', 'registry/2.0');
    return this.reads.ping(caller);
  }

  @Get(OCI_ROUTES.token)
  token(
    @CurrentCaller() caller: Caller,
    @Query() query: unknown,
    @Headers('authorization') authorization: string | undefined,
  ) {
    return this.tokens.issue({ caller, presentedToken: presentedToken(authorization), scopes: tokenScopes(query) });
  }

  @Get(OCI_ROUTES.manifest)
  async manifest(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('reference') reference: string,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return sendManifest(reply, await this.reads.manifest({ caller, namespace, name, reference }));
  }

  @Put(OCI_ROUTES.manifest)
  async putManifest(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('reference') reference: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Headers('content-length') contentLength: string | undefined,
    @CurrentCaller() caller: Caller,
    @RequestId() requestId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const meta = newCommandMeta(requestId);
    const input = { caller, namespace, name, reference, contentType, body: manifestBody(body, contentLength), meta };
    const put = await this.pushes.putManifest(input);
    void reply.status(201).header('location', `/v2/${put.repository}/manifests/${put.digest}`);
    void reply.header('docker-content-digest', put.digest).header('content-length', 0);
    if (put.subject) void reply.header('oci-subject', put.subject);
    return '';
  }

  @Delete(OCI_ROUTES.manifest)
  async deleteManifest(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('reference') reference: string,
    @CurrentCaller() caller: Caller,
    @RequestId() requestId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.pushes.deleteManifest({ caller, namespace, name, reference, meta: newCommandMeta(requestId) });
    void reply.status(202).header('content-length', 0);
    return '';
  }

  @Get(OCI_ROUTES.blob)
  async blob(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('digest') digest: string,
    @Headers('range') range: string | undefined,
    @CurrentCaller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const input = { caller, namespace, name, digest, head: isHead(request), range: parseByteRange(range) };
    return sendBlob(reply, await this.reads.blob(input));
  }

  @Delete(OCI_ROUTES.blob)
  async deleteBlob(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('digest') digest: string,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.pushes.deleteBlob({ caller, namespace, name, digest });
    void reply.status(202).header('content-length', 0);
    return '';
  }

  @Post(OCI_ROUTES.uploads)
  async startUpload(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Query() query: unknown,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const started = await this.pushes.startUpload({
      caller,
      namespace,
      name,
      digest: ociQuery(query, 'digest'),
      mount: ociQuery(query, 'mount'),
      from: ociQuery(query, 'from'),
      body: bodyStream(body),
    });
    return started.kind === 'blob'
      ? sendBlobCreated(reply, started.repository, started.digest)
      : sendUploadState(reply, started, 202);
  }

  @Patch(OCI_ROUTES.upload)
  async appendChunk(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('id') id: string,
    @Headers('content-range') contentRange: string | undefined,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const range = chunkRange(contentRange);
    const state = await this.pushes.appendChunk({ caller, namespace, name, id, range, body: bodyStream(body) });
    return sendUploadState(reply, state, 202);
  }

  @Get(OCI_ROUTES.upload)
  async uploadStatus(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('id') id: string,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return sendUploadState(reply, await this.pushes.uploadStatus({ caller, namespace, name, id }), 204);
  }

  @Put(OCI_ROUTES.upload)
  async finishUpload(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('id') id: string,
    @Query() query: unknown,
    @Body() body: unknown,
    @Headers('content-range') contentRange: string | undefined,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const digest = ociQuery(query, 'digest');
    const range = chunkRange(contentRange);
    const done = await this.pushes.finishUpload({ caller, namespace, name, id, digest, range, body: bodyStream(body) });
    return sendBlobCreated(reply, done.repository, done.digest);
  }

  @Delete(OCI_ROUTES.upload)
  async cancelUpload(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('id') id: string,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.pushes.cancelUpload({ caller, namespace, name, id });
    void reply.status(204);
    return '';
  }

  @Get(OCI_ROUTES.tags)
  async tags(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Query() query: unknown,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const last = ociQuery(query, 'last');
    const page = await this.reads.tags({ caller, namespace, name, n: pageSize(query), last });
    if (page.next !== null)
      void reply.header(
        'link',
        `</v2/${page.name}/tags/list?n=${page.tags.length}&last=${encodeURIComponent(page.next)}>; rel="next"`,
      );
    return { name: page.name, tags: page.tags };
  }

  @Get(OCI_ROUTES.referrers)
  async referrers(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @Param('digest') digest: string,
    @Query() query: unknown,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const artifactType = ociQuery(query, 'artifactType');
    const found = await this.reads.referrers({ caller, namespace, name, digest, artifactType });
    void reply.header('content-type', found.index.mediaType);
    if (found.filtered) void reply.header('oci-filters-applied', 'artifactType');
    return Buffer.from(JSON.stringify(found.index));
  }

  @Get(OCI_ROUTES.catalog)
  async catalog(
    @Query() query: unknown,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const page = await this.reads.catalog(caller, pageSize(query), ociQuery(query, 'last'));
    if (page.next !== null)
      void reply.header(
        'link',
        `</v2/_catalog?n=${page.repositories.length}&last=${encodeURIComponent(page.next)}>; rel="next"`,
      );
    return { repositories: page.repositories };
  }
}

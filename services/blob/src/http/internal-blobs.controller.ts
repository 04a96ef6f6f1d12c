import { Controller, Delete, Get, Inject, Param, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { InvalidUsageError } from '@wharf/domain';
import { blobDigestDiffers, blobNotStored } from '@wharf/contracts';
import { BLOB_STORE, BlobDigestMismatchError, BlobNotFoundError, BlobStore } from '@wharf/ports';

/**
 * The blob service's internal API (the gateway's BlobStore in the distributed profile). Bodies
 * are streamed: an upload goes from the request into the store as it arrives. The port's typed
 * errors answer as their wire codes (`blob-not-found`, `blob-digest-mismatch`), which the client
 * (libs/adapters/blob-http-client) turns back into the port's errors.
 */
@Controller('internal/v1/blobs')
export class InternalBlobsController {
  constructor(@Inject(BLOB_STORE) private readonly blobs: BlobStore) {}

  @Put()
  async put(@Req() request: FastifyRequest, @Query('expected') expected?: string) {
    if (expected !== undefined && typeof expected !== 'string')
      throw new InvalidUsageError("'expected' must be a digest");
    try {
      return await this.blobs.put(request.body as Readable, expected);
    } catch (error) {
      if (error instanceof BlobDigestMismatchError) throw blobDigestDiffers(error.expected, error.actual);
      throw error;
    }
  }

  @Get()
  async list(@Res() reply: FastifyReply) {
    const blobs = this.blobs;
    const lines = Readable.from(
      (async function* () {
        for await (const info of blobs.list()) yield JSON.stringify(info) + '\n';
      })(),
    );
    await reply.type('application/x-ndjson').send(lines);
  }

  @Get(':digest')
  async open(@Param('digest') digest: string, @Res() reply: FastifyReply) {
    try {
      const stream = await this.blobs.open(digest);
      await reply.type('application/octet-stream').send(stream);
    } catch (error) {
      if (error instanceof BlobNotFoundError) throw blobNotStored(digest);
      throw error;
    }
  }

  /** `supported: false` when the store cannot hand out direct URLs (the gateway then serves bytes). */
  @Get(':digest/url')
  async downloadUrl(@Param('digest') digest: string, @Query('expires') expires?: string) {
    const seconds = Number(expires ?? 300);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 604_800)
      throw new InvalidUsageError("'expires' must be 1 to 604800 seconds");
    if (!this.blobs.downloadUrl) return { supported: false, url: null };
    return { supported: true, url: await this.blobs.downloadUrl(digest, seconds) };
  }

  @Get(':digest/stat')
  async stat(@Param('digest') digest: string) {
    return { info: await this.blobs.stat(digest) };
  }

  @Delete(':digest')
  async delete(@Param('digest') digest: string) {
    return { deleted: await this.blobs.delete(digest) };
  }
}

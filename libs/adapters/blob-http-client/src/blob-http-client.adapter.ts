/**
 * The gateway's BlobStore in the distributed profile: the blob service's internal API. Bytes
 * are streamed both ways; nothing here holds a whole blob except `read`. The port's typed errors
 * arrive as the service's wire codes (`blob-not-found`, `blob-digest-mismatch`) and are thrown
 * again as the port's own errors, so the gateway cannot tell this store from a local one.
 */
import { isSha256Hex } from '@wharf/domain';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { BlobDigestMismatchError, BlobInfo, BlobNotFoundError, BlobStore } from '@wharf/ports';
import { InternalHttpClient } from '@wharf/adapters/internal-http';
import { WireError } from '@wharf/contracts';

const NAME = 'blob-http-client';

interface WireBlobInfo {
  digest: string;
  size: number;
  storedAt?: string;
}

const fromWire = (info: WireBlobInfo): BlobInfo => ({
  digest: info.digest,
  size: info.size,
  ...(info.storedAt ? { storedAt: new Date(info.storedAt) } : {}),
});

export class BlobHttpClient implements BlobStore {
  private readonly http: InternalHttpClient;

  constructor(baseUrl: string) {
    this.http = new InternalHttpClient('blob', baseUrl, 300_000);
  }

  async put(content: Buffer | Readable, expectedDigest?: string): Promise<BlobInfo> {
    const query = expectedDigest === undefined ? '' : `?expected=${encodeURIComponent(expectedDigest)}`;
    const body = Buffer.isBuffer(content)
      ? content
      : (Readable.toWeb(content) as unknown as NonNullable<RequestInit['body']>);
    let res: Response;
    try {
      res = await this.http.send('PUT', `/internal/v1/blobs${query}`, {
        body,
        headers: { 'content-type': 'application/octet-stream' },
        ...(Buffer.isBuffer(content) ? {} : { duplex: 'half' as const }),
      });
    } catch (error) {
      if (expectedDigest !== undefined && codeOf(error) === 'blob-digest-mismatch') {
        throw new BlobDigestMismatchError(expectedDigest, String((error as WireError).details.actual), NAME);
      }
      throw error;
    }
    return fromWire((await res.json()) as WireBlobInfo);
  }

  async open(digest: string): Promise<Readable> {
    const res = await this.existing(digest);
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  }

  async read(digest: string): Promise<Buffer> {
    return Buffer.from(await (await this.existing(digest)).arrayBuffer());
  }

  async stat(digest: string): Promise<BlobInfo | null> {
    if (!isSha256Hex(digest)) return null;
    const info = await this.http.json<{ info: WireBlobInfo | null }>('GET', `/internal/v1/blobs/${digest}/stat`);
    return info.info ? fromWire(info.info) : null;
  }

  async downloadUrl(digest: string, expiresSeconds: number): Promise<string | null> {
    if (!isSha256Hex(digest)) return null;
    const answer = await this.http.json<{ supported: boolean; url: string | null }>(
      'GET',
      `/internal/v1/blobs/${digest}/url?expires=${expiresSeconds}`,
    );
    return answer.supported ? answer.url : null;
  }

  async delete(digest: string): Promise<boolean> {
    if (!isSha256Hex(digest)) return false;
    return (await this.http.json<{ deleted: boolean }>('DELETE', `/internal/v1/blobs/${digest}`)).deleted;
  }

  /** The service streams one JSON object per line, so a large store is never one response in memory. */
  async *list(): AsyncIterable<BlobInfo> {
    const res = await this.http.send('GET', '/internal/v1/blobs');
    const lines = createInterface({
      input: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      crlfDelay: Infinity,
    });
    for await (const line of lines) if (line.trim()) yield fromWire(JSON.parse(line) as WireBlobInfo);
  }

  async close(): Promise<void> {}

  private async existing(digest: string): Promise<Response> {
    if (!isSha256Hex(digest)) throw new BlobNotFoundError(digest, NAME);
    try {
      return await this.http.send('GET', `/internal/v1/blobs/${digest}`);
    } catch (error) {
      if (codeOf(error) === 'blob-not-found') throw new BlobNotFoundError(digest, NAME);
      throw error;
    }
  }
}

/** The wire code of a typed error the blob service answered (InternalHttpClient rethrows it as a WireError). */
const codeOf = (error: unknown): string | undefined => (error instanceof WireError ? error.code : undefined);

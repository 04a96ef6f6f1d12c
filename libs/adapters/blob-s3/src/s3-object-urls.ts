/**
 * Presigned GET URLs of a bucket's objects, signed locally with the client's credentials and
 * region, for `openObject` (s3-object-stream.ts). The SDK's `getSignedUrl` runs the whole
 * command middleware (endpoint rules included) per URL; the endpoint of a bucket does not change,
 * so it is resolved once, from one URL the SDK builds, and each object's URL is then only a
 * signature (SigV4 query parameters) over that endpoint and the object's key.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3RequestPresigner, getSignedUrl } from '@aws-sdk/s3-request-presigner';

/** A key whose URL is the bucket's endpoint and path followed by the key itself (no character to escape). */
const PROBE_KEY = 'wharf-endpoint-probe';

interface Endpoint {
  protocol: string;
  hostname: string;
  port: number | undefined;
  host: string;
  /** The path before an object's key: `/<bucket>/` path-style, `/` virtual-hosted. */
  path: string;
}

export class S3ObjectUrls {
  private endpoint: Promise<Endpoint> | null = null;
  private readonly presigner: S3RequestPresigner;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {
    this.presigner = new S3RequestPresigner(client.config);
  }

  /** The protocol of the bucket's endpoint, `http:` or `https:`. */
  async protocol(): Promise<string> {
    return (await this.resolveEndpoint()).protocol;
  }

  /** A GET URL of `key`, valid for `expiresSeconds`. */
  async get(key: string, expiresSeconds: number): Promise<URL> {
    const endpoint = await this.resolveEndpoint();
    const signed = await this.presigner.presign(
      {
        method: 'GET',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: endpoint.port,
        path: endpoint.path + key.split('/').map(escapeUri).join('/'),
        headers: { host: endpoint.host },
        query: {},
      },
      { expiresIn: expiresSeconds },
    );
    const query = Object.entries(signed.query ?? {})
      .map(([name, value]) => `${escapeUri(name)}=${escapeUri(String(value))}`)
      .join('&');
    return new URL(`${endpoint.protocol}//${endpoint.host}${signed.path}?${query}`);
  }

  private resolveEndpoint(): Promise<Endpoint> {
    this.endpoint ??= getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: PROBE_KEY })).then(
      (signed) => {
        const url = new URL(signed);
        if (!url.pathname.endsWith(`/${PROBE_KEY}`)) throw new Error(`cannot tell the object path of ${url.origin}`);
        return {
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port === '' ? undefined : Number(url.port),
          host: url.host,
          path: url.pathname.slice(0, -PROBE_KEY.length),
        };
      },
      (error: unknown) => {
        this.endpoint = null; // a credential or endpoint lookup that failed is tried again next time
        throw error;
      },
    );
    return this.endpoint;
  }
}

/** RFC 3986 escaping as SigV4 canonicalises it (encodeURIComponent also leaves `!'()*`). */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

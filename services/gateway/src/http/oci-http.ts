/**
 * What an OCI distribution request says, read into the use cases' typed input, and how its
 * answers are sent (docs/architecture.md, "OCI distribution"). The blob upload routes and the
 * manifest PUT get their body as the request's stream (`OCI_STREAMED_BODY_ROUTES`, see
 * http-setup.ts): an upload is streamed into its session, never buffered, and a manifest is read
 * (at most MAX_OCI_MANIFEST_BYTES) only once the caller may push.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { InvalidUsageError, MAX_OCI_MANIFEST_BYTES, formatToken, parseAuthorization } from '@wharf/domain';
import { readBoundedBody } from './body-limits';
import type { ChunkRange, UploadState } from '../use-cases/oci/oci-pushes.use-cases';
import type { ManifestToSend } from '../use-cases/oci/oci-artifacts';
import type { BlobToSend } from '../use-cases/oci/oci-reads.use-cases';

const REPOSITORY = 'v2/:namespace/:name';
export const OCI_ROUTES = {
  root: 'v2',
  token: 'v2/token',
  catalog: 'v2/_catalog',
  manifest: `${REPOSITORY}/manifests/:reference`,
  blob: `${REPOSITORY}/blobs/:digest`,
  uploads: `${REPOSITORY}/blobs/uploads`,
  upload: `${REPOSITORY}/blobs/uploads/:id`,
  tags: `${REPOSITORY}/tags/list`,
  referrers: `${REPOSITORY}/referrers/:digest`,
} as const;

/** Routes (Fastify's patterns) whose body is handed over as the request's stream, unread. */
export const OCI_STREAMED_BODY_ROUTES: ReadonlySet<string> = new Set([
  `POST /${OCI_ROUTES.uploads}`,
  `PATCH /${OCI_ROUTES.upload}`,
  `PUT /${OCI_ROUTES.upload}`,
  `PUT /${OCI_ROUTES.manifest}`,
]);

export function isOciStreamedBody(request: FastifyRequest): boolean {
  const route = request.routeOptions?.url;
  return route !== undefined && OCI_STREAMED_BODY_ROUTES.has(`${request.method} ${route}`);
}

/** The request's body stream on a streamed route; null when the request has none. */
export function bodyStream(body: unknown): Readable | null {
  return body !== null && typeof body === 'object' && typeof (body as Readable).pipe === 'function'
    ? (body as Readable)
    : null;
}

/** A manifest body, read when the use case asks (after admission), at most MAX_OCI_MANIFEST_BYTES. */
export function manifestBody(body: unknown, contentLength: string | undefined): () => Promise<Buffer> {
  return async () => {
    const stream = bodyStream(body);
    return stream ? readBoundedBody(stream, contentLength, MAX_OCI_MANIFEST_BYTES) : Buffer.alloc(0);
  };
}

function queryValue(query: unknown, key: string): string | null {
  const value = (query as Record<string, unknown> | undefined)?.[key];
  if (value === undefined) return null;
  if (typeof value !== 'string') throw new InvalidUsageError(`'${key}' must be given once`, { field: key });
  return value;
}

export function ociQuery(query: unknown, key: 'digest' | 'mount' | 'from' | 'last' | 'artifactType'): string | null {
  return queryValue(query, key);
}

/** `n` of a tag listing: a non-negative integer, or null when absent. */
export function pageSize(query: unknown): number | null {
  const n = queryValue(query, 'n');
  if (n === null) return null;
  if (!/^[0-9]{1,9}$/.test(n)) throw new InvalidUsageError("'n' must be a non-negative integer", { field: 'n' });
  return Number(n);
}

/** `scope` of a token request: every value, and each may hold several scopes separated by spaces. */
export function tokenScopes(query: unknown): string[] {
  const value = (query as Record<string, unknown> | undefined)?.['scope'];
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return values.filter((v): v is string => typeof v === 'string').flatMap((v) => v.split(' ').filter(Boolean));
}

/** The API or registry token in the request's Authorization header, as the client sent it; null for a password or none. */
export function presentedToken(authorization: string | undefined): string | null {
  const credentials = parseAuthorization(authorization);
  if (credentials.kind === 'token') return formatToken(credentials.token);
  return credentials.kind === 'registry-token' ? credentials.text : null;
}

/** `Content-Range: <start>-<end>` of a chunk (the spec's form, no unit); null when absent. */
export function chunkRange(header: string | undefined): ChunkRange | null {
  if (header === undefined) return null;
  const match = /^(?:bytes[ =])?([0-9]{1,15})-([0-9]{1,15})(?:\/[0-9*]+)?$/.exec(header.trim());
  if (!match) throw new InvalidUsageError('Content-Range must be <start>-<end>', { field: 'content-range' });
  const range = { start: Number(match[1]), end: Number(match[2]) };
  if (range.end < range.start) throw new InvalidUsageError('Content-Range ends before it starts');
  return range;
}

/**
 * The answer of an upload in progress: where to send the next chunk and what is there, and the
 * smallest chunk but the last the store takes at no extra cost (`OCI-Chunk-Min-Length`, which the
 * spec has on the POST's answer; on every answer here, so a client resuming elsewhere sees it too).
 */
export function sendUploadState(reply: FastifyReply, state: UploadState, status: number): string {
  void reply
    .status(status)
    .header('location', `/v2/${state.repository}/blobs/uploads/${state.id}`)
    .header('range', `0-${Math.max(state.size - 1, 0)}`)
    .header('docker-upload-uuid', state.id)
    .header('content-length', 0);
  if (state.minChunkBytes > 0) void reply.header('oci-chunk-min-length', state.minChunkBytes);
  return '';
}

/** A blob that now exists under `digest`. */
export function sendBlobCreated(reply: FastifyReply, repository: string, digest: string): string {
  void reply
    .status(201)
    .header('location', `/v2/${repository}/blobs/${digest}`)
    .header('docker-content-digest', digest)
    .header('content-length', 0);
  return '';
}

/** A manifest, HEAD too: Fastify's HEAD sibling sends a Buffer's length and drops the bytes. */
export function sendManifest(reply: FastifyReply, manifest: ManifestToSend): Buffer {
  void reply
    .header('content-type', manifest.mediaType)
    .header('docker-content-digest', manifest.digest)
    .header('etag', `"${manifest.digest}"`);
  return manifest.body;
}

/**
 * A blob; for a HEAD an empty stream, because Fastify's HEAD sibling keeps the Content-Length
 * set here for a stream (and would put 0 for an empty string).
 */
export function sendBlob(reply: FastifyReply, blob: BlobToSend): Buffer | Readable | string {
  if (blob.location !== undefined) {
    // 307, as Distribution answers from S3: the client repeats the GET at the store's URL.
    void reply.status(307).header('location', blob.location).header('docker-content-digest', blob.digest);
    return '';
  }
  void reply.header('content-type', 'application/octet-stream').header('accept-ranges', 'bytes');
  void reply.header('docker-content-digest', blob.digest).header('etag', `"${blob.digest}"`);
  if (blob.range) {
    const { start, end, size } = blob.range;
    void reply.status(206).header('content-range', `bytes ${start}-${end}/${size}`);
    void reply.header('content-length', end - start + 1);
  } else void reply.header('content-length', blob.size);
  return blob.body ?? Readable.from([]);
}

export function isHead(request: FastifyRequest): boolean {
  return request.method === 'HEAD';
}

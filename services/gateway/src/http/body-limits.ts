/**
 * How much of a request body the gateway reads, and when (issue 15, item 5: anonymous callers
 * could make the server buffer 100 MiB per request on any route).
 *
 * - Every route but the uploads reads at most `maxAccountBodyBytes` (16 KiB): account, login,
 *   channel, visibility and limits bodies are a few hundred bytes.
 * - The upload routes (`UPLOAD_ROUTES`, the OCI blob uploads and manifest PUTs among them) read nothing until the caller is authenticated and holds
 *   `write` on the namespace (`admitUploadBody`, a Fastify `preParsing` hook, since the Nest guard
 *   runs only after the body is read), and then at most what the namespace's own
 *   `max_blob_bytes` can need (`uploadBodyLimit`), never more than `maxBodyBytes`.
 * - Still before a byte is read, an upload takes its uploader's slot (UploadSlots: 429 past the
 *   uploader's queue) and reserves its body's bound in the server-wide budget (UploadBytesInFlight:
 *   503 past the queue), and gives both back exactly once when its answer is sent or the client
 *   goes away (`UploadLease`), on every path: success, 4xx, 5xx, the body reader's 413, abort.
 *   A chunk or the end of an OCI upload reserves, beside its body, the bytes of the session its
 *   store holds in memory to take it (`UploadSessionStore.heldBytes`: on S3, the tail read back
 *   to fill a part, up to a part), so concurrent small chunks cannot step around the budget.
 * - A declared `Content-Length` over the limit is refused by `admitUploadBody` before a byte is
 *   read (and before a slot or bytes are taken); a chunked body is read until it passes the limit,
 *   then refused: by `readBoundedBody`, or for the bodies the /v2 routes stream by `boundedStream`.
 *   Either way: 413 `payload-too-large` (`SIZE_INVALID` on /v2), nothing stored.
 * - A refused body is never kept: Node discards the rest as it arrives and the connection stays
 *   open (`keepRefusedConnectionsOpen`). Closing it at once would reset a client that is still
 *   sending, which then never reads the answer (seen with fetch and Node's http client).
 * - Nor is a body the route stopped reading: an answer sent before its request's body came to its
 *   end (an OCI chunk refused on what its session says, 404 or 416, before a byte is read; a
 *   stream given up half-way) drops the rest as it arrives (`dropUnreadBody`). Left piped into a
 *   stream nobody reads, it would pause the socket: the next request a client sends on the
 *   kept-alive connection would never be read, and the connection be reset at the keep-alive
 *   timeout (72 s).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { Caller, MAX_OCI_MANIFEST_BYTES, MAX_PROVENANCE_BYTES } from '@wharf/domain';
import { PayloadTooLargeError } from '@wharf/http';
import type { WharfConfig } from '@wharf/config';
import type { AdmittedPush } from '../auth/push-admission';
import { uploaderOf } from '../auth/upload-slots';

/** The routes whose bodies carry an archive (Fastify's route patterns, after the prefix rewrite). */
export const UPLOAD_ROUTES = {
  apprPush: 'POST /api/v1/packages/:namespace/:package',
  chartUpload: 'POST /api/:namespace/charts',
  chartUploadUnderHelm: 'POST /helm/api/:namespace/charts',
  ociUploadStart: 'POST /v2/:namespace/:name/blobs/uploads',
  ociUploadChunk: 'PATCH /v2/:namespace/:name/blobs/uploads/:id',
  ociUploadEnd: 'PUT /v2/:namespace/:name/blobs/uploads/:id',
  ociManifest: 'PUT /v2/:namespace/:name/manifests/:reference',
} as const;

/** `oci-blob`: a blob's bytes, raw (the OCI routes stream them, http/oci-http.ts); `oci-manifest`: a manifest. */
type UploadKind = 'appr' | 'chart' | 'oci-blob' | 'oci-manifest';

const UPLOAD_KIND: ReadonlyMap<string, UploadKind> = new Map([
  [UPLOAD_ROUTES.apprPush, 'appr'],
  [UPLOAD_ROUTES.chartUpload, 'chart'],
  [UPLOAD_ROUTES.chartUploadUnderHelm, 'chart'],
  [UPLOAD_ROUTES.ociUploadStart, 'oci-blob'],
  [UPLOAD_ROUTES.ociUploadChunk, 'oci-blob'],
  [UPLOAD_ROUTES.ociUploadEnd, 'oci-blob'],
  [UPLOAD_ROUTES.ociManifest, 'oci-manifest'],
]);

/**
 * Room in an upload body for everything but the archive (and the push's `metadata`): the other
 * JSON fields and whitespace, multipart boundaries and part headers.
 */
export const ENVELOPE_ALLOWANCE_BYTES = 64 * 1024;

/** Where `admitUploadBody` leaves the admitted bound for the body reader. */
const BODY_LIMIT = Symbol('wharf.bodyLimit');
/** Where `admitUploadBody` leaves what the upload holds, for `releaseUpload`. */
const LEASE = Symbol('wharf.uploadLease');
type RequestWithLimit = FastifyRequest & { [BODY_LIMIT]?: number; [LEASE]?: UploadLease };

/**
 * What one upload holds (its uploader's slot, its bytes in flight) until its answer is sent or
 * its client goes away. `release` gives everything back once, however often it is called, and
 * aborts a wait still under way; what is acquired after that is given back at once.
 */
export class UploadLease {
  private readonly releases: (() => void)[] = [];
  private readonly abort = new AbortController();

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Keeps `release` for later, or calls it now if the lease was already released. */
  hold(release: () => void): void {
    if (this.abort.signal.aborted) return release();
    this.releases.push(release);
  }

  release(): void {
    if (this.abort.signal.aborted) return;
    this.abort.abort(new Error('the upload ended before it was admitted'));
    for (const release of this.releases.splice(0)) release();
  }
}

export function uploadKindOf(request: FastifyRequest): UploadKind | null {
  const route = request.routeOptions?.url;
  return route === undefined ? null : (UPLOAD_KIND.get(`${request.method} ${route}`) ?? null);
}

/**
 * The largest body an upload of an archive of at most `maxBlobBytes` needs: the appr push sends
 * the archive in base64 (4 bytes per 3) next to its `metadata`; a chart upload sends it raw,
 * perhaps with a provenance file, in a multipart form.
 */
export function uploadBodyLimit(kind: UploadKind, maxBlobBytes: number, config: WharfConfig): number {
  return Math.min(bodyNeeded(kind, maxBlobBytes, config), config.http.maxBodyBytes);
}

function bodyNeeded(kind: UploadKind, maxBlobBytes: number, config: WharfConfig): number {
  switch (kind) {
    case 'appr':
      return Math.ceil(maxBlobBytes / 3) * 4 + config.push.maxMetadataBytes + ENVELOPE_ALLOWANCE_BYTES;
    case 'chart':
      return maxBlobBytes + MAX_PROVENANCE_BYTES + ENVELOPE_ALLOWANCE_BYTES;
    case 'oci-blob':
      return maxBlobBytes;
    case 'oci-manifest':
      return MAX_OCI_MANIFEST_BYTES;
    default: {
      const unknown: never = kind;
      return unknown;
    }
  }
}

/** What the upload gate asks of the gateway's auth services (CallerGuard, PushAdmission, UploadSlots, UploadBytesInFlight). */
export interface UploadGate {
  /** The request's caller, authenticated and rate-limited once per request (401/429 otherwise). */
  callerOf(request: FastifyRequest): Promise<Caller>;
  admit(caller: Caller, namespace: string): Promise<AdmittedPush>;
  /** The uploader's slot (UploadSlots.acquire): 429 past its queue. */
  takeSlot(uploader: string, signal: AbortSignal): Promise<() => void>;
  /** Room for `bytes` of body (UploadBytesInFlight.acquire): 503 past its queue. */
  reserveBytes(bytes: number, signal: AbortSignal): Promise<() => void>;
  /** What the upload session's store holds in memory beside a chunk (UploadSessionStore.heldBytes). */
  sessionHeldBytes(repository: string, id: string): Promise<number>;
}

/**
 * `preParsing` for every route: on an upload route, authenticates the caller and checks `write`
 * on the namespace before the body is read (401/403 otherwise, the body unread), sets the
 * body's bound from the namespace's blob size limit, then takes the uploader's slot and reserves
 * the body's bytes (waiting for either; 429/503 past their queues, the body unread). The caller
 * is resolved by the CallerGuard's own `callerOf` (credentials, the failure budget, the rate
 * limits), which leaves it on the request, so the guard does not count the request twice when
 * the route runs. What the upload holds is given back when the response closes (sent, or the
 * connection gone), or earlier by `releaseUpload` (the `onResponse` and `onRequestAbort` hooks).
 */
export function admitUploadBody(gate: () => UploadGate, config: WharfConfig) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: Readable): Promise<Readable> => {
    const kind = uploadKindOf(request);
    if (kind === null) return payload;
    // Before the first await, so a client that goes away while the caller is checked still ends the lease.
    const lease = new UploadLease();
    (request as RequestWithLimit)[LEASE] = lease;
    reply.raw.once('close', () => lease.release());
    if (request.socket.destroyed) lease.release();
    const { callerOf, admit } = gate();
    const caller = await callerOf(request);
    const namespace = (request.params as { namespace: string }).namespace;
    const admitted = await admit(caller, namespace);
    const limit = uploadBodyLimit(kind, admitted.maxBlobBytes, config);
    (request as RequestWithLimit)[BODY_LIMIT] = limit;
    // Past the bound: refused here, before a byte is read, so nothing needs a slot or a reservation.
    const declared = Number(request.headers['content-length'] ?? NaN);
    if (declared > limit) throw new PayloadTooLargeError(limit);
    // The slot first: an uploader over its share waits without holding room in the server-wide budget.
    lease.hold(await gate().takeSlot(uploaderOf(caller, request.ip), lease.signal));
    const held = await heldBySession(request, gate());
    lease.hold(await gate().reserveBytes((declared >= 0 ? declared : limit) + held, lease.signal));
    return payload;
  };
}

/** For a chunk or the end of an OCI upload, the bytes its session's store holds in memory beside the body. */
function heldBySession(request: FastifyRequest, gate: UploadGate): Promise<number> {
  const route = `${request.method} ${request.routeOptions?.url}`;
  if (route !== UPLOAD_ROUTES.ociUploadChunk && route !== UPLOAD_ROUTES.ociUploadEnd) return Promise.resolve(0);
  const { namespace, name, id } = request.params as { namespace: string; name: string; id: string };
  return gate.sessionHeldBytes(`${namespace}/${name}`, id);
}

/** Gives back what `admitUploadBody` took for this request, if anything (idempotent). */
export function releaseUpload(request: FastifyRequest): void {
  (request as RequestWithLimit)[LEASE]?.release();
}

/**
 * `onSend`: undoes the `Connection: close` Fastify adds when a body parser fails, for the 413s
 * (see the file's header); the body's framing is Node's, so what follows is never read as a
 * request.
 */
export async function keepRefusedConnectionsOpen(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (reply.statusCode === 413) reply.removeHeader('connection');
}

/**
 * `onSend`: when the answer goes before the request's body was read to its end, the rest is read
 * and dropped (see the file's header), so the connection is free for the client's next request.
 * A body that was read whole, or none, is left as it is.
 */
export async function dropUnreadBody(request: FastifyRequest): Promise<void> {
  const raw = request.raw;
  if (raw.readableEnded || raw.destroyed) return;
  // Whatever it was piped into (the bounded stream, a store's reader) reads no more of it.
  raw.unpipe();
  raw.resume();
}

/** The bound on this request's body: the admitted upload bound, or the small one of every other route. */
export function bodyLimitOf(request: FastifyRequest, config: WharfConfig): number {
  return (request as RequestWithLimit)[BODY_LIMIT] ?? config.http.maxAccountBodyBytes;
}

/**
 * `payload` as a stream that fails with PayloadTooLargeError as soon as more than `limit` bytes
 * came (a streamed /v2 body: its reader stores nothing of a failed stream). Errors of `payload`
 * (a client gone mid-body) are passed on.
 */
export function boundedStream(payload: Readable, limit: number): Readable {
  let received = 0;
  const bounded = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (received > limit) done(new PayloadTooLargeError(limit));
      else done(null, chunk);
    },
  });
  payload.on('error', (error) => bounded.destroy(error));
  // Unpiping pauses the request: resume it, so the rest of the body is read and dropped and the
  // connection is free for the 413 and the next request, as for a body refused before reading.
  bounded.on('error', () => {
    payload.unpipe(bounded);
    payload.resume();
  });
  return payload.pipe(bounded);
}

/**
 * Reads a whole body of at most `limit` bytes: refused (PayloadTooLargeError) before reading
 * when `contentLength` says more, or as soon as more arrives. The stream's own error (a client
 * that went away mid-body) is passed on as it is.
 */
export function readBoundedBody(payload: Readable, contentLength: string | undefined, limit: number): Promise<Buffer> {
  const declared = contentLength === undefined ? NaN : Number(contentLength);
  if (declared > limit) return Promise.reject(new PayloadTooLargeError(limit));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        stop();
        chunks.length = 0;
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, received));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.resume();
  });
}

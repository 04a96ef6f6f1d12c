import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import type { StreamedJson } from '../presenters/appr.presenter';
import type { ArchiveToSend, HeldBlobs } from '../use-cases/read-package/archive-reads';

/** A year: the longest `max-age` caches are asked to honour (RFC 9111 §5.2.2.1, common practice). */
const IMMUTABLE_MAX_AGE_SECONDS = 31_536_000;

/**
 * Raw archive responses as the reference server sends them: `application/x-gzip`, and the bare
 * filename as Content-Disposition. Filenames are built from validated names and releases only,
 * so they cannot carry quotes, separators or line breaks.
 */
export function sendArchive<T extends Buffer | Readable>(reply: FastifyReply, filename: string, bytes: T): T {
  void reply.header('content-type', 'application/x-gzip').header('content-disposition', filename);
  return bytes;
}

/**
 * A raw pull or blob download, with the validators the reference server lacks (additions, not
 * changes, to its shapes): `ETag` is the digest of the bytes (strong: equal digests are equal
 * bytes), `If-None-Match` holding it answers 304 without a body. A blob asked by the digest of
 * its bytes never changes, so it is `immutable`; `private` when the package is not public, so
 * no shared cache keeps it. A streamed body carries its length from the release.
 */
export function sendBlobArchive(reply: FastifyReply, archive: ArchiveToSend): Buffer | NodeJS.ReadableStream | string {
  void reply.header('etag', blobEtag(archive.blobDigest));
  if (archive.immutable) {
    void reply.header(
      'cache-control',
      `${archive.view.visibility === 'public' ? '' : 'private, '}max-age=${IMMUTABLE_MAX_AGE_SECONDS}, immutable`,
    );
  }
  if (archive.body === null) {
    void reply.status(304);
    return '';
  }
  if (!Buffer.isBuffer(archive.body)) void reply.header('content-length', archive.manifest.size);
  void reply.header('content-type', 'application/x-gzip').header('content-disposition', archive.filename);
  return archive.body;
}

export function blobEtag(blobDigest: string): string {
  return `"sha256:${blobDigest}"`;
}

/**
 * The blobs an `If-None-Match` header says the client holds (RFC 9110 §13.1.2: weak
 * comparison, a list of entity tags, or `*` for whatever the URL names).
 */
export function heldBlobs(ifNoneMatch: string | string[] | undefined): HeldBlobs {
  const header = Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch;
  if (!header) return () => false;
  if (header.trim() === '*') return () => true;
  const tags = new Set(header.split(',').map((tag) => tag.trim().replace(/^W\//, '')));
  return (blobDigest) => tags.has(blobEtag(blobDigest));
}

/** A pull answered with the blob store's own short-lived URL (WHARF_PULL_REDIRECT). */
export function redirectTo(reply: FastifyReply, location: string): string {
  void reply.status(302).header('location', location);
  return '';
}

/** A JSON body: an object as Nest serialises it, or JSON text streamed with its length (a JSON pull of a large blob). */
export function sendJson<T extends object>(reply: FastifyReply, body: T | StreamedJson): T | Readable {
  if (!isStreamedJson(body)) return body;
  void reply.header('content-type', 'application/json; charset=utf-8').header('content-length', body.length);
  return body.stream;
}

function isStreamedJson(body: object): body is StreamedJson {
  return 'stream' in body && 'length' in body && typeof (body as StreamedJson).stream?.pipe === 'function';
}

import type { Readable } from 'node:stream';

export const UPLOAD_SESSIONS = Symbol('UploadSessions');

/** An OCI blob upload in progress: bytes received so far, not yet a blob. */
export interface UploadSession {
  /** Opaque, URL-safe (it is the last segment of the upload's `Location`). */
  id: string;
  /** The OCI repository (`ns/name`) the upload was started in; another repository's request never finds it. */
  repository: string;
  /** Bytes received so far: the next chunk must start here. */
  size: number;
  startedAt: Date;
}

/** No session with that id in that repository (never started, finished, cancelled or expired). */
export class UploadSessionNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`upload session ${id} not found`);
    this.name = 'UploadSessionNotFoundError';
  }
}

/** A chunk that does not start where the session's bytes end. Nothing was written. */
export class UploadOffsetMismatchError extends Error {
  constructor(
    readonly id: string,
    readonly expected: number,
    readonly given: number,
  ) {
    super(`upload session ${id} is at ${expected}, the chunk starts at ${given}`);
    this.name = 'UploadOffsetMismatchError';
  }
}

/** The session would grow past the bound its caller gave. The chunk was not kept. */
export class UploadTooLargeError extends Error {
  constructor(
    readonly id: string,
    readonly maxBytes: number,
  ) {
    super(`upload session ${id} would exceed ${maxBytes} bytes`);
    this.name = 'UploadTooLargeError';
  }
}

/** The check of `UploadSessionStore.holders`' `limit`, the same in every adapter. */
export function assertHoldersLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`holders: limit must be a positive integer, not ${limit}`);
}

/**
 * Where the OCI distribution API keeps blob uploads between requests (POST, PATCH..., PUT): the
 * bytes of a session arrive in chunks, possibly at different gateways, and only become a blob
 * (BlobStore.put, digest verified) when the client closes the upload. Bytes are streamed in and
 * out, never held whole in memory.
 *
 * Embedded: files under the data directory (upload-sessions-fs). Distributed: S3 multipart
 * uploads with their state in MongoDB (upload-sessions-s3), so a session survives a gateway and
 * every replica takes its next chunk.
 *
 * When its engine cannot be reached, every method rejects with DependencyUnavailableError.
 */
export interface UploadSessionStore {
  /**
   * The smallest chunk but the last that the store takes at no extra cost, in bytes (0: any size),
   * what the OCI API advertises as `OCI-Chunk-Min-Length`. Smaller chunks are taken too (the
   * last chunk of an upload may be any size, and a server cannot tell a chunk is the last).
   */
  readonly minChunkBytes: number;

  /**
   * The most bytes of the session, beyond a chunk's own, that `append` or `open` holds in memory
   * (bytes kept outside the session's whole parts that they read back), so the caller can count
   * them against its memory budget before sending a chunk; 0 for an unknown session.
   */
  heldBytes(repository: string, id: string): Promise<number>;

  /**
   * A new, empty session in `repository`. A store may keep nothing of it until its first chunk or
   * its seal (the id carrying it, verifiably), so a whole-blob PUT costs no write at the POST; such
   * a session is found at every store on the same storage all the same (a restart, a replica).
   */
  start(repository: string): Promise<UploadSession>;

  /**
   * The session, or null when it does not exist in `repository`: a malformed or forged id, another
   * repository's, one finished (removed), cancelled or expired (never a new session again).
   */
  get(repository: string, id: string): Promise<UploadSession | null>;

  /**
   * Appends `content` at `offset`, which must be the session's size (UploadOffsetMismatchError
   * otherwise, the content left unread). All or nothing: when the stream fails, or the session
   * would pass `maxBytes` (UploadTooLargeError), the session keeps the size it had. Chunks of one
   * session are appended one at a time, in the order their calls arrive. Resolves with the
   * session once its bytes are durable. UploadSessionNotFoundError for an unknown session, and
   * for one already opened. Across processes (replicas), of two chunks from the same size one is
   * kept and the other is an UploadOffsetMismatchError.
   */
  append(repository: string, id: string, offset: number, content: Readable, maxBytes: number): Promise<UploadSession>;

  /**
   * The session's bytes from the first, streamed, to finish the upload: the session is sealed, it
   * takes no more chunks (append: UploadSessionNotFoundError). Opening it again (a retried finish,
   * another gateway after a crash) streams the same bytes. UploadSessionNotFoundError for an
   * unknown session.
   */
  open(repository: string, id: string): Promise<Readable>;

  /**
   * Seals the session, as `open` does, for a caller that finishes the upload without its bytes
   * (a PUT carrying the whole blob into an empty session): it takes no more chunks (append:
   * UploadSessionNotFoundError). Resolves with the session as sealed (its final size) to one
   * caller only: UploadSessionNotFoundError for an unknown session and for one sealed already
   * (opened, or sealed by another caller), across processes (replicas) too.
   */
  seal(repository: string, id: string): Promise<UploadSession>;

  /** Removes the session and its bytes; false when there was none. */
  delete(repository: string, id: string): Promise<boolean>;

  /**
   * Records that an upload into `repository` stored blob `digest` (hex), so the repository serves
   * it before any manifest references it (distribution's repository links). Idempotent. A link
   * says nothing about the blob store: the blob may have been collected since.
   */
  link(repository: string, digest: string): Promise<void>;

  /** True when `repository` has a link to `digest`. */
  linked(repository: string, digest: string): Promise<boolean>;

  /** Removes the link; false when there was none. The blob itself is the garbage collector's. */
  unlink(repository: string, digest: string): Promise<boolean>;

  /**
   * Links blob `digest` (sha256 hex, the store's key) to `repository` as `link` does, and
   * records that `alias` (a digest of another algorithm, `sha512:<128 hex>`, which the caller
   * verified against the same bytes) names it there. Idempotent; a later call for the same alias
   * replaces its target. Error for an alias that is not `sha512:<128 lowercase hex>`.
   */
  linkAlias(repository: string, alias: string, digest: string): Promise<void>;

  /** The sha256 hex `alias` names in `repository`, or null (no such alias, or a malformed one). */
  resolveAlias(repository: string, alias: string): Promise<string | null>;

  /** Removes the alias (not the sha256 link it names); false when there was none. */
  unlinkAlias(repository: string, alias: string): Promise<boolean>;

  /**
   * The repositories that hold `digest` (`sha256:<hex>`: a link; `sha512:<hex>`: an alias), for a
   * cross-repository mount that names no repository (`?mount=` without `from`): at most `limit`
   * of them, each one that held it when read (a `link`/`linkAlias` that resolved, and not undone
   * by `unlink`/`unlinkAlias` that resolved before this call), in an order that is the store's
   * own and the same on every call (a smaller `limit` gives a prefix of a larger one's answer,
   * when nothing changed between). Empty for a digest held nowhere and for a malformed one.
   * RangeError for a `limit` that is not a positive integer.
   *
   * It says nothing about who may read those repositories, nor about the blob store (as `link`):
   * the caller checks both for each candidate before it serves one. A link outlives its
   * repository (deleting a package unlinks nothing), so a candidate may name a repository that no
   * longer exists: the caller's read of it decides, as for any read of that name. Links written
   * before the store kept this lookup may be missing from it (see each adapter): such a blob is
   * only not found, never wrongly found.
   */
  holders(digest: string, limit: number): Promise<string[]>;

  /**
   * Removes every session whose last activity (its start, or its last chunk kept) is before
   * `before` (abandoned uploads), and whatever bytes of removed sessions are left in storage;
   * returns how many sessions that held bytes or a seal (a store that keeps nothing of an empty
   * session may count it or not, but it is gone all the same: at this store from then on, and at
   * every store once it is older than the age the store was given). A session that keeps
   * receiving chunks is never expired.
   */
  expire(before: Date): Promise<number>;

  close(): Promise<void>;
}

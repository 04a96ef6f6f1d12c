import type { Readable } from 'node:stream';

export const BLOB_STORE = Symbol('BlobStore');

export interface BlobInfo {
  /** Lowercase hex sha256 of the bytes. */
  digest: string;
  size: number;
  /**
   * When the bytes were last stored. A put of bytes already there refreshes it, so a blob that
   * a push is about to reference again is never older than the garbage collector's grace period.
   */
  storedAt?: Date;
}

/** Bytes `start` to `end` of a blob, both inclusive and counted from 0, as an HTTP `Range` names them. */
export interface BlobByteRange {
  start: number;
  end: number;
}

/**
 * Throws a RangeError unless `range` is well formed: whole numbers, `0 <= start <= end`. Every
 * adapter checks a range given to `open` with it before it opens anything.
 */
export function checkBlobByteRange(range: BlobByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start)
    throw new RangeError(`blob range ${start}-${end}: want whole numbers with 0 <= start <= end`);
}

/** The digest given does not name a stored blob. */
export class BlobNotFoundError extends Error {
  constructor(
    readonly digest: string,
    readonly store: string,
  ) {
    super(`${store}: blob ${digest} not found`);
    this.name = 'BlobNotFoundError';
  }
}

/** The bytes received do not hash to the digest the caller announced. */
export class BlobDigestMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly store: string,
  ) {
    super(`${store}: expected digest ${expected}, content hashes to ${actual}`);
    this.name = 'BlobDigestMismatchError';
  }
}

/**
 * Content-addressed blob storage: a blob's key is the sha256 of its own bytes. Only the blob
 * service talks to it.
 *
 * When its engine cannot be reached or is overloaded, every method rejects with
 * DependencyUnavailableError (dependency-unavailable.ts): callers wait and retry that, and treat
 * any other error as a fault.
 * A stream a method returned fails mid-way with its driver's own error.
 */
export interface BlobStore {
  /**
   * Stores the bytes under their sha256. The content becomes visible under its digest only
   * once complete (written elsewhere, then moved or committed), so a reader never sees a partial
   * blob. Idempotent: storing bytes that are already there succeeds and changes nothing but
   * their `storedAt`.
   * With `expectedDigest`, throws BlobDigestMismatchError and stores nothing when the content
   * hashes differently.
   */
  put(content: Buffer | Readable, expectedDigest?: string): Promise<BlobInfo>;

  /**
   * A stream of the blob's bytes. Throws BlobNotFoundError.
   *
   * With `range`, only bytes `range.start` to `range.end` (inclusive), and the store reads no
   * byte before `start` (a file read from an offset, an S3 ranged GET): a client asking for a
   * blob's last byte costs one byte, not the blob. An `end` past the blob's last byte stops at
   * the last byte. A malformed range (checkBlobByteRange), or one whose `start` is not below the
   * blob's size (an empty blob has no satisfiable range), rejects with a RangeError and opens
   * nothing; callers resolve a client's range against the blob's size first
   * (libs/domain/src/oci/byte-range.ts).
   */
  open(digest: string, range?: BlobByteRange): Promise<Readable>;

  /**
   * The whole blob in memory. Throws BlobNotFoundError. The buffer may be shared with other
   * readers (a store may keep it in memory, see blob-cache): callers must not modify it.
   */
  read(digest: string): Promise<Buffer>;

  /** Size of a stored blob, or null when absent. */
  stat(digest: string): Promise<BlobInfo | null>;

  /** Removes the blob; returns false when it was absent. Never fails for an absent blob. */
  delete(digest: string): Promise<boolean>;

  /**
   * Optional: a URL from which a client can download the blob directly for `expiresSeconds`
   * (an S3 presigned URL), or null when the blob is absent. Stores that cannot hand out such
   * URLs do not implement it; callers then serve the bytes themselves.
   */
  downloadUrl?(digest: string, expiresSeconds: number): Promise<string | null>;

  /** Every stored blob, in no particular order. Blobs being written are not listed. */
  list(): AsyncIterable<BlobInfo>;

  close(): Promise<void>;
}

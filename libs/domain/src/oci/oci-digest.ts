/**
 * Digests as the OCI distribution API writes them (`<algorithm>:<hex>`): the one parser, over
 * Wharf's own rule (digest.ts: 64 lowercase hex characters for sha256). The stores key content by
 * its sha256 (the blob store, the references, the events), so a sha256 digest is the key itself.
 * A sha512 digest (128 lowercase hex characters) is taken for blobs: it names content that is kept
 * under its sha256, through a link of the repository that uploaded it (UploadSessionStore's
 * aliases). Anything else is DIGEST_INVALID, never a path into a store.
 */
import { DigestInvalidError } from '../errors';
import { isSha256Hex, isSha512Hex } from '../digest';

export type OciDigestAlgorithm = 'sha256' | 'sha512';

/** A digest read from a request: its algorithm, its hex, and its text (`<algorithm>:<hex>`). */
export interface OciDigest {
  algorithm: OciDigestAlgorithm;
  hex: string;
  text: string;
}

/** Any digest the API takes, sha256 or sha512; DigestInvalidError otherwise. */
export function parseAnyOciDigest(text: string): OciDigest {
  const colon = text.indexOf(':');
  if (colon < 0) throw new DigestInvalidError(text, 'expected <algorithm>:<hex>');
  const algorithm = text.slice(0, colon);
  const hex = text.slice(colon + 1);
  if (algorithm === 'sha256') {
    if (!isSha256Hex(hex)) throw new DigestInvalidError(text, 'expected 64 lowercase hex characters');
    return { algorithm, hex, text };
  }
  if (algorithm === 'sha512') {
    if (!isSha512Hex(hex)) throw new DigestInvalidError(text, 'expected 128 lowercase hex characters');
    return { algorithm, hex, text };
  }
  throw new DigestInvalidError(text, `algorithm '${algorithm}' is not supported`);
}

/** `parseAnyOciDigest`'s digest, or null where it would throw: for lookups that answer "none" to a malformed digest. */
export function ociDigestOrNull(text: string): OciDigest | null {
  try {
    return parseAnyOciDigest(text);
  } catch {
    return null;
  }
}

/** The hex of a sha256 digest `sha256:<hex>` (a store key); DigestInvalidError for anything else, sha512 included. */
export function parseOciDigest(text: string): string {
  const digest = parseAnyOciDigest(text);
  if (digest.algorithm !== 'sha256')
    throw new DigestInvalidError(text, `algorithm '${digest.algorithm}' is taken for blobs only`);
  return digest.hex;
}

/** True when `reference` is a digest rather than a tag (tags may not contain ':'). */
export function isOciDigestReference(reference: string): boolean {
  return reference.includes(':');
}

// Beside the digest rule (digest.ts), so the package's helm manifests use them without importing oci/.
export { ociDigestOf, sha256HexOf } from '../digest';

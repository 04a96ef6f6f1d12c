/**
 * Digests as the OCI distribution API writes them (`sha256:<hex>`), over Wharf's own rule
 * (digest.ts: 64 lowercase hex characters). Only sha256 is taken for now; anything else is
 * DIGEST_INVALID, never a path into a store.
 */
import { createHash } from 'node:crypto';
import { DigestInvalidError } from '../errors';
import { isSha256Hex } from '../digest';

/** The hex of an OCI digest `sha256:<hex>`; DigestInvalidError otherwise. */
export function parseOciDigest(text: string): string {
  const colon = text.indexOf(':');
  if (colon < 0) throw new DigestInvalidError(text, 'expected <algorithm>:<hex>');
  const algorithm = text.slice(0, colon);
  const hex = text.slice(colon + 1);
  if (algorithm !== 'sha256') throw new DigestInvalidError(text, `algorithm '${algorithm}' is not supported`);
  if (!isSha256Hex(hex)) throw new DigestInvalidError(text, 'expected 64 lowercase hex characters');
  return hex;
}

/** True when `reference` is a digest rather than a tag (tags may not contain ':'). */
export function isOciDigestReference(reference: string): boolean {
  return reference.includes(':');
}

export function ociDigestOf(hex: string): string {
  return `sha256:${hex}`;
}

export function sha256HexOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

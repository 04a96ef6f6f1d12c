/**
 * How Wharf writes a digest: a sha256 as 64 lowercase hex characters, without the `sha256:`
 * prefix (as appr's `content.digest` and blob URLs carry it). Every store checks a digest with
 * this before building a key or path from it, so no digest can name anything outside the store.
 */
import { createHash } from 'node:crypto';

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Every run of 64 hex characters in a text, for finding digests in records that need not parse. */
export function sha256HexRuns(text: string): string[] {
  return text.toLowerCase().match(new RegExp(SHA256_HEX.source.slice(1, -1), 'g')) ?? [];
}

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

const SHA512_HEX = /^[0-9a-f]{128}$/;

/** A sha512 digest's hex: 128 lowercase hex characters (OCI's `sha512:` digests). */
export function isSha512Hex(value: string): boolean {
  return SHA512_HEX.test(value);
}

/** A sha256 digest as OCI writes it: `sha256:<hex>`. */
export function ociDigestOf(hex: string): string {
  return `sha256:${hex}`;
}

/** The sha256 of the bytes, as 64 lowercase hex characters. */
export function sha256HexOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

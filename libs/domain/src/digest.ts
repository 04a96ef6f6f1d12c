/**
 * How Wharf writes a digest: a sha256 as 64 lowercase hex characters, without the `sha256:`
 * prefix (as appr's `content.digest` and blob URLs carry it). Every store checks a digest with
 * this before building a key or path from it, so no digest can name anything outside the store.
 */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

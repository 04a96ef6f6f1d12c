/**
 * Minting API tokens: a random id (where the hash is kept) and a random 256-bit secret, of which
 * only the SHA-256 is stored. Checking one compares hashes in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiToken, TokenRecord, formatToken, isLive } from '@wharf/domain';

export interface MintedToken {
  /** The whole token, shown to its owner once. */
  text: string;
  id: string;
  secretHash: string;
}

export function mintToken(account: string): MintedToken {
  const token: ApiToken = {
    account,
    id: randomBytes(8).toString('hex'),
    secret: randomBytes(32).toString('base64url'),
  };
  return { text: formatToken(token), id: token.id, secretHash: hashSecret(token.secret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The live token record matching `token`, or undefined. */
export function matchToken(records: readonly TokenRecord[], token: ApiToken, now: string): TokenRecord | undefined {
  const record = records.find((r) => r.id === token.id);
  if (!record || !isLive(record, now)) return undefined;
  const expected = Buffer.from(record.secretHash, 'hex');
  const actual = Buffer.from(hashSecret(token.secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? record : undefined;
}

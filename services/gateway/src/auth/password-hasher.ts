/**
 * Password hashing with scrypt (memory-hard, in node:crypto): N=2^15, r=8, p=1 takes 32 MiB
 * and a few tens of milliseconds per hash. Stored as `scrypt$<N>$<r>$<p>$<salt>$<hash>`
 * (base64url), so the parameters can be raised later without invalidating old hashes.
 * Callers bound how many hashes run at once (PasswordHashPool); these functions do not.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const MAX_MEMORY = 128 * N * R * 2;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize('NFC'),
      salt,
      KEY_BYTES,
      { N: n, r, p, maxmem: Math.max(MAX_MEMORY, 128 * n * r * 2) },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** False for a wrong password and for a hash this code cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, cost, blockSize, parallelism, salt, hash] = parts as [string, string, string, string, string, string];
  const [n, r, p] = [cost, blockSize, parallelism].map(Number) as [number, number, number];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), n, r, p);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

let placeholder: Promise<string> | undefined;

/**
 * Costs what `verifyPassword` against a real hash costs, and answers false: the check for an
 * account that does not exist or has no password, so the time of an answer does not tell
 * which accounts exist. The placeholder hash (of a random password nobody knows) is made once
 * per process; `preparePlaceholder` makes it ahead, so the first unknown name is not slower.
 */
export async function verifyAgainstPlaceholder(password: string): Promise<false> {
  await verifyPassword(password, await preparePlaceholder());
  return false;
}

export function preparePlaceholder(): Promise<string> {
  placeholder ??= hashPassword(randomBytes(24).toString('base64url'));
  return placeholder;
}

/**
 * The BlobStore port's two errors (`BlobNotFoundError`, `BlobDigestMismatchError` in
 * libs/ports/src/blob-store.port.ts) as the blob service's internal API answers them.
 * `blob-http-client` throws the port's errors again from these codes. Only the port defines the
 * errors; this is their form on the wire, so that a missing blob is a 404 there and nowhere else
 * (in the gateway it is still an unexpected failure, logged with its stack).
 */
import { printable } from '@wharf/domain';
import { WireError } from './wire-error';

/** No stored blob has this digest. */
export function blobNotStored(digest: string): WireError {
  return new WireError('blob-not-found', `blob ${printable(digest, 80)} is not stored`, {
    digest: printable(digest, 80),
  });
}

/** The bytes sent hash to `actual`, not to the digest announced with them, so nothing was stored. */
export function blobDigestDiffers(expected: string, actual: string): WireError {
  return new WireError(
    'blob-digest-mismatch',
    `expected blob digest ${printable(expected, 80)}, the content hashes to ${actual}`,
    {
      expected: printable(expected, 80),
      actual,
    },
  );
}

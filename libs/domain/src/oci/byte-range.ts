/**
 * Range requests on OCI blobs (distribution spec, "Pulling blobs"; RFC 9110 §14): one range of
 * bytes of a blob, as a client resuming a layer or reading part of one asks for it. The header's
 * syntax is read at the edge (`parseByteRange`), and resolved against the blob's size once it is
 * known (`resolveByteRange`).
 *
 * Wharf honours a single range of unit `bytes`. A header it does not understand (another unit,
 * several ranges, bad syntax) is ignored and the whole blob answered, as RFC 9110 lets a server
 * do; a range that names no byte of the blob (it starts past the end, ends before it starts, or
 * is an empty suffix) is refused, 416 with a `Content-Range` of `bytes *` and the size.
 */
import { RangeNotSatisfiableError } from '../errors';

/** A `Range: bytes=` request: from `first` to `last` (inclusive; null for the end), or the last `suffix` bytes. */
export type ByteRangeRequest = { first: number; last: number | null } | { suffix: number };

/** A satisfiable range of a blob: bytes `start` to `end`, both inclusive, of `size`. */
export interface ByteRange {
  start: number;
  end: number;
  size: number;
}

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/** The single byte range `header` asks for; null when there is none Wharf honours (the whole blob is answered). */
export function parseByteRange(header: string | undefined): ByteRangeRequest | null {
  const match = header === undefined ? null : SINGLE_RANGE.exec(header.trim().replace(/\s+/g, ''));
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  const number = (text: string) => (text.length > 15 ? Number.MAX_SAFE_INTEGER : Number(text));
  if (first === '') return { suffix: number(last) };
  return { first: number(first), last: last === '' ? null : number(last) };
}

/** The bytes of a blob of `size` that `request` names; RangeNotSatisfiableError when it names none. */
export function resolveByteRange(request: ByteRangeRequest, size: number): ByteRange {
  if ('suffix' in request) {
    if (request.suffix === 0 || size === 0) throw new RangeNotSatisfiableError(size);
    return { start: Math.max(size - request.suffix, 0), end: size - 1, size };
  }
  if (request.first >= size || (request.last !== null && request.last < request.first))
    throw new RangeNotSatisfiableError(size);
  return { start: request.first, end: Math.min(request.last ?? size - 1, size - 1), size };
}

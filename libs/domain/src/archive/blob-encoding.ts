/**
 * The push body carries the package archive as base64 text. Decoding is strict: the standard
 * alphabet only (not URL-safe), padding optional, CR and LF tolerated anywhere (MIME-style line
 * breaks, as Python's `b64decode` tolerates them); any other character is refused rather than
 * skipped, so two different texts never decode to the same blob by accident.
 */
import { ArchiveTooLargeError, InvalidBlobError } from '../errors';

const LINE_BREAKS = /[\r\n]/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*$/;
const EQUALS = 0x3d;

/**
 * Decodes a base64 blob. The decoded length is computed from the text and checked against
 * `maxBytes` before any bytes are allocated. Throws InvalidBlobError for non-strings, empty input,
 * characters outside the alphabet or impossible lengths, and
 * ArchiveTooLargeError('blob-size', maxBytes) when the blob would be larger than `maxBytes`.
 */
export function decodeBlobBase64(text: unknown, maxBytes: number): Buffer {
  if (typeof text !== 'string') throw new InvalidBlobError('blob must be a base64 string');
  const compact = text.replace(LINE_BREAKS, '');
  if (compact.length === 0) throw new InvalidBlobError('blob is empty');
  const body = withoutPadding(compact);
  if (!BASE64_BODY.test(body)) throw new InvalidBlobError('blob contains characters outside the base64 alphabet');
  if (body.length % 4 === 1) throw new InvalidBlobError('blob has an impossible base64 length');
  if (decodedLength(body) > maxBytes) throw new ArchiveTooLargeError('blob-size', maxBytes);
  return Buffer.from(body, 'base64');
}

/** Strips `=` padding, which may only appear at the end and only to complete a 4-character group. */
function withoutPadding(text: string): string {
  let padding = 0;
  while (padding < text.length && text.charCodeAt(text.length - 1 - padding) === EQUALS) padding++;
  if (padding === 0) return text;
  if (padding > 2 || text.length % 4 !== 0) throw new InvalidBlobError('blob has misplaced base64 padding');
  return text.slice(0, text.length - padding);
}

function decodedLength(unpadded: string): number {
  return Math.floor((unpadded.length * 3) / 4);
}

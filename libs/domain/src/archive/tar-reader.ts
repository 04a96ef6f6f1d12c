/**
 * A minimal tar reader over an in-memory buffer: ustar, GNU and v7 headers, 512-byte blocks,
 * checksums verified, GNU `L`/`K` long names and PAX `x` extended headers applied to the entry
 * they describe. It reports every entry as stored and judges nothing; refusing paths, links and
 * devices is the inspector's job. Structural damage (bad checksum, truncation, malformed extended
 * headers, a stream that is not tar) throws InvalidBlobError.
 *
 * It must see the same entries as the other tar readers a package meets (Go's `archive/tar`, which
 * Helm uses; GNU tar; node's tar-stream), so whatever they could read differently is refused as
 * InvalidBlobError rather than read one way: bytes other than zeros after the first zero block
 * (GNU `tar -i` and tar-stream read on, Go refuses; an archive could hide entries there), a global
 * PAX header with `path` or `linkpath` (Go reports it as an entry of that name, GNU tar applies it
 * to every later entry), a PAX `path` and a GNU long name that disagree (Go takes the GNU one),
 * PAX GNU sparse records (Go renames the entry from `GNU.sparse.name`), a second `x` header
 * before the entry (Go keeps only the last one's records, tar-stream merges them) and a global
 * header between an extended header and its entry (Go lists the global header as an entry and
 * drops what was pending; GNU tar applies it to the next entry). Each entry also
 * carries the names a reader that ignores extended headers would use instead (`shadowPaths`),
 * for the inspector to check as well. test/clients/go-tar checks the hostile corpus against Go.
 */
import { InvalidBlobError } from '../errors';

export type TarEntryType =
  'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo' | 'other';

export interface TarEntry {
  /** The entry name after PAX and GNU long-name overrides, decoded as UTF-8. */
  path: string;
  /**
   * Names other readers may give this entry or extract before it: the header's own ustar name
   * (prefix/name; what a reader that ignores extended headers uses) and the raw names of the
   * extended headers before it (a reader that does not know a header type extracts it as a file).
   * Decoded as UTF-8 with U+FFFD for bad bytes; truncated long names are as stored.
   */
  shadowPaths: string[];
  /** False when the stored name bytes are not valid UTF-8 (`path` then holds U+FFFD). */
  pathIsUtf8: boolean;
  linkPath: string;
  type: TarEntryType;
  /** The raw typeflag character, for messages about unsupported types. */
  typeflag: string;
  size: number;
  /** Where the entry's data starts in the tar buffer; `size` bytes follow. */
  dataOffset: number;
}

const BLOCK = 512;

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
};

const PAX_LOCAL = 'x';
const PAX_GLOBAL = 'g';
const GNU_LONG_NAME = 'L';
const GNU_LONG_LINK = 'K';

interface Header {
  /** prefix/name as the ustar header holds them. */
  name: Buffer;
  linkName: Buffer;
  size: number;
  typeflag: string;
}

/** Extended-header values waiting for the entry they apply to. */
interface PendingOverrides {
  pax: Map<string, Buffer>;
  gnuName: Buffer | null;
  gnuLink: Buffer | null;
  /** True once an `x` header came since the last entry: a second one is refused. */
  paxLocal: boolean;
  /** Raw names of the extended headers since the last entry. */
  headerNames: Buffer[];
}

/**
 * Yields the archive's entries in order, up to the first all-zero block (the end-of-archive
 * marker is two; a lone zero block at the very end is tolerated, as Go and GNU tar do), or to the
 * end of the buffer when it ends on a block boundary, as GNU tar and Python's tarfile tolerate.
 * Everything after the first zero block must be zeros (record padding).
 */
export function* readTarEntries(tar: Buffer): Generator<TarEntry> {
  const pending: PendingOverrides = { pax: new Map(), gnuName: null, gnuLink: null, paxLocal: false, headerNames: [] };
  let offset = 0;
  let headerIndex = 0;
  while (offset < tar.length) {
    if (offset + BLOCK > tar.length) throw new InvalidBlobError('tar archive is truncated inside a header');
    const block = tar.subarray(offset, offset + BLOCK);
    if (isZeroBlock(block)) {
      assertOnlyZerosFrom(tar, offset);
      return assertNothingPending(pending);
    }
    const header = parseHeader(block, headerIndex++);
    const size = isMetaHeader(header.typeflag) ? header.size : entrySize(header, pending);
    const dataOffset = offset + BLOCK;
    const hasData = carriesData(header.typeflag);
    if (hasData) assertDataPresent(tar, dataOffset, size);
    offset = hasData ? dataOffset + paddedLength(size) : dataOffset;
    if (applyMetaHeader(header, tar.subarray(dataOffset, dataOffset + size), pending)) continue;
    yield buildEntry(header, size, dataOffset, pending);
  }
  assertNothingPending(pending);
}

/**
 * Readers disagree about what follows the end-of-archive marker: Go stops at two zero blocks and
 * refuses a zero block followed by a header, GNU `tar -i` and tar-stream read the entries there.
 */
function assertOnlyZerosFrom(tar: Buffer, offset: number): void {
  for (let i = offset; i < tar.length; i++) {
    if (tar[i] !== 0) throw new InvalidBlobError('tar archive has data after its end-of-archive marker');
  }
}

function isMetaHeader(typeflag: string): boolean {
  return typeflag === PAX_LOCAL || typeflag === PAX_GLOBAL || typeflag === GNU_LONG_NAME || typeflag === GNU_LONG_LINK;
}

/** A PAX `size` record replaces the header's size field (which cannot hold sizes past 8 GiB). */
function entrySize(header: Header, pending: PendingOverrides): number {
  const paxValue = pending.pax.get('size');
  return paxValue === undefined ? header.size : paxSize(paxValue);
}

function buildEntry(header: Header, size: number, dataOffset: number, pending: PendingOverrides): TarEntry {
  const paxPath = pending.pax.get('path');
  if (paxPath !== undefined && pending.gnuName !== null && !paxPath.equals(pending.gnuName)) {
    throw new InvalidBlobError('tar entry has a PAX path and a GNU long name that differ');
  }
  if ([...pending.pax.keys()].some((key) => key.startsWith('GNU.sparse.'))) {
    throw new InvalidBlobError('tar archive has GNU sparse PAX records (sparse files are not supported)');
  }
  const nameBytes = paxPath ?? pending.gnuName ?? header.name;
  const linkBytes = pending.pax.get('linkpath') ?? pending.gnuLink ?? header.linkName;
  const shadowPaths = [header.name, ...pending.headerNames].map((name) => decodeUtf8(name).text);
  pending.pax = new Map();
  pending.gnuName = null;
  pending.gnuLink = null;
  pending.paxLocal = false;
  pending.headerNames = [];
  const path = decodeUtf8(nameBytes);
  const type = entryType(header.typeflag, path.text);
  return {
    path: path.text,
    shadowPaths,
    pathIsUtf8: path.valid,
    linkPath: decodeUtf8(linkBytes).text,
    type,
    typeflag: header.typeflag,
    size: carriesData(header.typeflag) ? size : 0,
    dataOffset,
  };
}

/** Old archives mark directories only by a trailing slash on an untyped (`\0`) entry. */
function entryType(typeflag: string, path: string): TarEntryType {
  if (typeflag === '\0' && path.endsWith('/')) return 'directory';
  return TYPES[typeflag] ?? 'other';
}

/**
 * Records a PAX or GNU extended header; returns false for an entry that is not one. Global PAX
 * records other than names (`comment`, as `git archive` writes, times, owners) change nothing
 * Wharf reads and are ignored.
 *
 * Readers disagree about extended headers in a row: Go keeps only the last `x` header's records
 * where tar-stream merges them, and Go ends the pending entry at a `g` header (listing the global
 * header as an entry and dropping the `x`, `L` or `K` before it) where GNU tar applies them to
 * the next entry. So a second `x`, or a `g` after any of those, before the entry is refused: an
 * archive could otherwise name one Chart.yaml for Wharf and another for Helm. (Two `L` or two `K`
 * in a row are read alike: every reader keeps the last.)
 */
function applyMetaHeader(header: Header, data: Buffer, pending: PendingOverrides): boolean {
  if (!isMetaHeader(header.typeflag)) return false;
  pending.headerNames.push(header.name);
  switch (header.typeflag) {
    case PAX_LOCAL:
      if (pending.paxLocal) throw new InvalidBlobError('tar archive has two PAX extended headers (x) before one entry');
      pending.paxLocal = true;
      for (const [key, value] of parsePaxRecords(data)) pending.pax.set(key, value);
      return true;
    case PAX_GLOBAL:
      if (pending.paxLocal || pending.gnuName !== null || pending.gnuLink !== null) {
        throw new InvalidBlobError('tar archive has a global PAX header (g) between an extended header and its entry');
      }
      for (const key of parsePaxRecords(data).keys()) {
        if (key === 'path' || key === 'linkpath')
          throw new InvalidBlobError(`tar archive has a global PAX header with a '${key}' record`);
      }
      return true;
    case GNU_LONG_NAME:
      pending.gnuName = withoutTrailingNuls(data);
      return true;
    case GNU_LONG_LINK:
      pending.gnuLink = withoutTrailingNuls(data);
      return true;
    default:
      return false;
  }
}

/** An extended header (a global one too: Go lists it as an entry) must be followed by an entry. */
function assertNothingPending(pending: PendingOverrides): void {
  if (pending.headerNames.length > 0) {
    throw new InvalidBlobError('tar archive ends with an extended header but no entry');
  }
}

/** Regular files, unknown types (POSIX: read as regular files) and extended headers carry data. */
function carriesData(typeflag: string): boolean {
  const type = TYPES[typeflag];
  return type === undefined || type === 'file';
}

function assertDataPresent(tar: Buffer, dataOffset: number, size: number): void {
  if (dataOffset + paddedLength(size) > tar.length)
    throw new InvalidBlobError('tar archive is truncated inside an entry');
}

function paddedLength(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------------

const POSIX_MAGIC = Buffer.from('ustar\0', 'latin1');
const STAR_TRAILER = Buffer.from('tar\0', 'latin1');

function parseHeader(block: Buffer, index: number): Header {
  if (!checksumMatches(block)) {
    throw new InvalidBlobError(index === 0 ? 'not a tar archive' : `tar header ${index + 1} has a bad checksum`);
  }
  const name = field(block, 0, 100);
  const prefix = block.subarray(257, 263).equals(POSIX_MAGIC)
    ? field(block, 345, prefixLength(block))
    : Buffer.alloc(0);
  return {
    name: prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), name]) : name,
    linkName: field(block, 157, 100),
    size: numericField(block, 124, 12),
    typeflag: String.fromCharCode(block[156]!),
  };
}

/** Schily's star format keeps times after a 131-byte prefix and ends the block with `tar\0` (as Go reads it). */
function prefixLength(block: Buffer): number {
  return block.subarray(508, 512).equals(STAR_TRAILER) ? 131 : 155;
}

/** The stored checksum counts the checksum field as spaces; some old tars summed signed bytes. */
function checksumMatches(block: Buffer): boolean {
  const stored = parseOctal(block.subarray(148, 156));
  if (stored === null) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** A NUL-terminated (or full-width) byte field. */
function field(block: Buffer, start: number, length: number): Buffer {
  const bytes = block.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return end === -1 ? bytes : bytes.subarray(0, end);
}

/** Octal text, or GNU base-256 binary when the high bit of the first byte is set. */
function numericField(block: Buffer, start: number, length: number): number {
  const bytes = block.subarray(start, start + length);
  const value = (bytes[0]! & 0x80) !== 0 ? parseBase256(bytes) : parseOctal(bytes);
  if (value === null) throw new InvalidBlobError('tar header has a malformed numeric field');
  return value;
}

/** Leading spaces, octal digits, then only NULs or spaces; an empty field is 0. */
function parseOctal(bytes: Buffer): number | null {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0x20) i++;
  let value = 0;
  for (; i < bytes.length && bytes[i]! >= 0x30 && bytes[i]! <= 0x37; i++) value = value * 8 + (bytes[i]! - 0x30);
  for (; i < bytes.length; i++) if (bytes[i] !== 0 && bytes[i] !== 0x20) return null;
  return value;
}

/** Negative values (first byte 0xff) are meaningless for sizes and are refused. */
function parseBase256(bytes: Buffer): number | null {
  if (bytes[0] === 0xff) return null;
  let value = bytes[0]! & 0x7f;
  for (let i = 1; i < bytes.length; i++) value = value * 256 + bytes[i]!;
  return Number.isSafeInteger(value) ? value : null;
}

// ---------------------------------------------------------------------------------------------
// Extended headers
// ---------------------------------------------------------------------------------------------

/** PAX records are `<length> <key>=<value>\n`, where length counts the whole record. */
function parsePaxRecords(data: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const lengthText = space === -1 ? '' : data.toString('latin1', offset, space);
    const length = /^[1-9]\d{0,9}$/.test(lengthText) ? Number(lengthText) : NaN;
    const end = offset + length;
    if (!Number.isFinite(length) || end > data.length || data[end - 1] !== 0x0a) {
      throw new InvalidBlobError('tar archive has a malformed PAX header');
    }
    const record = data.subarray(space + 1, end - 1);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw new InvalidBlobError('tar archive has a malformed PAX header');
    records.set(record.toString('utf8', 0, equals), record.subarray(equals + 1));
    offset = end;
  }
  return records;
}

function paxSize(value: Buffer): number {
  const text = value.toString('latin1');
  const size = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(size)) throw new InvalidBlobError('tar archive has a malformed PAX size');
  return size;
}

function withoutTrailingNuls(data: Buffer): Buffer {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return data.subarray(0, end);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Buffer): { text: string; valid: boolean } {
  try {
    return { text: STRICT_UTF8.decode(bytes), valid: true };
  } catch {
    return { text: bytes.toString('utf8'), valid: false };
  }
}

/**
 * Checks a pushed package archive (tar.gz) before anything is stored, and computes its digests.
 *
 * The archive must be a gzip stream of a tar archive with at least one entry. It is refused when
 * it expands past the configured limits (gzip bombs stop decompressing at the limit), or when any
 * entry could escape or alias the extraction directory of a client that unpacks it: absolute
 * paths, `..` segments, backslashes, NUL or non-UTF-8 bytes in names, symbolic and hard links
 * (any target), devices and FIFOs, and entry types Wharf does not know. The rules that keep a
 * name inside the directory (not absolute, no `..`, no backslash) also hold for every other name a
 * tar reader could use for the entry (`TarEntry.shadowPaths`: the ustar name under a PAX or GNU
 * long name, the names of extended headers), since Wharf cannot know which reader unpacks it.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { ArchiveTooLargeError, InvalidBlobError, UnsafeArchiveError } from '../errors';
import { CHART_FILE_NAMES, parseChartMetadata, type ChartMetadata } from './chart-metadata';
import { readTarEntries, type TarEntry } from './tar-reader';

export interface ArchiveLimits {
  /** Largest accepted gzip archive, in bytes. */
  maxBlobBytes: number;
  /** Largest accepted tar stream after gunzip, in bytes. */
  maxUnpackedBytes: number;
  /** Largest accepted unpacked/packed size ratio; not applied below EXPANSION_RATIO_FLOOR_BYTES. */
  maxExpansionRatio: number;
  /** Most entries (files, directories) accepted; PAX and GNU extended headers do not count. */
  maxEntries: number;
}

export interface ArchiveInspection {
  /** Lowercase hex sha256 of the gunzipped tar stream: the App Registry's `content.digest`. */
  apprDigest: string;
  /** Lowercase hex sha256 of the gzip bytes as given: what blob stores address. */
  blobDigest: string;
  /** Length of the gzip bytes: the App Registry's `content.size`. */
  size: number;
  /** Length of the tar stream. */
  unpackedSize: number;
  entryCount: number;
  chart: ChartMetadata | null;
  /** Why `chart` is null: no Chart.yaml where Helm puts it, or one that could not be used. */
  chartProblem: string | null;
}

/**
 * Tar pads small archives heavily (Python's tarfile to 10 KiB), so a tiny legitimate package can
 * exceed any useful ratio. Below this many unpacked bytes the ratio limit does not apply; a bomb
 * still stops at the larger of this and `size × maxExpansionRatio`.
 */
export const EXPANSION_RATIO_FLOOR_BYTES = 1024 * 1024;

const MAX_ENTRY_NAME_BYTES = 4096;
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Inspects a tar.gz archive. Throws ArchiveTooLargeError ('blob-size', 'unpacked-size',
 * 'expansion-ratio', 'entries'), InvalidBlobError (not gzip, corrupt or truncated gzip, not tar,
 * damaged tar, no entries) or UnsafeArchiveError. A missing or broken Chart.yaml is not an error:
 * it is reported in `chartProblem`.
 */
export function inspectArchive(gz: Buffer, limits: ArchiveLimits): ArchiveInspection {
  if (gz.length > limits.maxBlobBytes) throw new ArchiveTooLargeError('blob-size', limits.maxBlobBytes);
  const tar = gunzipWithinLimits(gz, limits);
  const files = new Map<string, TarEntry>();
  let entryCount = 0;
  let topDirectory: string | null = null;
  for (const entry of readTarEntries(tar)) {
    if (++entryCount > limits.maxEntries) throw new ArchiveTooLargeError('entries', limits.maxEntries);
    assertSafeEntry(entry);
    const segments = pathSegments(entry.path);
    topDirectory ??= segments.length > 1 || entry.type === 'directory' ? (segments[0] ?? null) : null;
    if (entry.type === 'file') files.set(segments.join('/'), entry);
  }
  if (entryCount === 0) throw new InvalidBlobError('tar archive has no entries');
  const chart = findChart(tar, files, topDirectory);
  return {
    apprDigest: sha256(tar),
    blobDigest: sha256(gz),
    size: gz.length,
    unpackedSize: tar.length,
    entryCount,
    chart: chart.chart,
    chartProblem: chart.problem,
  };
}

function gunzipWithinLimits(gz: Buffer, limits: ArchiveLimits): Buffer {
  if (gz.length < 2 || gz[0] !== GZIP_MAGIC[0] || gz[1] !== GZIP_MAGIC[1])
    throw new InvalidBlobError('blob is not a gzip stream');
  const ratioCap = Math.max(EXPANSION_RATIO_FLOOR_BYTES, Math.floor(gz.length * limits.maxExpansionRatio));
  const maxOutputLength = Math.max(1, Math.min(limits.maxUnpackedBytes, ratioCap));
  try {
    return gunzipSync(gz, { maxOutputLength });
  } catch (error) {
    if (isOutputLimitError(error)) {
      throw ratioCap < limits.maxUnpackedBytes
        ? new ArchiveTooLargeError('expansion-ratio', limits.maxExpansionRatio)
        : new ArchiveTooLargeError('unpacked-size', limits.maxUnpackedBytes);
    }
    throw new InvalidBlobError(`gzip stream is corrupt or truncated (${errorCode(error)})`);
  }
}

/** Matched by code: zlib's errors may come from another realm (test sandboxes, workers). */
function isOutputLimitError(error: unknown): boolean {
  return errorCode(error) === 'ERR_BUFFER_TOO_LARGE';
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

function assertSafeEntry(entry: TarEntry): void {
  const unsafe = (reason: string): never => {
    throw new UnsafeArchiveError(entry.path, reason);
  };
  if (!entry.pathIsUtf8) unsafe('name is not valid UTF-8');
  if (entry.path.includes('\0')) unsafe('name contains a NUL byte');
  if (entry.path.length === 0) unsafe('name is empty');
  if (Buffer.byteLength(entry.path) > MAX_ENTRY_NAME_BYTES) unsafe(`name is longer than ${MAX_ENTRY_NAME_BYTES} bytes`);
  const escape = escapeReason(entry.path);
  if (escape) unsafe(escape);
  for (const shadow of entry.shadowPaths) {
    const shadowEscape = escapeReason(shadow);
    if (shadowEscape)
      throw new UnsafeArchiveError(
        shadow,
        `${shadowEscape} (a name in the tar headers, which readers that ignore extended headers use)`,
      );
  }
  const typeProblem = refusedTypeReason(entry);
  if (typeProblem) unsafe(typeProblem);
}

/** Why a name could leave the extraction directory, or null. */
function escapeReason(path: string): string | null {
  if (path.includes('\\')) return 'name contains a backslash';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'absolute path';
  if (path.split('/').includes('..')) return "path contains a '..' segment";
  return null;
}

function refusedTypeReason(entry: TarEntry): string | null {
  switch (entry.type) {
    case 'file':
    case 'directory':
      return null;
    case 'symlink':
      return 'symbolic links are not allowed';
    case 'hardlink':
      return 'hard links are not allowed';
    case 'char-device':
      return 'character devices are not allowed';
    case 'block-device':
      return 'block devices are not allowed';
    case 'fifo':
      return 'FIFOs are not allowed';
    case 'other':
      return `unsupported entry type '${entry.typeflag}'`;
    default:
      return assertNever(entry.type);
  }
}

/** `./app//Chart.yaml` and `app/Chart.yaml` name the same file. */
function pathSegments(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '' && segment !== '.');
}

/** Helm's layout first (`<chart>/Chart.yaml`), then a Chart.yaml at the archive root. */
function findChart(tar: Buffer, files: Map<string, TarEntry>, topDirectory: string | null) {
  const candidates = [
    ...(topDirectory === null ? [] : CHART_FILE_NAMES.map((name) => `${topDirectory}/${name}`)),
    ...CHART_FILE_NAMES,
  ];
  const found = candidates.map((path) => files.get(path)).find((entry) => entry !== undefined);
  if (!found) return { chart: null, problem: 'no Chart.yaml in the top directory or at the root of the archive' };
  return parseChartMetadata(tar.subarray(found.dataOffset, found.dataOffset + found.size));
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}

/**
 * Builds tar and tar.gz archives for tests, including hostile ones (path escapes, links,
 * devices, bombs), without touching the filesystem. Defaults make a valid Helm chart; every
 * field can be overridden.
 */
import { gzipSync } from 'node:zlib';

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo';

export interface ArchiveEntry {
  name: string;
  content?: string | Buffer;
  type?: EntryType;
  linkname?: string;
  mode?: number;
  mtime?: number;
  /** Raw typeflag written instead of the one `type` implies (e.g. 'S' for a GNU sparse file). */
  typeflag?: string;
  /** Extra PAX records for this entry (e.g. a `path` the ustar name field cannot hold). */
  pax?: Record<string, string>;
}

export interface TarOptions {
  /** How names and link targets over 100 bytes are stored; PAX by default. */
  longNames?: 'pax' | 'gnu';
}

const TYPE_FLAG: Record<EntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  'char-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(
  name: string,
  size: number,
  typeflag: string,
  opts: { mode?: number; mtime?: number; linkname?: string },
): Buffer {
  const block = Buffer.alloc(512, 0);
  block.write(name.slice(0, 100), 0, 'utf8');
  block.write(octal(opts.mode ?? 0o644, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(opts.mtime ?? 1_700_000_000, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(typeflag, 156, 'ascii');
  block.write((opts.linkname ?? '').slice(0, 100), 157, 'utf8');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return block;
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % 512;
  return rest === 0 ? [data] : [data, Buffer.alloc(512 - rest, 0)];
}

/** One PAX record; lengths count bytes, not UTF-16 units. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = Buffer.byteLength(body);
  let length = bodyBytes + 1;
  while (String(length).length + bodyBytes !== length) length = String(length).length + bodyBytes;
  return `${length}${body}`;
}

function gnuLongHeader(typeflag: 'L' | 'K', value: string): Buffer[] {
  const data = Buffer.from(value + '\0', 'utf8');
  return [header('././@LongLink', data.length, typeflag, {}), ...padded(data)];
}

/**
 * A ustar archive; names or link targets over 100 bytes get a PAX extended header, or GNU
 * `L`/`K` headers with `longNames: 'gnu'`.
 */
export function tarArchive(entries: ArchiveEntry[], options: TarOptions = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? (entry.name.endsWith('/') ? 'directory' : 'file');
    const data = type === 'file' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0);
    const linkname = entry.linkname ?? '';
    const long = Buffer.byteLength(entry.name) > 100 || Buffer.byteLength(linkname) > 100;
    if (long && options.longNames === 'gnu') {
      if (Buffer.byteLength(entry.name) > 100) parts.push(...gnuLongHeader('L', entry.name));
      if (Buffer.byteLength(linkname) > 100) parts.push(...gnuLongHeader('K', linkname));
    }
    let pax = '';
    if (long && options.longNames !== 'gnu') {
      pax += paxRecord('path', entry.name);
      if (linkname) pax += paxRecord('linkpath', linkname);
    }
    for (const [key, value] of Object.entries(entry.pax ?? {})) pax += paxRecord(key, value);
    if (pax) {
      const paxData = Buffer.from(pax, 'utf8');
      parts.push(header('PaxHeader', paxData.length, 'x', {}), ...padded(paxData));
    }
    const typeflag = entry.typeflag ?? TYPE_FLAG[type];
    parts.push(header(entry.name, data.length, typeflag, { mode: entry.mode, mtime: entry.mtime, linkname }));
    if (data.length > 0) parts.push(...padded(data));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}

/**
 * Copies `tar`, lets `patch` edit the 512-byte header at `offset`, then writes a valid checksum,
 * for archives the builder cannot express (non-UTF-8 names, odd numeric fields).
 */
export function patchTarHeader(tar: Buffer, offset: number, patch: (block: Buffer) => void): Buffer {
  const copy = Buffer.from(tar);
  const block = copy.subarray(offset, offset + 512);
  patch(block);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return copy;
}

export function gzipArchive(entries: ArchiveEntry[], options: TarOptions = {}): Buffer {
  return gzipSync(tarArchive(entries, options));
}

export interface ChartOptions {
  name?: string;
  version?: string;
  description?: string;
  keywords?: string[];
  appVersion?: string;
  /** Replaces the generated Chart.yaml text entirely. */
  chartYaml?: string;
  /** Extra entries appended after the chart's own files. */
  extraEntries?: ArchiveEntry[];
  /** Makes otherwise identical charts differ in bytes and digest. */
  salt?: string;
}

export function chartEntries(options: ChartOptions = {}): ArchiveEntry[] {
  const name = options.name ?? 'app';
  const version = options.version ?? '1.0.0';
  const chartYaml =
    options.chartYaml ??
    [
      'apiVersion: v2',
      `name: ${name}`,
      `version: ${version}`,
      `description: ${options.description ?? `The ${name} chart`}`,
      ...(options.keywords?.length ? ['keywords:', ...options.keywords.map((k) => `  - ${k}`)] : []),
      ...(options.appVersion ? [`appVersion: "${options.appVersion}"`] : []),
      '',
    ].join('\n');
  return [
    { name: `${name}/`, type: 'directory', mode: 0o755 },
    { name: `${name}/Chart.yaml`, content: chartYaml },
    { name: `${name}/values.yaml`, content: `replicaCount: 1\n# ${options.salt ?? ''}\n` },
    { name: `${name}/templates/`, type: 'directory', mode: 0o755 },
    { name: `${name}/templates/deployment.yaml`, content: 'kind: Deployment\napiVersion: apps/v1\n' },
    ...(options.extraEntries ?? []),
  ];
}

/** A gzipped Helm chart archive. */
export function chartArchive(options: ChartOptions = {}): Buffer {
  return gzipArchive(chartEntries(options));
}

/** The base64 form that appr push bodies carry. */
export function chartBlob(options: ChartOptions = {}): string {
  return chartArchive(options).toString('base64');
}

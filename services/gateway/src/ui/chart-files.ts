/**
 * What a package page shows of a release's archive: its file list, README, values.yaml and,
 * for a chart, its templates. The archive was inspected when it was pushed (`inspectArchive`:
 * safe names, bounded expansion), but it is read again here under the same limits, since a
 * page must never be the way to make the server gunzip without bound.
 */
import { gunzipSync } from 'node:zlib';
import { readTarEntries } from '@wharf/domain';

export interface ArchiveFile {
  path: string;
  size: number;
}

export interface ChartFiles {
  /** Every file, the chart's top directory stripped (`mychart/values.yaml` → `values.yaml`). */
  files: ArchiveFile[];
  readme: string | null;
  values: string | null;
  templates: string[];
}

/** The most bytes of a text file (README, values.yaml) a page shows. */
export const MAX_SHOWN_FILE_BYTES = 256 * 1024;

export function readChartFiles(gz: Buffer, maxUnpackedBytes: number): ChartFiles {
  const tar = gunzipSync(gz, { maxOutputLength: Math.max(1, maxUnpackedBytes) });
  const files: ArchiveFile[] = [];
  let readme: string | null = null;
  let values: string | null = null;
  for (const entry of readTarEntries(tar)) {
    if (entry.type !== 'file') continue;
    const path = stripTopDirectory(entry.path);
    files.push({ path, size: entry.size });
    const text = () =>
      tar.subarray(entry.dataOffset, entry.dataOffset + Math.min(entry.size, MAX_SHOWN_FILE_BYTES)).toString('utf8');
    if (readme === null && /^readme(\.md)?$/i.test(path)) readme = text();
    if (values === null && path === 'values.yaml') values = text();
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  const templates = files.map((f) => f.path).filter((p) => p.startsWith('templates/'));
  return { files, readme, values, templates };
}

function stripTopDirectory(path: string): string {
  const slash = path.indexOf('/');
  return slash > 0 ? path.slice(slash + 1) : path;
}

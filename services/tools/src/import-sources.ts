/**
 * What `npm run import` reads: a directory of Helm chart archives, or a Wharf export
 * (registry-export.ts). Each is checked as a whole before the first item is read (a missing
 * directory, an export without its manifest: ImportSourceError, nothing written); a bad item
 * inside is handed on for the import to report and skip.
 */
import { createReadStream, existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { MAX_PROVENANCE_BYTES, splitPackageName } from '@wharf/domain';
import type { ImportItem, ImportSource } from './release-import';
import { sourceTime } from './source-times';
import { EXPORT_BLOBS, EXPORT_MANIFEST, EXPORT_PACKAGES, ExportManifest, ExportedPackage } from './registry-export';

/** The source cannot be read at all: usage, exit 2. */
export class ImportSourceError extends Error {}

/**
 * A file's bytes when it is a regular file of at most `maxBytes` inside `root` (a link is
 * followed only to a file inside `root`: a storage copied from someone else may hold a link to
 * any file the importing user can read); anything else (a device, a pipe, a directory, a file
 * larger than allowed, a link out of the source) is refused before a byte is read.
 */
export function readRegularFile(path: string, maxBytes: number, root: string): Buffer {
  const real = realpathSync(path);
  const realRoot = realpathSync(root);
  if (!real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep))
    throw new Error(`a link out of the source directory (to ${real})`);
  const stat = statSync(real);
  if (!stat.isFile()) throw new Error('not a regular file');
  if (stat.size > maxBytes) throw new Error(`${stat.size} bytes, above the archive limit of ${maxBytes}`);
  return readFileSync(real);
}

/**
 * Every `*.tgz` directly in `dir` (sorted by name), into `namespace`; each chart's Chart.yaml
 * names its package and release, as a ChartMuseum upload's does. A `<file>.prov` next to it is
 * imported as its provenance.
 */
export function chartDirectorySource(
  dir: string,
  namespace: string,
  maxArchiveBytes: number,
  within: string = dir,
  createdFromMtime = false,
): ImportSource {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new ImportSourceError(`${dir}: no such directory`);
  const files = readdirSync(root)
    .filter((f) => f.endsWith('.tgz'))
    .sort();
  return {
    total: files.length,
    async *items(): AsyncIterable<ImportItem> {
      for (const f of files) {
        const path = join(root, f);
        let archive: Buffer;
        let provenance: Buffer | undefined;
        try {
          archive = readRegularFile(path, maxArchiveBytes, within);
          if (existsSync(`${path}.prov`)) provenance = readRegularFile(`${path}.prov`, MAX_PROVENANCE_BYTES, within);
        } catch (error) {
          yield { kind: 'unreadable', origin: path, reason: (error as Error).message };
          continue;
        }
        const createdAt = createdFromMtime ? sourceTime(statSync(path).mtime) : undefined;
        yield {
          kind: 'release',
          origin: path,
          namespace,
          archive,
          ...(provenance ? { provenance } : {}),
          ...(createdAt ? { createdAt } : {}),
        };
      }
    },
  };
}

/**
 * A ChartMuseum storage directory (its `--storage-local-rootdir`, or a copy of its bucket): the
 * charts as ChartMuseum stores them, `<name>-<version>.tgz` with `<name>-<version>.tgz.prov`
 * next to it (its index-cache.yaml is not read: the charts are the truth). `depth` 0, a single
 * repository, goes into `namespaces[0]`; `depth` 1 (ChartMuseum's `--depth=1`, multitenant),
 * each `<dir>/<repo>/` goes into the namespace named `<repo>`, only those of `namespaces` when
 * given.
 */
export function chartmuseumStorageSource(
  dir: string,
  depth: 0 | 1,
  namespaces: readonly string[],
  maxArchiveBytes: number,
): ImportSource {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new ImportSourceError(`${dir}: no such directory`);
  // ChartMuseum reports a chart's `created` from its storage's modification time: kept too.
  if (depth === 0) return chartDirectorySource(root, namespaces[0]!, maxArchiveBytes, root, true);
  const repos = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && (namespaces.length === 0 || namespaces.includes(e.name)))
    .map((e) => e.name)
    .sort();
  const sources = repos.map((repo) => chartDirectorySource(join(root, repo), repo, maxArchiveBytes, root, true));
  return {
    total: sources.reduce((n, s) => n + (s.total ?? 0), 0),
    async *items(): AsyncIterable<ImportItem> {
      for (const source of sources) yield* source.items();
    },
  };
}

/**
 * The releases of an export, with their metadata, digests (checked against the bytes),
 * provenance and their package's visibility; each package's channels after its releases.
 * `namespaces`, when given, keeps only those.
 */
export function exportSource(dir: string, namespaces?: readonly string[]): ImportSource {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new ImportSourceError(`${dir}: no such directory`);
  let manifest: ExportManifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, EXPORT_MANIFEST), 'utf8')) as ExportManifest;
  } catch {
    throw new ImportSourceError(
      `${dir}: not a complete Wharf export (no readable ${EXPORT_MANIFEST}; an export writes it last)`,
    );
  }
  if (manifest.format !== 'wharf-export' || manifest.version !== 1)
    throw new ImportSourceError(`${dir}: ${EXPORT_MANIFEST} is not a Wharf export of version 1`);
  const keep = (pkg: ExportedPackage) => !namespaces || namespaces.includes(splitPackageName(pkg.package).namespace);
  return {
    total: namespaces ? undefined : manifest.releases,
    async *items(): AsyncIterable<ImportItem> {
      const blobs = new FsBlobStore(join(root, EXPORT_BLOBS));
      const lines = createInterface({ input: createReadStream(join(root, EXPORT_PACKAGES)), crlfDelay: Infinity });
      let n = 0;
      for await (const line of lines) {
        n++;
        if (line.trim() === '') continue;
        let pkg: ExportedPackage;
        try {
          pkg = exportedPackageOf(JSON.parse(line));
        } catch (error) {
          yield { kind: 'unreadable', origin: `${EXPORT_PACKAGES}:${n}`, reason: (error as Error).message };
          continue;
        }
        if (!keep(pkg)) continue;
        const { namespace, name } = splitPackageName(pkg.package);
        for (const r of pkg.releases) {
          const origin = `${pkg.package}@${r.release} (${r.mediaType})`;
          let archive: Buffer;
          let provenance: Buffer | undefined;
          try {
            archive = await blobs.read(r.blobDigest);
            if (r.provenanceDigest) provenance = await blobs.read(r.provenanceDigest);
          } catch (error) {
            yield { kind: 'unreadable', origin, reason: (error as Error).message };
            continue;
          }
          yield {
            kind: 'release',
            origin,
            namespace,
            name,
            release: r.release,
            mediaType: r.mediaType,
            archive,
            metadata: r.metadata,
            visibility: pkg.visibility,
            expected: { apprDigest: r.apprDigest, blobDigest: r.blobDigest },
            ...(provenance ? { provenance } : {}),
            ...createdAtOf(r.createdAt),
          };
        }
        if (pkg.channels.length > 0)
          yield {
            kind: 'channels',
            origin: pkg.package,
            package: pkg.package,
            channels: pkg.channels.map((c) => ({ name: c.name, releases: c.releases, current: c.current })),
          };
      }
    },
  };
}

const createdAtOf = (value: unknown): { createdAt?: string } => {
  const createdAt = sourceTime(value);
  return createdAt ? { createdAt } : {};
};

/**
 * A line of packages.jsonl as a package, or an error saying what is missing: a line of another
 * shape is reported and skipped like an unreadable one, never half imported. The releases'
 * fields are checked where they are used (names and digests by the import itself).
 */
function exportedPackageOf(value: unknown): ExportedPackage {
  const pkg = value as Partial<ExportedPackage> | null;
  if (typeof pkg !== 'object' || pkg === null || typeof pkg.package !== 'string')
    throw new Error('not a package: no "package" name');
  if (!Array.isArray(pkg.releases)) throw new Error(`${pkg.package}: no "releases" list`);
  if (pkg.channels !== undefined && !Array.isArray(pkg.channels))
    throw new Error(`${pkg.package}: "channels" is not a list`);
  return { ...pkg, channels: pkg.channels ?? [] } as ExportedPackage;
}

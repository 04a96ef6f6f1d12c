/**
 * What `npm run import` reads: a directory of Helm chart archives, or a Wharf export
 * (registry-export.ts). Each is checked as a whole before the first item is read (a missing
 * directory, an export without its manifest: ImportSourceError, nothing written); a bad item
 * inside is handed on for the import to report and skip.
 */
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import type { ImportItem, ImportSource } from './release-import';
import { EXPORT_BLOBS, EXPORT_MANIFEST, EXPORT_PACKAGES, ExportManifest, ExportedPackage } from './registry-export';

/** The source cannot be read at all: usage, exit 2. */
export class ImportSourceError extends Error {}

/**
 * Every `*.tgz` directly in `dir` (sorted by name), into `namespace`; each chart's Chart.yaml
 * names its package and release, as a ChartMuseum upload's does. A `<file>.prov` next to it is
 * imported as its provenance.
 */
export function chartDirectorySource(dir: string, namespace: string): ImportSource {
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
          archive = readFileSync(path);
          if (existsSync(`${path}.prov`)) provenance = readFileSync(`${path}.prov`);
        } catch (error) {
          yield { kind: 'unreadable', origin: path, reason: (error as Error).message };
          continue;
        }
        yield { kind: 'release', origin: path, namespace, archive, ...(provenance ? { provenance } : {}) };
      }
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
  const keep = (pkg: ExportedPackage) => !namespaces || namespaces.includes(pkg.package.split('/')[0]!);
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
          pkg = JSON.parse(line) as ExportedPackage;
        } catch (error) {
          yield { kind: 'unreadable', origin: `${EXPORT_PACKAGES}:${n}`, reason: (error as Error).message };
          continue;
        }
        if (!keep(pkg)) continue;
        const [namespace, name] = pkg.package.split('/') as [string, string];
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

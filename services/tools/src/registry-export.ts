/**
 * `npm run export`: a namespace, or the whole registry, as a portable directory that `npm run
 * import -- --from-export` reads back, on this or another Wharf, in either profile:
 *
 *   <dir>/packages.jsonl        one package a line: its visibility, channels and releases (release,
 *                               media type, both digests, size, metadata, provenance digest, created)
 *   <dir>/blobs/sha256/xx/<hex> every archive and provenance file, named by the sha256 of its bytes
 *   <dir>/wharf-export.json     written last: format, version, when, how many packages and releases
 *
 * The import checks every archive against the digests the export names, so an export moved or
 * copied by hand cannot change a release unnoticed. Reads the metadata store and the blob store
 * only (embedded: the data directory, also while the server runs; distributed: MongoDB and S3).
 * Blobs already in the directory are written again harmlessly (same name, same bytes), so an
 * export into a directory that holds an older one refreshes it.
 */
import { createWriteStream, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import type { ChannelRecord, JsonValue, Visibility } from '@wharf/domain';
import type { BlobStore, MetadataStore } from '@wharf/ports';

export const EXPORT_MANIFEST = 'wharf-export.json';
export const EXPORT_PACKAGES = 'packages.jsonl';
export const EXPORT_BLOBS = 'blobs';

export interface ExportManifest {
  format: 'wharf-export';
  version: 1;
  exportedAt: string;
  namespace: string | null;
  packages: number;
  releases: number;
}

/**
 * A release as the export format (version 1) writes it: its own shape, not the domain's
 * ReleaseManifest, so that a change of the domain type cannot change what older exports mean.
 */
export interface ExportedRelease {
  release: string;
  mediaType: string;
  apprDigest: string;
  blobDigest: string;
  size: number;
  metadata: JsonValue;
  provenanceDigest?: string;
  createdAt: string;
}

export interface ExportedPackage {
  package: string;
  visibility: Visibility;
  channels: ChannelRecord[];
  releases: ExportedRelease[];
}

export interface ExportProgress {
  packages: number;
  releases: number;
  seconds: number;
}

const PAGE = 500;

export async function exportRegistry(
  store: MetadataStore,
  blobs: BlobStore,
  dir: string,
  options: { namespace?: string; onProgress?: (p: ExportProgress) => void } = {},
): Promise<ExportManifest> {
  const started = Date.now();
  mkdirSync(dir, { recursive: true });
  // Until this export is complete, the directory is no export at all (an older one included).
  rmSync(join(dir, EXPORT_MANIFEST), { force: true });
  const out = new FsBlobStore(join(dir, EXPORT_BLOBS));
  const partial = join(dir, `${EXPORT_PACKAGES}.partial`);
  const lines = createWriteStream(partial);
  let packages = 0;
  let releases = 0;
  try {
    for (let offset = 0; ; offset += PAGE) {
      const page = await store.list({
        ...(options.namespace ? { namespace: options.namespace } : {}),
        visibleNamespaces: 'all',
        limit: PAGE,
        offset,
      });
      for (const summary of page) {
        const view = await store.get(summary.package);
        if (!view || view.manifests.length === 0) continue;
        for (const m of view.manifests) {
          await out.put(await blobs.read(m.blobDigest), m.blobDigest);
          if (m.provenanceDigest) await out.put(await blobs.read(m.provenanceDigest), m.provenanceDigest);
        }
        const exported: ExportedPackage = {
          package: view.package,
          visibility: view.visibility,
          channels: view.channels,
          releases: view.manifests.map((m) => ({
            release: m.release,
            mediaType: m.mediaType,
            apprDigest: m.apprDigest,
            blobDigest: m.blobDigest,
            size: m.size,
            metadata: m.metadata,
            ...(m.provenanceDigest ? { provenanceDigest: m.provenanceDigest } : {}),
            createdAt: m.createdAt,
          })),
        };
        if (!lines.write(JSON.stringify(exported) + '\n')) await once(lines, 'drain');
        packages++;
        releases += view.manifests.length;
        options.onProgress?.({ packages, releases, seconds: (Date.now() - started) / 1000 });
      }
      if (page.length < PAGE) break;
    }
  } finally {
    lines.end();
    await once(lines, 'close');
  }
  renameSync(partial, join(dir, EXPORT_PACKAGES));
  const manifest: ExportManifest = {
    format: 'wharf-export',
    version: 1,
    exportedAt: new Date().toISOString(),
    namespace: options.namespace ?? null,
    packages,
    releases,
  };
  writeFileSync(join(dir, EXPORT_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

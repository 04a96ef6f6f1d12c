/**
 * `wharf export --out <dir> [--namespace <ns>]` (also `npm run export -- ...`): writes a
 * namespace, or the whole registry, as a directory `wharf import --from-export <dir>` reads
 * (registry-export.ts), from the stores of the configured profile (the same WHARF_* variables as the services; embedded: also
 * while the server runs). Progress to stderr, the export's manifest to stdout. Exit 2 on bad
 * usage or configuration, 1 when the export failed (the directory then holds no manifest).
 */
import { join } from 'node:path';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { S3BlobStore } from '@wharf/adapters/blob-s3';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { WharfConfig, loadConfig, requireSettings } from '@wharf/config';
import { progressSink } from './cli/progress';
import type { BlobStore, MetadataStore } from '@wharf/ports';
import { exportRegistry } from './registry-export';

async function openStores(config: WharfConfig): Promise<{ store: MetadataStore; blobs: BlobStore }> {
  if (config.profile !== 'distributed') {
    return {
      store: new SqliteMetadataStore({ path: join(config.dataDir, 'metadata.db') }),
      blobs: new FsBlobStore(join(config.dataDir, 'blobs')),
    };
  }
  requireSettings(config, 'mongo', 's3');
  const mongo = config.distributed.mongo!;
  const s3 = config.distributed.s3!;
  const store = await MongoMetadataStore.connect({ url: mongo.url, database: mongo.database });
  const blobs = new S3BlobStore({
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    bucket: s3.bucket,
  });
  return { store, blobs };
}

export async function runExport(options: { out: string; namespace?: string }): Promise<number> {
  const config = loadConfig();
  const stores = await openStores(config);
  const progress = progressSink(process.stderr);
  try {
    let last = 0;
    const manifest = await exportRegistry(stores.store, stores.blobs, options.out, {
      ...(options.namespace ? { namespace: options.namespace } : {}),
      onProgress: (p) => {
        if (Date.now() - last < 1000) return;
        last = Date.now();
        progress.update(p, `export: ${p.packages} packages, ${p.releases} releases, ${p.seconds.toFixed(1)} s`);
      },
    });
    progress.end();
    process.stdout.write(JSON.stringify(manifest) + '\n');
    return 0;
  } finally {
    await stores.store.close();
    await stores.blobs.close();
  }
}

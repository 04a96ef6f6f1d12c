/**
 * `npm run export -- --out <dir> [--namespace <ns>]`: writes a namespace, or the whole registry,
 * as a directory `npm run import -- --from-export <dir>` reads (registry-export.ts), from the
 * stores of the configured profile (the same WHARF_* variables as the services; embedded: also
 * while the server runs). Progress to stderr, the export's manifest to stdout. Exit 2 on bad
 * usage or configuration, 1 when the export failed (the directory then holds no manifest).
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { S3BlobStore } from '@wharf/adapters/blob-s3';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { ConfigError, WharfConfig, loadConfig, requireSettings } from '@wharf/config';
import type { BlobStore, MetadataStore } from '@wharf/ports';
import { exportRegistry } from './registry-export';

const USAGE = 'usage: npm run export -- --out <dir> [--namespace <ns>]';

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

async function main(argv: string[]): Promise<number> {
  let out: string;
  let namespace: string | undefined;
  let config: WharfConfig;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, namespace: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    });
    if (!values.out) throw new TypeError('--out is required');
    out = values.out;
    namespace = values.namespace;
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`export: ${(error as Error).message}\n`);
    if (!(error instanceof ConfigError)) process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let stores;
  try {
    stores = await openStores(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`export: ${error.message}\n`);
    return 2;
  }
  try {
    let last = 0;
    const manifest = await exportRegistry(stores.store, stores.blobs, out, {
      ...(namespace ? { namespace } : {}),
      onProgress: (p) => {
        if (Date.now() - last < 1000) return;
        last = Date.now();
        process.stderr.write(`export: ${p.packages} packages, ${p.releases} releases, ${p.seconds.toFixed(1)} s\n`);
      },
    });
    process.stdout.write(JSON.stringify(manifest) + '\n');
    return 0;
  } finally {
    await stores.store.close();
    await stores.blobs.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`export: ${error?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}

/**
 * Where `npm run import` writes, per profile, from the same WHARF_* variables the services read:
 *
 *   embedded     the data directory (WHARF_DATA_DIR), locked for the import's run: the package
 *                writer runs in this process on the directory's log and stores, with the
 *                server's projectors (metadata and chart index, search, blob references), so the
 *                server finds every projection current when it starts. Refused, changing
 *                nothing, while a server (or another import) holds the directory.
 *   distributed  the metadata service's writers over the command bus (WHARF_KAFKA_BROKERS, the
 *                topic prefix) and S3 (WHARF_S3_*) for the blobs: the running services fold the
 *                events as they fold pushes. The metadata service must be running.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { S3BlobStore } from '@wharf/adapters/blob-s3';
import { SqliteBlobReferenceStore } from '@wharf/adapters/blob-references-sqlite';
import { SqliteChartIndexStore } from '@wharf/adapters/chart-index-sqlite';
import { KafkaCommandClient } from '@wharf/adapters/commands-kafka';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { SqliteSearchIndex } from '@wharf/adapters/search-sqlite';
import { lockDataDir } from '@wharf/adapters/sqlite';
import { BlobReferenceProjector } from '@wharf/blob';
import { WharfConfig, kafkaClientOptions, requireSettings } from '@wharf/config';
import { ChartIndexProjection, KeyedMutex, MetadataProjector, PackageProjection, PackageWriter } from '@wharf/metadata';
import { SearchProjector } from '@wharf/search';
import type { ImportTarget } from './release-import';

export interface OpenedImportTarget extends ImportTarget {
  /**
   * Resolves once what this process folds has folded every event (embedded: search and blob
   * references; distributed: nothing, the services fold on their own). `onLag` hears the lag.
   */
  settle(onLag?: (lag: number) => void): Promise<void>;
  close(): Promise<void>;
}

export async function openImportTarget(config: WharfConfig): Promise<OpenedImportTarget> {
  return config.profile === 'distributed' ? openDistributed(config) : openEmbedded(config);
}

async function openEmbedded(config: WharfConfig): Promise<OpenedImportTarget> {
  mkdirSync(config.dataDir, { recursive: true });
  const lock = lockDataDir(config.dataDir, 'import');
  const file = (name: string) => join(config.dataDir, name);
  const log = new SqliteEventLog({ path: file('events.db'), synchronous: config.sqlite.synchronous });
  const store = new SqliteMetadataStore({ path: file('metadata.db') });
  const charts = new SqliteChartIndexStore({ path: file('charts.db') });
  const search = new SqliteSearchIndex({ path: file('search.db') });
  const references = new SqliteBlobReferenceStore({ path: file('blob-refs.db') });
  const blobs = new FsBlobStore(file('blobs'));
  const locks = new KeyedMutex();
  const projection = new PackageProjection(store, new ChartIndexProjection(charts));
  const metadataProjector = new MetadataProjector(log, projection, locks);
  const searchProjector = new SearchProjector(log, search);
  const referenceProjector = new BlobReferenceProjector(log, references);
  const close = async () => {
    // The log first: that stops the projectors, which still need the stores they write to.
    await log.close();
    await Promise.all([store.close(), charts.close(), search.close(), references.close(), blobs.close()]);
    lock.release();
  };
  try {
    await metadataProjector.start();
    await searchProjector.start();
    await referenceProjector.start();
    // A crash between an append and its apply leaves the store behind the log: caught up here,
    // the writer decides on current views (it would otherwise retry until it is).
    if (!(await metadataProjector.caughtUp(300_000)))
      throw new Error('metadata projection did not catch up with the event log');
  } catch (error) {
    await close();
    throw error;
  }
  return {
    blobs,
    commands: new PackageWriter(log, store, projection, metadataProjector, locks),
    // No message limit in process: fewer, larger commands, since each rewrites its package's view.
    commandBounds: { releases: 1000, bytes: 1024 * 1024 },
    settle: async (onLag) => {
      for (;;) {
        const lag = Math.max(
          await metadataProjector.lag(),
          await searchProjector.lag(),
          await referenceProjector.lag(),
        );
        onLag?.(lag);
        if (lag === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    close,
  };
}

async function openDistributed(config: WharfConfig): Promise<OpenedImportTarget> {
  requireSettings(config, 'kafka', 's3');
  const s3 = config.distributed.s3!;
  const blobs = await S3BlobStore.create({
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    bucket: s3.bucket,
  });
  const commands = new KafkaCommandClient({
    ...kafkaClientOptions(config, 'wharf-import'),
    replyTimeoutMs: config.dependencyTimeoutMs,
  });
  try {
    await commands.start();
  } catch (error) {
    await blobs.close();
    throw error;
  }
  return {
    blobs,
    commands,
    // Each command, and the events it appends (one Kafka record batch), well under a 1 MB message.
    commandBounds: { releases: 200, bytes: 256 * 1024 },
    settle: async () => undefined,
    close: async () => {
      await commands.close();
      await blobs.close();
    },
  };
}

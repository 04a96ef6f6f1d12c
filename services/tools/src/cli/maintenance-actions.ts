/**
 * `wharf gc` and `wharf verify` on the stores of the configured profile.
 *
 * gc: the blob service's own collector (services/blob) over the reference counts it keeps.
 *   embedded     the data directory, locked for the run (refused while the server holds it:
 *                the server collects on its own schedule, WHARF_BLOB_GC_INTERVAL_SECONDS);
 *   distributed  S3, with the reference counts of the blob service's <data>/blob-refs.db: run it
 *                on that host, with its WHARF_DATA_DIR, as `wharf replay blob-refs`.
 *   The counts are first brought up to the log's end (the collector examines nothing otherwise).
 * verify: registry-verify.ts over the live log, metadata, search, chart index and blob stores.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { S3BlobStore } from '@wharf/adapters/blob-s3';
import { SqliteBlobReferenceStore } from '@wharf/adapters/blob-references-sqlite';
import { MongoChartIndexStore } from '@wharf/adapters/chart-index-mongo';
import { SqliteChartIndexStore } from '@wharf/adapters/chart-index-sqlite';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { OpenSearchSearchIndex } from '@wharf/adapters/search-opensearch';
import { SqliteSearchIndex } from '@wharf/adapters/search-sqlite';
import { lockDataDir } from '@wharf/adapters/sqlite';
import { BlobGarbageCollector, BlobReferenceProjector } from '@wharf/blob';
import { JsonLogger, WharfConfig, kafkaClientOptions, requireSettings } from '@wharf/config';
import type { BlobStore, EventLog } from '@wharf/ports';
import { LiveStores, VerifyProblem, VerifyReport, verifyRegistry } from '../registry-verify';
import { progressSink } from './progress';

export interface Output {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function openLog(config: WharfConfig, client: string): EventLog {
  return config.profile === 'distributed'
    ? new KafkaEventLog(kafkaClientOptions(config, client))
    : new SqliteEventLog({ path: join(config.dataDir, 'events.db'), synchronous: config.sqlite.synchronous });
}

async function openBlobs(config: WharfConfig): Promise<BlobStore> {
  return config.profile === 'distributed'
    ? S3BlobStore.create(config.distributed.s3!)
    : new FsBlobStore(join(config.dataDir, 'blobs'));
}

export async function runGc(config: WharfConfig, options: { dryRun: boolean }, out: Output): Promise<number> {
  if (config.profile === 'distributed') requireSettings(config, 'kafka', 's3');
  mkdirSync(config.dataDir, { recursive: true });
  const lock = config.profile === 'distributed' ? null : lockDataDir(config.dataDir, 'gc');
  const log = openLog(config, 'wharf-gc');
  const references = new SqliteBlobReferenceStore({ path: join(config.dataDir, 'blob-refs.db') });
  const blobs = await openBlobs(config);
  try {
    const projector = new BlobReferenceProjector(log, references);
    await projector.start();
    const progress = progressSink(out.stderr);
    for (let lag = await projector.lag(); lag > 0; lag = await projector.lag()) {
      progress.update({ counting: lag }, `gc: counting references, ${lag} events to go`);
      await sleep(100);
    }
    progress.end();
    const collector = new BlobGarbageCollector(
      blobs,
      references,
      config,
      new JsonLogger(config.logLevel, (line) => out.stderr.write(line + '\n')),
      projector,
    );
    const report = await collector.collect(new Date(), { dryRun: options.dryRun });
    out.stdout.write(JSON.stringify({ profile: config.profile, ...report }) + '\n');
    return 0;
  } finally {
    await log.close();
    await Promise.all([references.close(), blobs.close()]);
    lock?.release();
  }
}

async function openLive(config: WharfConfig): Promise<LiveStores> {
  const log = openLog(config, 'wharf-verify');
  if (config.profile !== 'distributed') {
    const file = (name: string) => join(config.dataDir, name);
    return {
      log,
      metadata: new SqliteMetadataStore({ path: file('metadata.db') }),
      search: new SqliteSearchIndex({ path: file('search.db') }),
      charts: new SqliteChartIndexStore({ path: file('charts.db') }),
      blobs: new FsBlobStore(file('blobs')),
    };
  }
  const { mongo, opensearch: os } = config.distributed;
  return {
    log,
    metadata: await MongoMetadataStore.connect({ url: mongo!.url, database: mongo!.database }),
    search: await OpenSearchSearchIndex.connect({
      node: os!.url,
      indexPrefix: os!.indexPrefix,
      replicas: os!.replicas,
    }),
    charts: await MongoChartIndexStore.connect({ url: mongo!.url, database: mongo!.database }),
    blobs: await openBlobs(config),
  };
}

export async function runVerify(config: WharfConfig, options: { skipBlobs: boolean }, out: Output): Promise<number> {
  if (config.profile === 'distributed') requireSettings(config, 'kafka', 'mongo', 'opensearch', 's3');
  else mkdirSync(config.dataDir, { recursive: true });
  const live = await openLive(config);
  const scratchDir = mkdtempSync(join(tmpdir(), 'wharf-verify-'));
  const progress = progressSink(out.stderr);
  try {
    const report = await verifyRegistry(live, {
      scratchDir,
      skipBlobs: options.skipBlobs,
      onProgress: (p) =>
        progress.update(p, `verify: ${p.phase} ${p.done} of ${p.total}`, p.done / Math.max(1, p.total)),
    });
    progress.end();
    out.stdout.write(
      out.stdout.isTTY ? humanReport(report) : JSON.stringify({ profile: config.profile, ...report }) + '\n',
    );
    return report.ok ? 0 : 1;
  } finally {
    await live.log.close();
    await Promise.all([live.metadata.close(), live.search.close(), live.charts.close(), live.blobs.close()]);
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

export function humanReport(report: VerifyReport): string {
  const head =
    `${report.events} events, ${report.packages} packages in ${report.namespaces} namespaces, ` +
    `${report.blobsChecked} blobs read, ${report.seconds.toFixed(1)} s`;
  if (report.ok) return `verify: OK: ${head}\n`;
  const line = (p: VerifyProblem) => `  ${p.check.padEnd(8)} ${p.subject}: ${p.problem}`;
  return `verify: ${report.problems.length} PROBLEMS: ${head}\n${report.problems.map(line).join('\n')}\n`;
}

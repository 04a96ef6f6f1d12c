/**
 * The embedded profile's adapters: the event log, metadata and search on SQLite files and blobs
 * on the local filesystem, all under the data directory:
 *   <data>/events.db    the event log (the source of truth)
 *   <data>/metadata.db  the metadata projection
 *   <data>/search.db    the search projection
 *   <data>/blob-refs.db the blob reference counts
 *   <data>/accounts.db  users, organisations, tokens (hashed) and their audit trail
 *   <data>/charts.db    the chart index (Helm repositories) projection
 *   <data>/webhooks.db  webhook deliveries (the outbox) and their attempts
 *   <data>/webhook-secret.key  the key sealing webhook secrets, unless WHARF_WEBHOOK_SECRET_KEY is set
 *   <data>/registry-token.key  the key signing registry tokens (/v2/token), unless WHARF_REGISTRY_TOKEN_KEY is set
 *   <data>/blobs/       content-addressed tarballs (small ones also kept in memory: WHARF_BLOB_CACHE_*)
 * In this one process the gateway reads the stores directly; the distributed profile binds the
 * same tokens to clients of the owning services. Every store is timed (`instrumentStore`) under
 * the store's name and engine, as each service of the distributed profile times its own.
 */
import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonLogger, WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { SqliteAccountStore } from '@wharf/adapters/account-store-sqlite';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { SqliteSearchIndex } from '@wharf/adapters/search-sqlite';
import { openUploadSessions } from '@wharf/adapters/upload-sessions-fs';
import { SqlitePullRecordStore } from '@wharf/adapters/pull-records-sqlite';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { CachingBlobStore } from '@wharf/adapters/blob-cache';
import { SqliteBlobReferenceStore } from '@wharf/adapters/blob-references-sqlite';
import { SqliteChartIndexStore } from '@wharf/adapters/chart-index-sqlite';
import type { DataDirLock } from '@wharf/adapters/sqlite';
import { SqliteWebhookDeliveryStore } from '@wharf/adapters/webhook-deliveries-sqlite';
import { WebhookSecretBox } from '@wharf/adapters/webhook-secret-box';
import { BLOB_LOGGER } from '@wharf/blob';
import { METADATA_LOGGER } from '@wharf/metadata';
import { AccountWebhookEnqueuer, WEBHOOK_LOGGER, WEBHOOK_SETTINGS, WebhookServiceSettings } from '@wharf/webhooks';
import { StoreName, WharfMetrics, instrumentStore } from '@wharf/metrics';
import {
  ACCOUNT_CHANGES,
  ACCOUNT_STORE,
  AccountStore,
  BLOB_REFERENCES,
  BLOB_STORE,
  BlobReferenceStore,
  BlobStore,
  CHART_INDEX_READER,
  CHART_INDEX_STORE,
  ChartIndexStore,
  EVENT_LOG,
  EventLog,
  METADATA_STORE,
  MetadataStore,
  PACKAGE_READER,
  SEARCH_INDEX,
  SEARCH_READER,
  UPLOAD_SESSIONS,
  PULL_RECORDS,
  PullRecordStore,
  SearchIndex,
  WEBHOOK_DELIVERIES,
  WEBHOOK_SECRETS,
  WebhookDeliveryStore,
} from '@wharf/ports';
import { REGISTRY_TOKEN_KEY } from '@wharf/gateway';

export const LOGGER = Symbol('Logger');
/** The data directory's lock (`lockDataDir`), given back once every store is closed. */
export const DATA_DIR_LOCK = Symbol('DataDirLock');

/** Closes the log first: that stops the projectors, which still need the stores they write to. */
@Injectable()
class AdapterCloser implements OnApplicationShutdown {
  constructor(
    @Inject(ACCOUNT_STORE) private readonly accounts: AccountStore,
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(METADATA_STORE) private readonly metadata: MetadataStore,
    @Inject(SEARCH_INDEX) private readonly search: SearchIndex,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(BLOB_REFERENCES) private readonly references: BlobReferenceStore,
    @Inject(CHART_INDEX_STORE) private readonly charts: ChartIndexStore,
    @Inject(WEBHOOK_DELIVERIES) private readonly webhooks: WebhookDeliveryStore,
    @Inject(PULL_RECORDS) private readonly pulls: PullRecordStore,
    @Inject(DATA_DIR_LOCK) private readonly lock: DataDirLock,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.log.close();
    await Promise.all([
      this.metadata.close(),
      this.search.close(),
      this.blobs.close(),
      this.references.close(),
      this.charts.close(),
      this.accounts.close(),
      this.webhooks.close(),
      this.pulls.close(),
    ]);
    // Also on SIGTERM, which runs this hook but not app.close().
    this.lock.release();
  }
}

@Global()
@Module({})
export class EmbeddedAdaptersModule {
  static forConfig(config: WharfConfig, logger: JsonLogger, metrics: WharfMetrics, lock: DataDirLock): DynamicModule {
    mkdirSync(config.dataDir, { recursive: true });
    const file = (name: string) => join(config.dataDir, name);
    const sync = config.sqlite.synchronous;
    const sqlite = <T extends object>(store: T, name: StoreName) => instrumentStore(store, metrics, name, 'sqlite');
    return {
      module: EmbeddedAdaptersModule,
      providers: [
        { provide: WHARF_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: DATA_DIR_LOCK, useValue: lock },
        { provide: BLOB_LOGGER, useValue: logger },
        { provide: METADATA_LOGGER, useValue: logger },
        {
          provide: EVENT_LOG,
          useFactory: () =>
            sqlite(
              new SqliteEventLog({
                path: file('events.db'),
                synchronous: sync,
                onDeadLetter: (group, position, reason) =>
                  logger.event('error', 'event set aside', { group, position, reason }),
              }),
              'event_log',
            ),
        },
        {
          provide: METADATA_STORE,
          useFactory: () =>
            sqlite(
              new SqliteMetadataStore({ path: file('metadata.db'), viewCacheBytes: config.metadataCache.maxBytes }),
              'metadata',
            ),
        },
        {
          provide: SEARCH_INDEX,
          useFactory: () => sqlite(new SqliteSearchIndex({ path: file('search.db') }), 'search'),
        },
        // One instance for the gateway and the collector: a delete drops the cached bytes too.
        { provide: BLOB_STORE, useFactory: () => openBlobStore(file('blobs'), config, logger, metrics) },
        {
          provide: BLOB_REFERENCES,
          useFactory: () => sqlite(new SqliteBlobReferenceStore({ path: file('blob-refs.db') }), 'blob_references'),
        },
        {
          provide: CHART_INDEX_STORE,
          useFactory: () => sqlite(new SqliteChartIndexStore({ path: file('charts.db') }), 'chart_index'),
        },
        {
          provide: ACCOUNT_STORE,
          useFactory: () =>
            sqlite(new SqliteAccountStore({ path: file('accounts.db'), synchronous: sync }), 'accounts'),
        },
        {
          provide: WEBHOOK_DELIVERIES,
          useFactory: () =>
            sqlite(
              new SqliteWebhookDeliveryStore({ path: file('webhooks.db'), synchronous: sync }),
              'webhook_deliveries',
            ),
        },
        {
          provide: WEBHOOK_SECRETS,
          useFactory: () => new WebhookSecretBox(config.webhooks.secretKey ?? dataDirKey(file('webhook-secret.key'))),
        },
        {
          provide: REGISTRY_TOKEN_KEY,
          useFactory: () => config.auth.registryTokenKey ?? dataDirKey(file('registry-token.key')),
        },
        {
          provide: WEBHOOK_SETTINGS,
          useValue: {
            ...config.webhooks,
            baseUrl: config.http.publicUrl?.replace(/\/$/, '') ?? `http://${config.http.host}:${config.http.port}`,
            apiPrefix: config.http.apiPrefix,
          } satisfies WebhookServiceSettings,
        },
        { provide: WEBHOOK_LOGGER, useValue: logger },
        // Account events as webhooks: the gateway's AccountWriter tells it after each append.
        { provide: ACCOUNT_CHANGES, useClass: AccountWebhookEnqueuer },
        // OCI blob uploads in progress; sessions past WHARF_OCI_UPLOAD_MAX_AGE_SECONDS are removed
        // at start, then by the gateway's sweep (UploadSessionExpiry).
        {
          provide: UPLOAD_SESSIONS,
          useFactory: () => openUploadSessions(file('oci-uploads'), config.ociUploads.maxAgeSeconds * 1000),
        },
        // Last pulls for retention, written by the gateway's PullRecorder once a minute.
        {
          provide: PULL_RECORDS,
          useFactory: () =>
            sqlite(new SqlitePullRecordStore({ path: file('pulls.db'), synchronous: sync }), 'pull_records'),
        },
        { provide: PACKAGE_READER, useExisting: METADATA_STORE },
        { provide: CHART_INDEX_READER, useExisting: CHART_INDEX_STORE },
        { provide: SEARCH_READER, useExisting: SEARCH_INDEX },
        AdapterCloser,
      ],
      exports: [
        ACCOUNT_STORE,
        WHARF_CONFIG,
        LOGGER,
        BLOB_LOGGER,
        METADATA_LOGGER,
        BLOB_REFERENCES,
        EVENT_LOG,
        METADATA_STORE,
        SEARCH_INDEX,
        BLOB_STORE,
        PACKAGE_READER,
        SEARCH_READER,
        CHART_INDEX_STORE,
        CHART_INDEX_READER,
        WEBHOOK_DELIVERIES,
        WEBHOOK_SECRETS,
        REGISTRY_TOKEN_KEY,
        WEBHOOK_SETTINGS,
        WEBHOOK_LOGGER,
        ACCOUNT_CHANGES,
        UPLOAD_SESSIONS,
        PULL_RECORDS,
      ],
    };
  }
}

/**
 * The embedded profile's key for webhook secrets: made once (32 random bytes, readable by the
 * owner only) beside the stores, never inside one, so a copy of accounts.db alone opens nothing.
 */
function dataDirKey(path: string): Buffer {
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
}

/**
 * The blob store, once what a crash left in its uploads/ is swept: uploads older than the blob
 * collector's grace period, which no push still in progress can be (none is, at start).
 */
async function openBlobStore(
  root: string,
  config: WharfConfig,
  logger: JsonLogger,
  metrics: WharfMetrics,
): Promise<CachingBlobStore> {
  const store = new FsBlobStore(root);
  const swept = await store.sweepUploads(new Date(Date.now() - config.blobGc.graceSeconds * 1000));
  if (swept > 0) logger.event('info', 'stray uploads removed', { count: swept });
  return new CachingBlobStore(instrumentStore(store, metrics, 'blobs', 'fs'), config.blobCache, metrics);
}

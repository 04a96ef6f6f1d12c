/**
 * The gateway (distributed profile): the App Registry HTTP API. Writes become commands over
 * Kafka to the package's writer in the metadata service. Package views, listings and the Helm
 * chart index are read from MongoDB directly (the projections the metadata service writes, read
 * through their adapters' read-only connections); tarballs are stored in and read from S3
 * directly (content-addressed, so no other service needs to see the bytes; the blob service
 * counts references and collects garbage); searches go to the search service over internal
 * HTTP. Stateless: run as many as the traffic needs.
 */
import 'reflect-metadata';
import { MongoAccountStore } from '@wharf/adapters/account-store-mongo';
import { S3BlobStore } from '@wharf/adapters/blob-s3';
import { CachingBlobStore } from '@wharf/adapters/blob-cache';
import { MongoChartIndexStore } from '@wharf/adapters/chart-index-mongo';
import { KafkaCommandClient } from '@wharf/adapters/commands-kafka';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { SearchHttpClient } from '@wharf/adapters/search-http-client';
import { MongoPullRecordStore } from '@wharf/adapters/pull-records-mongo';
import { MongoWebhookDeliveryStore } from '@wharf/adapters/webhook-deliveries-mongo';
import { WebhookSecretBox } from '@wharf/adapters/webhook-secret-box';
import { S3UploadSessionStore } from '@wharf/adapters/upload-sessions-s3';
import { JsonLogger, WHARF_CONFIG, WharfConfig, kafkaClientOptions, requireSettings, runService } from '@wharf/config';
import { createService, readinessProbe } from '@wharf/http';
import { WharfMetrics, instrumentStore } from '@wharf/metrics';
import {
  ACCOUNT_CHANGES,
  ACCOUNT_STORE,
  BLOB_STORE,
  CHART_INDEX_READER,
  EVENT_LOG,
  PACKAGE_COMMANDS,
  PACKAGE_READER,
  SEARCH_READER,
  WEBHOOK_DELIVERIES,
  WEBHOOK_SECRETS,
  UPLOAD_SESSIONS,
  PULL_RECORDS,
} from '@wharf/ports';
import { AccountWebhookEnqueuer } from '@wharf/webhooks';
import { GatewayModule } from './gateway.module';
import { RetentionEnforcer } from './use-cases/retention/retention-enforcer';
import { configureGatewayHttp, gatewayAppOptions } from './http/http-setup';
import { registryTokenKeyOf } from './auth/registry-tokens';
import { warnWhenDiscoveryHasNoOrigin } from './http/discovery-origin';

async function start(config: WharfConfig, logger: JsonLogger) {
  requireSettings(config, 'kafka', 'mongo', 's3', 'services.search');
  registryTokenKeyOf(config); // before any engine is reached: a missing key is a configuration error
  const services = config.distributed.services;
  const metrics = new WharfMetrics('gateway');
  const mongo = config.distributed.mongo!;
  const mongoOptions = {
    url: mongo.url,
    database: mongo.database,
    clientOptions: { serverSelectionTimeoutMS: 10_000 },
  };
  const accounts = await MongoAccountStore.connect(mongoOptions);
  const commands = new KafkaCommandClient({
    ...kafkaClientOptions(config, 'wharf-gateway'),
    replyTimeoutMs: config.dependencyTimeoutMs,
  });
  await commands.start();
  const log = new KafkaEventLog(kafkaClientOptions(config, 'wharf-gateway'));
  // Reads without a hop through the metadata service: it acknowledges a command only once its
  // projections are written, so what a gateway reads here already holds every acknowledged push.
  const packages = await MongoMetadataStore.connectReader({
    ...mongoOptions,
    viewCacheBytes: config.metadataCache.maxBytes,
  });
  const charts = await MongoChartIndexStore.connectReader(mongoOptions);
  const blobs = await S3BlobStore.create(config.distributed.s3!);
  // OCI blob uploads: S3 multipart uploads in the blob store's bucket, their state in MongoDB, so
  // any gateway takes a session's next chunk and a session outlives the gateway that started it.
  const uploads = await S3UploadSessionStore.connect({
    s3: config.distributed.s3!,
    mongo: mongoOptions,
    maxAgeMs: config.ociUploads.maxAgeSeconds * 1000,
  });
  // Webhooks need the key that seals their secrets, shared with the webhook service; without it
  // the webhook routes answer 501.
  const key = config.webhooks.secretKey;
  const webhooks = key ? await MongoWebhookDeliveryStore.connect(mongoOptions) : null;
  // Last pulls for retention, shared by every gateway (each writes its own once a minute).
  const pulls = await MongoPullRecordStore.connect(mongoOptions);
  const app = await createService(
    {
      providers: [
        { provide: WHARF_CONFIG, useValue: config },
        {
          provide: PACKAGE_COMMANDS,
          useValue: instrumentStore(commands, metrics, 'commands', 'kafka', { ownSpans: true }),
        },
        { provide: PACKAGE_READER, useValue: instrumentStore(packages, metrics, 'metadata', 'mongodb') },
        { provide: CHART_INDEX_READER, useValue: instrumentStore(charts, metrics, 'chart_index', 'mongodb') },
        {
          provide: SEARCH_READER,
          useValue: instrumentStore(
            new SearchHttpClient(services.search!, config.dependencyTimeoutMs),
            metrics,
            'search',
            'http',
          ),
        },
        // The blob service deletes only unreferenced blobs, which no read reaches: the cache cannot go stale.
        {
          provide: BLOB_STORE,
          useValue: new CachingBlobStore(instrumentStore(blobs, metrics, 'blobs', 's3'), config.blobCache, metrics),
        },
        { provide: EVENT_LOG, useValue: instrumentStore(log, metrics, 'event_log', 'kafka') },
        { provide: ACCOUNT_STORE, useValue: instrumentStore(accounts, metrics, 'accounts', 'mongodb') },
        ...(key && webhooks
          ? [
              {
                provide: WEBHOOK_DELIVERIES,
                useValue: instrumentStore(webhooks, metrics, 'webhook_deliveries', 'mongodb'),
              },
              { provide: WEBHOOK_SECRETS, useValue: new WebhookSecretBox(key) },
              // Account events as webhooks, enqueued by the gateway that appended them (the account
              // store has no feed); the webhook service sends them from the shared outbox.
              {
                provide: ACCOUNT_CHANGES,
                useValue: new AccountWebhookEnqueuer(
                  instrumentStore(accounts, metrics, 'accounts', 'mongodb'),
                  instrumentStore(webhooks, metrics, 'webhook_deliveries', 'mongodb'),
                  {
                    ...config.webhooks,
                    baseUrl:
                      config.http.publicUrl?.replace(/\/$/, '') ?? `http://${config.http.host}:${config.http.port}`,
                    apiPrefix: config.http.apiPrefix,
                  },
                  logger,
                ),
              },
            ]
          : []),
        { provide: UPLOAD_SESSIONS, useValue: uploads },
        { provide: PULL_RECORDS, useValue: instrumentStore(pulls, metrics, 'pull_records', 'mongodb') },
      ],
      imports: [GatewayModule],
      checks: [readinessProbe('metadata store', () => packages.count())],
      metrics,
      onClose: async () => {
        await commands.close();
        await log.close();
        await accounts.close();
        await packages.close();
        await charts.close();
        await blobs.close();
        await uploads.close();
        await webhooks?.close();
        await pulls.close();
      },
    },
    logger,
    gatewayAppOptions(config),
  );
  configureGatewayHttp(app, logger);
  warnWhenDiscoveryHasNoOrigin(config, logger);
  await app.listen(config.http.port, config.http.host);
  // Retention runs here, beside the account store that holds the policies; its deletes go to the
  // writers over the bus like any other. Every replica may run it (each delete is decided once).
  app.get(RetentionEnforcer).schedule({
    intervalSeconds: config.retention.intervalSeconds,
    onError: (error) => logger.event('error', 'retention run failed', { error: String(error) }),
  });
  return app;
}

runService('gateway', start);

/**
 * The gateway (distributed profile): the App Registry HTTP API. Writes become commands over
 * Kafka to the package's writer in the metadata service; reads go to the metadata, search and
 * blob services over internal HTTP. Stateless: run as many as the traffic needs.
 */
import 'reflect-metadata';
import { MongoAccountStore } from '@wharf/adapters/account-store-mongo';
import { BlobHttpClient } from '@wharf/adapters/blob-http-client';
import { CachingBlobStore } from '@wharf/adapters/blob-cache';
import { ChartIndexHttpClient } from '@wharf/adapters/chart-index-http-client';
import { KafkaCommandClient } from '@wharf/adapters/commands-kafka';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { MetadataHttpClient } from '@wharf/adapters/metadata-http-client';
import { SearchHttpClient } from '@wharf/adapters/search-http-client';
import { JsonLogger, WHARF_CONFIG, WharfConfig, kafkaClientOptions, requireSettings, runService } from '@wharf/config';
import { createService, readinessProbe } from '@wharf/http';
import { WharfMetrics, instrumentStore } from '@wharf/metrics';
import {
  ACCOUNT_STORE,
  BLOB_STORE,
  CHART_INDEX_READER,
  EVENT_LOG,
  PACKAGE_COMMANDS,
  PACKAGE_READER,
  SEARCH_READER,
} from '@wharf/ports';
import { GatewayModule } from './gateway.module';
import { configureGatewayHttp, fastifyOptions } from './http/http-setup';
import { warnWhenDiscoveryHasNoOrigin } from './http/discovery-origin';

async function start(config: WharfConfig, logger: JsonLogger) {
  requireSettings(config, 'kafka', 'mongo', 'services.metadata', 'services.search', 'services.blob');
  const services = config.distributed.services;
  const metrics = new WharfMetrics('gateway');
  const mongo = config.distributed.mongo!;
  const accounts = await MongoAccountStore.connect({
    url: mongo.url,
    database: mongo.database,
    clientOptions: { serverSelectionTimeoutMS: 10_000 },
  });
  const commands = new KafkaCommandClient({
    ...kafkaClientOptions(config, 'wharf-gateway'),
    replyTimeoutMs: config.dependencyTimeoutMs,
  });
  await commands.start();
  const log = new KafkaEventLog(kafkaClientOptions(config, 'wharf-gateway'));
  const metadata = new MetadataHttpClient(services.metadata!, config.dependencyTimeoutMs);
  const app = await createService(
    {
      providers: [
        { provide: WHARF_CONFIG, useValue: config },
        { provide: PACKAGE_COMMANDS, useValue: instrumentStore(commands, metrics, 'commands', 'kafka') },
        { provide: PACKAGE_READER, useValue: instrumentStore(metadata, metrics, 'metadata', 'http') },
        {
          provide: CHART_INDEX_READER,
          useValue: instrumentStore(new ChartIndexHttpClient(services.metadata!), metrics, 'chart_index', 'http'),
        },
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
          useValue: new CachingBlobStore(
            instrumentStore(new BlobHttpClient(services.blob!), metrics, 'blobs', 'http'),
            config.blobCache,
            metrics,
          ),
        },
        { provide: EVENT_LOG, useValue: instrumentStore(log, metrics, 'event_log', 'kafka') },
        { provide: ACCOUNT_STORE, useValue: instrumentStore(accounts, metrics, 'accounts', 'mongodb') },
      ],
      imports: [GatewayModule],
      checks: [readinessProbe('metadata service', () => metadata.count())],
      metrics,
      onClose: async () => {
        await commands.close();
        await log.close();
        await accounts.close();
      },
    },
    logger,
    { fastify: fastifyOptions(config), ownBodyParsing: true },
  );
  configureGatewayHttp(app, logger);
  warnWhenDiscoveryHasNoOrigin(config, logger);
  await app.listen(config.http.port, config.http.host);
  return app;
}

runService('gateway', start);

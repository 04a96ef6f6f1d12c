/**
 * The metadata service (distributed profile): single writer of packages and of their projections
 * in MongoDB. Consumes package commands from Kafka, appends events, applies them, replies. The
 * gateways read those projections from MongoDB themselves; this service's HTTP port answers
 * health, readiness and metrics only.
 */
import 'reflect-metadata';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { KafkaCommandServer } from '@wharf/adapters/commands-kafka';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { MongoChartIndexStore } from '@wharf/adapters/chart-index-mongo';
import { JsonLogger, WHARF_CONFIG, WharfConfig, kafkaClientOptions, requireSettings, runService } from '@wharf/config';
import { LagGauge, ReadinessCheck, createService, followConsumerLag, readinessProbe } from '@wharf/http';
import { WharfMetrics, instrumentStore } from '@wharf/metrics';
import { CHART_INDEX_STORE, EVENT_LOG, METADATA_STORE, PACKAGE_COMMANDS, PackageCommands } from '@wharf/ports';
import { MetadataModule } from './metadata.module';
import { MetadataProjector } from './metadata-projector';
import { METADATA_LOGGER } from './package-projection';

async function start(config: WharfConfig, logger: JsonLogger) {
  requireSettings(config, 'kafka', 'mongo');
  const mongo = config.distributed.mongo!;
  const metrics = new WharfMetrics('metadata');
  const log = new KafkaEventLog(kafkaClientOptions(config, 'wharf-metadata'));
  const store = await MongoMetadataStore.connect({
    url: mongo.url,
    database: mongo.database,
    viewCacheBytes: config.metadataCache.maxBytes,
  });
  const charts = await MongoChartIndexStore.connect({ url: mongo.url, database: mongo.database });
  let commands: KafkaCommandServer | null = null;
  const checks: ReadinessCheck[] = [];
  const gauges: LagGauge[] = [];
  const app = await createService(
    {
      providers: [
        { provide: WHARF_CONFIG, useValue: config },
        { provide: METADATA_LOGGER, useValue: logger },
        { provide: EVENT_LOG, useValue: instrumentStore(log, metrics, 'event_log', 'kafka') },
        { provide: METADATA_STORE, useValue: instrumentStore(store, metrics, 'metadata', 'mongodb') },
        { provide: CHART_INDEX_STORE, useValue: instrumentStore(charts, metrics, 'chart_index', 'mongodb') },
      ],
      imports: [MetadataModule],
      checks,
      gauges,
      metrics,
      onClose: async () => {
        await commands?.close();
        await log.close();
        await store.close();
        await charts.close();
      },
    },
    logger,
  );
  const projector = app.get(MetadataProjector);
  await projector.start();
  // Commands are safe before the store has caught up (an append behind the log is refused and
  // retried once the projector has applied the rest), so a slow catch-up is reported, not fatal;
  // readiness follows the lag below.
  if (!(await projector.caughtUp(300_000))) {
    logger.event(
      'warn',
      'metadata projector still behind the event log after 300 s; serving, not ready until it catches up',
      { lag: await projector.lag() },
    );
  }
  // Another replica may have written this replica's new packages since it last held them.
  commands = new KafkaCommandServer(
    kafkaClientOptions(config, 'wharf-metadata-commands'),
    app.get<PackageCommands>(PACKAGE_COMMANDS),
    (error) => logger.event('error', 'command failed unexpectedly', { error: String(error) }),
    (partitions) => {
      log.forgetSequences();
      logger.event('info', 'commands partitions assigned', { partitions });
    },
  );
  await commands.start();
  followConsumerLag(checks, gauges, config.readiness.maxLag, { group: 'metadata', lag: () => projector.lag() });
  checks.push(readinessProbe('metadata store', () => store.count()));
  await app.listen(config.http.port, config.http.host);
  return app;
}

runService('metadata', start);

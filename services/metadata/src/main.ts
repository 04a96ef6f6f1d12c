/**
 * The metadata service (distributed profile): single writer of packages, owner of MongoDB.
 * Consumes package commands from Kafka, appends events, applies them, replies; serves package
 * reads to the gateway over internal HTTP.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { KafkaCommandServer } from '@wharf/adapters/commands-kafka';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { JsonLogger, WHARF_CONFIG, WharfConfig, kafkaClientOptions, requireSettings, runService } from '@wharf/config';
import { ReadinessCheck, ServiceHostModule, createServiceApp } from '@wharf/http';
import { EVENT_LOG, METADATA_STORE, PACKAGE_COMMANDS, PackageCommands } from '@wharf/ports';
import { InternalPackagesController } from './http/internal-packages.controller';
import { MetadataModule } from './metadata.module';
import { MetadataProjector } from './metadata-projector';

const LAG_BOUND = 1000;

async function start(config: WharfConfig, logger: JsonLogger) {
  requireSettings(config, 'kafka', 'mongo');
  const mongo = config.distributed.mongo!;
  const log = new KafkaEventLog(kafkaClientOptions(config, 'wharf-metadata'));
  const store = await MongoMetadataStore.connect({ url: mongo.url, database: mongo.database });
  const checks: ReadinessCheck[] = [];

  @Module({
    imports: [
      ServiceHostModule.with(
        [
          { provide: WHARF_CONFIG, useValue: config },
          { provide: EVENT_LOG, useValue: log },
          { provide: METADATA_STORE, useValue: store },
        ],
        checks,
      ),
      MetadataModule,
    ],
    controllers: [InternalPackagesController],
  })
  class MetadataServiceModule {}

  const app = await createServiceApp({ module: MetadataServiceModule }, logger);
  const projector = app.get(MetadataProjector);
  await projector.start();
  await projector.caughtUp(300_000);
  const commands = new KafkaCommandServer(
    kafkaClientOptions(config, 'wharf-metadata-commands'),
    app.get<PackageCommands>(PACKAGE_COMMANDS),
    (error) => logger.event('error', 'command failed unexpectedly', { error: String(error) }),
  );
  await commands.start();
  checks.push(async () => ((await projector.lag()) > LAG_BOUND ? `metadata projection lags by more than ${LAG_BOUND} events` : null));
  checks.push(async () => (await store.count(), null));
  app.getHttpAdapter().getInstance().addHook('onClose', async () => {
    await commands.close();
    await log.close();
    await store.close();
  });
  await app.listen(config.http.port, config.http.host);
  return app;
}

runService('metadata', start);

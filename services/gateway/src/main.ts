/**
 * The gateway (distributed profile): the App Registry HTTP API. Writes become commands over
 * Kafka to the package's writer in the metadata service; reads go to the metadata, search and
 * blob services over internal HTTP. Stateless: run as many as the traffic needs.
 */
import 'reflect-metadata';
import { BlobHttpClient } from '@wharf/adapters/blob-http-client';
import { KafkaCommandClient } from '@wharf/adapters/commands-kafka';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { MetadataHttpClient } from '@wharf/adapters/metadata-http-client';
import { SearchHttpClient } from '@wharf/adapters/search-http-client';
import { JsonLogger, WHARF_CONFIG, WharfConfig, kafkaClientOptions, requireSettings, runService } from '@wharf/config';
import { createService } from '@wharf/http';
import { BLOB_STORE, EVENT_LOG, PACKAGE_COMMANDS, PACKAGE_READER, SEARCH_READER } from '@wharf/ports';
import { GatewayModule } from './gateway.module';
import { configureGatewayHttp, fastifyOptions } from './http/http-setup';

async function start(config: WharfConfig, logger: JsonLogger) {
  requireSettings(config, 'kafka', 'services.metadata', 'services.search', 'services.blob');
  const services = config.distributed.services;
  const commands = new KafkaCommandClient(kafkaClientOptions(config, 'wharf-gateway'));
  await commands.start();
  const log = new KafkaEventLog(kafkaClientOptions(config, 'wharf-gateway'));
  const metadata = new MetadataHttpClient(services.metadata!);
  const app = await createService(
    {
      providers: [
        { provide: WHARF_CONFIG, useValue: config },
        { provide: PACKAGE_COMMANDS, useValue: commands },
        { provide: PACKAGE_READER, useValue: metadata },
        { provide: SEARCH_READER, useValue: new SearchHttpClient(services.search!) },
        { provide: BLOB_STORE, useValue: new BlobHttpClient(services.blob!) },
        { provide: EVENT_LOG, useValue: log },
      ],
      imports: [GatewayModule],
      checks: [async () => (await metadata.count(), null)],
      onClose: async () => {
        await commands.close();
        await log.close();
      },
    },
    logger,
    { fastify: fastifyOptions(config), ownBodyParsing: true },
  );
  configureGatewayHttp(app, logger);
  await app.listen(config.http.port, config.http.host);
  return app;
}

runService('gateway', start);

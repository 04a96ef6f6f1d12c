/**
 * The search service (distributed profile): owner of OpenSearch. Follows the event log into the
 * search index and answers the gateway's queries over internal HTTP. Scale it on its own: more
 * instances share the event partitions through their consumer group.
 */
import 'reflect-metadata';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { OpenSearchSearchIndex } from '@wharf/adapters/search-opensearch';
import { JsonLogger, WHARF_CONFIG, WharfConfig, kafkaClientOptions, requireSettings, runService } from '@wharf/config';
import { LagGauge, ReadinessCheck, createService, followConsumerLag, readinessProbe } from '@wharf/http';
import { WharfMetrics, instrumentStore } from '@wharf/metrics';
import { EVENT_LOG, SEARCH_INDEX } from '@wharf/ports';
import { InternalSearchController } from './http/internal-search.controller';
import { SearchModule } from './search.module';
import { SearchProjector } from './search-projector';

async function start(config: WharfConfig, logger: JsonLogger) {
  requireSettings(config, 'kafka', 'opensearch');
  const opensearch = config.distributed.opensearch!;
  const metrics = new WharfMetrics('search');
  const log = new KafkaEventLog(kafkaClientOptions(config, 'wharf-search'));
  const index = await OpenSearchSearchIndex.connect({
    node: opensearch.url,
    indexPrefix: opensearch.indexPrefix,
    replicas: opensearch.replicas,
  });
  const checks: ReadinessCheck[] = [];
  const gauges: LagGauge[] = [];
  const app = await createService(
    {
      providers: [
        { provide: WHARF_CONFIG, useValue: config },
        { provide: EVENT_LOG, useValue: instrumentStore(log, metrics, 'event_log', 'kafka') },
        { provide: SEARCH_INDEX, useValue: instrumentStore(index, metrics, 'search', 'opensearch') },
      ],
      imports: [SearchModule],
      controllers: [InternalSearchController],
      checks,
      gauges,
      metrics,
      onClose: async () => {
        await log.close();
        await index.close();
      },
    },
    logger,
  );
  const projector = app.get(SearchProjector);
  await projector.start();
  followConsumerLag(checks, gauges, config.readiness.maxLag, { group: 'search', lag: () => projector.lag() });
  checks.push(readinessProbe('search index', () => index.count()));
  await app.listen(config.http.port, config.http.host);
  return app;
}

runService('search', start);

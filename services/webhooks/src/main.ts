/**
 * The webhook service (distributed profile): follows the event log as consumer group `webhooks`
 * into the MongoDB delivery store and sends what is due. Replicas share the group (each enqueues
 * its partitions' packages) and split the sending by lane (WHARF_WEBHOOK_SHARD=i/n, one index per
 * replica), so no lane is sent by two processes. Needs WHARF_WEBHOOK_SECRET_KEY (the gateways'
 * key, which sealed the secrets) and WHARF_PUBLIC_URL (the registry's address in CloudEvents).
 */
import 'reflect-metadata';
import { MongoAccountStore } from '@wharf/adapters/account-store-mongo';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { MongoWebhookDeliveryStore } from '@wharf/adapters/webhook-deliveries-mongo';
import { WebhookSecretBox } from '@wharf/adapters/webhook-secret-box';
import {
  ConfigError,
  JsonLogger,
  WHARF_CONFIG,
  WharfConfig,
  kafkaClientOptions,
  requireSettings,
  runService,
} from '@wharf/config';
import { LagGauge, ReadinessCheck, createService, followConsumerLag, readinessProbe } from '@wharf/http';
import { WharfMetrics, instrumentStore } from '@wharf/metrics';
import { ACCOUNT_STORE, EVENT_LOG, WEBHOOK_DELIVERIES, WEBHOOK_SECRETS } from '@wharf/ports';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WEBHOOKS_GROUP, WebhookEnqueuer } from './webhook-enqueuer';
import { WEBHOOK_LOGGER, WEBHOOK_SETTINGS, WebhookServiceSettings } from './webhook-settings';
import { WebhooksModule } from './webhooks.module';

async function start(config: WharfConfig, logger: JsonLogger) {
  requireSettings(config, 'kafka', 'mongo');
  const missing = [
    ...(config.webhooks.secretKey ? [] : ["WHARF_WEBHOOK_SECRET_KEY: required by this service (the gateways' key)"]),
    ...(config.http.publicUrl ? [] : ['WHARF_PUBLIC_URL: required by this service (the registry in CloudEvents)']),
  ];
  if (missing.length > 0) throw new ConfigError(missing);
  const metrics = new WharfMetrics('webhooks');
  const mongo = config.distributed.mongo!;
  const mongoOptions = {
    url: mongo.url,
    database: mongo.database,
    clientOptions: { serverSelectionTimeoutMS: 10_000 },
  };
  const log = new KafkaEventLog(kafkaClientOptions(config, 'wharf-webhooks'));
  const accounts = await MongoAccountStore.connect(mongoOptions);
  const deliveries = await MongoWebhookDeliveryStore.connect(mongoOptions);
  const settings: WebhookServiceSettings = {
    ...config.webhooks,
    baseUrl: config.http.publicUrl!.replace(/\/$/, ''),
    apiPrefix: config.http.apiPrefix,
  };
  const checks: ReadinessCheck[] = [];
  const gauges: LagGauge[] = [];
  const app = await createService(
    {
      providers: [
        { provide: WHARF_CONFIG, useValue: config },
        { provide: EVENT_LOG, useValue: instrumentStore(log, metrics, 'event_log', 'kafka') },
        { provide: ACCOUNT_STORE, useValue: instrumentStore(accounts, metrics, 'accounts', 'mongodb') },
        {
          provide: WEBHOOK_DELIVERIES,
          useValue: instrumentStore(deliveries, metrics, 'webhook_deliveries', 'mongodb'),
        },
        { provide: WEBHOOK_SECRETS, useValue: new WebhookSecretBox(config.webhooks.secretKey!) },
        { provide: WEBHOOK_SETTINGS, useValue: settings },
        { provide: WEBHOOK_LOGGER, useValue: logger },
      ],
      imports: [WebhooksModule],
      checks,
      gauges,
      metrics,
      onClose: async () => {
        await log.close();
        await accounts.close();
        await deliveries.close();
      },
    },
    logger,
  );
  const enqueuer = app.get(WebhookEnqueuer);
  await enqueuer.start();
  app.get(WebhookDispatcher).start();
  followConsumerLag(checks, gauges, config.readiness.maxLag, { group: WEBHOOKS_GROUP, lag: () => enqueuer.lag() });
  metrics.followWebhookPending(() => deliveries.pending());
  checks.push(readinessProbe('webhook delivery store', () => deliveries.marks(['-'])));
  await app.listen(config.http.port, config.http.host);
  return app;
}

runService('webhooks', start);

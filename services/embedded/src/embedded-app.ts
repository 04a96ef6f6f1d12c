/**
 * Boots the embedded profile: takes the data directory's lock (no import writes it meanwhile),
 * builds the Nest application on Fastify, starts the projectors, waits until the metadata
 * projection has caught up with the log (so the first request after a restart already sees
 * every acknowledged write), then listens. Closing the application gives the lock back.
 */
import { mkdirSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataDirLock, lockDataDir } from '@wharf/adapters/sqlite';
import { BlobGarbageCollector, BlobReferenceProjector } from '@wharf/blob';
import { JsonLogger, WharfConfig } from '@wharf/config';
import {
  RetentionEnforcer,
  configureGatewayHttp,
  gatewayAppOptions,
  warnWhenDiscoveryHasNoOrigin,
} from '@wharf/gateway';
import { LagGauge, ReadinessCheck, createServiceApp, followConsumerLag } from '@wharf/http';
import { WharfMetrics } from '@wharf/metrics';
import { WEBHOOK_DELIVERIES, WebhookDeliveryStore } from '@wharf/ports';
import { MetadataProjector } from '@wharf/metadata';
import { SearchProjector } from '@wharf/search';
import { WEBHOOK_SETTINGS, WebhookDispatcher, WebhookEnqueuer, WebhookServiceSettings } from '@wharf/webhooks';
import { EmbeddedAppModule } from './embedded-app.module';

export async function startEmbedded(config: WharfConfig, logger: JsonLogger): Promise<NestFastifyApplication> {
  mkdirSync(config.dataDir, { recursive: true });
  const lock = lockDataDir(config.dataDir, 'server');
  try {
    // Given back by the stores' shutdown hook once every store is closed (app.close or a signal).
    return await boot(config, logger, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function boot(config: WharfConfig, logger: JsonLogger, lock: DataDirLock): Promise<NestFastifyApplication> {
  const checks: ReadinessCheck[] = [];
  const gauges: LagGauge[] = [];
  const metrics = new WharfMetrics('embedded');
  const app = await createServiceApp(
    EmbeddedAppModule.forConfig(config, logger, checks, gauges, metrics, lock),
    logger,
    gatewayAppOptions(config),
  );
  configureGatewayHttp(app, logger);
  warnWhenDiscoveryHasNoOrigin(config, logger);
  const metadata = app.get(MetadataProjector);
  await metadata.start();
  const search = app.get(SearchProjector);
  await search.start();
  const references = app.get(BlobReferenceProjector);
  await references.start();
  const webhooks = app.get(WebhookEnqueuer);
  followConsumerLag(
    checks,
    gauges,
    config.readiness.maxLag,
    { group: 'metadata', lag: () => metadata.lag() },
    { group: 'search', lag: () => search.lag() },
    { group: 'blob-references', lag: () => references.lag() },
    { group: 'webhooks', lag: () => webhooks.lag() },
  );
  const deliveries = app.get<WebhookDeliveryStore>(WEBHOOK_DELIVERIES);
  metrics.followWebhookPending(() => deliveries.pending());
  app.get(BlobGarbageCollector).schedule();
  app.get(RetentionEnforcer).schedule({
    intervalSeconds: config.retention.intervalSeconds,
    onError: (error) => logger.event('error', 'retention run failed', { error: String(error) }),
  });
  if (!(await metadata.caughtUp(300_000))) throw new Error('metadata projection did not catch up with the event log');
  await app.listen(config.http.port, config.http.host);
  // After listening, so CloudEvents name the port actually bound when WHARF_PUBLIC_URL is unset.
  // Deliveries never hold up a push: the enqueuer only writes the outbox, the dispatcher sends apart.
  if (!config.http.publicUrl) app.get<WebhookServiceSettings>(WEBHOOK_SETTINGS).baseUrl = await app.getUrl();
  await webhooks.start();
  app.get(WebhookDispatcher).start();
  return app;
}

import { DynamicModule, Module } from '@nestjs/common';
import type { JsonLogger, WharfConfig } from '@wharf/config';
import { LagGauge, ReadinessCheck, ServiceHostModule } from '@wharf/http';
import type { WharfMetrics } from '@wharf/metrics';
import type { DataDirLock } from '@wharf/adapters/sqlite';
import { BlobModule } from '@wharf/blob';
import { GatewayModule } from '@wharf/gateway';
import { MetadataModule } from '@wharf/metadata';
import { SearchModule } from '@wharf/search';
import { WebhooksModule } from '@wharf/webhooks';
import { EmbeddedAdaptersModule } from './embedded-adapters.module';

/** All services in one process, on the embedded adapters. */
@Module({})
export class EmbeddedAppModule {
  static forConfig(
    config: WharfConfig,
    logger: JsonLogger,
    checks: ReadinessCheck[],
    gauges: LagGauge[],
    metrics: WharfMetrics,
    lock: DataDirLock,
  ): DynamicModule {
    return {
      module: EmbeddedAppModule,
      imports: [
        EmbeddedAdaptersModule.forConfig(config, logger, metrics, lock),
        ServiceHostModule.with([], checks, gauges, metrics),
        MetadataModule,
        SearchModule,
        BlobModule,
        WebhooksModule,
        GatewayModule,
      ],
    };
  }
}

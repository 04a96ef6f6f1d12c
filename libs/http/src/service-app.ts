/**
 * Builds a service's Nest application on Fastify with the shared error rendering. The gateway
 * adds its public API settings on top (services/gateway/src/http/http-setup.ts); the internal
 * services use JSON bodies, and the blob service streams octet-stream bodies.
 */
import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import type { JsonLogger } from '@wharf/config';
import { LagGauge, ReadinessCheck, ServiceHostModule } from './service-host.module';
import { WharfExceptionFilter } from './wharf-exception.filter';

export interface ServiceAppOptions {
  fastify?: FastifyHttpOptions<Server>;
  /** Raw body parsing is the caller's (the gateway's); Nest's JSON parser is off. */
  ownBodyParsing?: boolean;
}

export async function createServiceApp(
  module: DynamicModule,
  logger: JsonLogger,
  options: ServiceAppOptions = {},
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({ logger: false, routerOptions: { maxParamLength: 2048 }, ...options.fastify }),
    {
      logger,
      bodyParser: !options.ownBodyParsing,
    },
  );
  app.useGlobalFilters(new WharfExceptionFilter(logger));
  app.enableShutdownHooks();
  return app;
}

export interface ServiceComposition {
  /** The configuration, the adapters and anything else the service's modules inject. */
  providers: Provider[];
  imports: (Type<unknown> | DynamicModule)[];
  controllers?: Type<unknown>[];
  /** Filled by the caller once the app exists; read on every /readyz. */
  checks: ReadinessCheck[];
  /** Filled by the caller once the app exists; read on every /metrics. */
  gauges?: LagGauge[];
  /** Releases the adapters when the app closes. */
  onClose: () => Promise<void>;
}

/** A service process's application: its providers made global, /healthz and /readyz, its modules. */
export async function createService(
  composition: ServiceComposition,
  logger: JsonLogger,
  options: ServiceAppOptions = {},
): Promise<NestFastifyApplication> {
  class ServiceModule {}
  const module: DynamicModule = {
    module: ServiceModule,
    imports: [
      ServiceHostModule.with(composition.providers, composition.checks, composition.gauges),
      ...composition.imports,
    ],
    controllers: composition.controllers ?? [],
  };
  const app = await createServiceApp(module, logger, options);
  app.getHttpAdapter().getInstance().addHook('onClose', composition.onClose);
  return app;
}

/**
 * Builds a service's Nest application on Fastify with the shared error rendering and the
 * request's id and trace id on its log lines (request-context.ts), the request metrics (every answered request observed on the process's WharfMetrics by method,
 * route template and status class: never the raw URL, so no request creates a series). The gateway
 * adds its public API settings on top (services/gateway/src/http/http-setup.ts); the internal
 * services use JSON bodies, and the blob service streams octet-stream bodies.
 */
import { DynamicModule, Provider, ShutdownSignal, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import type { JsonLogger } from '@wharf/config';
import type { WharfMetrics } from '@wharf/metrics';
import { flushTraces } from '@wharf/tracing';
import { METRICS } from '@wharf/ports';
import { LagGauge, ReadinessCheck, ServiceHostModule } from './service-host.module';
import { OriginOf, WharfExceptionFilter } from './wharf-exception.filter';
import { installRequestContext, requestIdOf } from './request-context';

export interface ServiceAppOptions {
  fastify?: FastifyHttpOptions<Server>;
  /** Raw body parsing is the caller's (the gateway's); Nest's JSON parser is off. */
  ownBodyParsing?: boolean;
  /** The origin the /v2 401 challenge names (the gateway's `publicOrigin`); none by default. */
  originOf?: OriginOf;
}

export async function createServiceApp(
  module: DynamicModule,
  logger: JsonLogger,
  options: ServiceAppOptions = {},
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({
      logger: false,
      routerOptions: { maxParamLength: 2048 },
      genReqId: requestIdOf,
      ...options.fastify,
    }),
    {
      logger,
      bodyParser: !options.ownBodyParsing,
    },
  );
  app.useGlobalFilters(new WharfExceptionFilter(logger, options.originOf));
  // Nest's shutdown signals but SIGUSR2, which toggles debug logging instead (libs/config boot.ts).
  app.enableShutdownHooks(Object.values(ShutdownSignal).filter((signal) => signal !== ShutdownSignal.SIGUSR2));
  const metrics = app.get<WharfMetrics>(METRICS);
  const fastify = app.getHttpAdapter().getInstance();
  installRequestContext(fastify);
  // The spans of the last requests leave with the process (tracing on; nothing otherwise).
  fastify.addHook('onClose', () => flushTraces());
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
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
  /** The process's metrics, on /metrics. */
  metrics: WharfMetrics;
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
      ServiceHostModule.with(composition.providers, composition.checks, composition.gauges ?? [], composition.metrics),
      ...composition.imports,
    ],
    controllers: composition.controllers ?? [],
  };
  const app = await createServiceApp(module, logger, options);
  app.getHttpAdapter().getInstance().addHook('onClose', composition.onClose);
  return app;
}

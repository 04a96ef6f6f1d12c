/**
 * Builds a service's Nest application on Fastify with the shared error rendering. The gateway
 * adds its public API settings on top (services/gateway/src/http/http-setup.ts); the internal
 * services use JSON bodies, and the blob service streams octet-stream bodies.
 */
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import type { JsonLogger } from '@wharf/config';
import { WharfExceptionFilter } from './wharf-exception.filter';

export interface ServiceAppOptions {
  fastify?: FastifyServerOptions;
  /** Raw body parsing is the caller's (the gateway's); Nest's JSON parser is off. */
  ownBodyParsing?: boolean;
  /** `application/octet-stream` bodies arrive as the request stream, unread. */
  streamOctets?: boolean;
}

export async function createServiceApp(module: DynamicModule, logger: JsonLogger, options: ServiceAppOptions = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter({ logger: false, routerOptions: { maxParamLength: 2048 }, ...options.fastify }), {
    logger,
    bodyParser: !options.ownBodyParsing,
  });
  if (options.streamOctets) {
    app.getHttpAdapter().getInstance().addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  }
  app.useGlobalFilters(new WharfExceptionFilter(logger));
  app.enableShutdownHooks();
  return app;
}

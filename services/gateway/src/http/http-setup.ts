/**
 * Fastify settings for the App Registry API: every route at the root and under the configured
 * prefix (by rewriting the URL before routing, so there is one route table), trailing slashes
 * accepted, bodies read as raw bytes whatever their Content-Type (use cases parse them as
 * JSON), and a structured access log without credentials. (The exception filter is shared by
 * every service: libs/http.)
 */
import { Caller, callerName } from '@wharf/domain';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { JsonLogger, WharfConfig } from '@wharf/config';

export function fastifyOptions(config: WharfConfig): FastifyServerOptions {
  const prefix = config.http.apiPrefix;
  return {
    bodyLimit: config.http.maxBodyBytes,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: false, maxParamLength: 2048 },
    rewriteUrl: (req: IncomingMessage) => stripPrefix(req.url ?? '/', prefix),
    logger: false,
  };
}

export function stripPrefix(url: string, prefix: string): string {
  if (url === prefix || url.startsWith(prefix + '?')) return '/' + url.slice(prefix.length);
  if (url.startsWith(prefix + '/')) return url.slice(prefix.length);
  return url;
}

export function configureGatewayHttp(app: NestFastifyApplication, logger: JsonLogger): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // The access log is at `info`: below that level the hook would run on every request for nothing.
  if (!logger.logs('info')) return;
  fastify.addHook('onResponse', async (request, reply) => {
    const caller = (request as { caller?: Caller }).caller;
    logger.event('info', 'request', {
      method: request.method,
      path: (request.originalUrl ?? request.url).split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      // Who asked (an account name, never a credential), once the CallerGuard has run.
      ...(caller ? { caller: callerName(caller) } : {}),
    });
  });
}

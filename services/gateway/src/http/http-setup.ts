import { ServiceAppOptions, pathOf, publicOrigin } from '@wharf/http';
/**
 * Fastify settings for the App Registry API: every route at the root and under the configured
 * prefix (by rewriting the URL before routing, so there is one route table), trailing slashes
 * accepted, bodies read as raw bytes whatever their Content-Type (use cases parse them as
 * JSON) within per-route bounds (body-limits.ts: uploads read only once the caller may write),
 * and a structured access log without credentials. (The exception filter is shared by every
 * service: libs/http.)
 */
import { Caller, callerName } from '@wharf/domain';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyHttpOptions } from 'fastify';
import type { IncomingMessage, Server, ServerOptions } from 'node:http';
import type { Readable } from 'node:stream';
import { JsonLogger, WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { UPLOAD_SESSIONS, UploadSessionStore } from '@wharf/ports';
import { CallerGuard } from '../auth/caller.guard';
import { PushAdmission } from '../auth/push-admission';
import { UploadBytesInFlight } from '../auth/upload-bytes-in-flight';
import { UploadSlots } from '../auth/upload-slots';
import {
  UploadGate,
  admitUploadBody,
  bodyLimitOf,
  boundedStream,
  dropUnreadBody,
  keepRefusedConnectionsOpen,
  readBoundedBody,
  releaseUpload,
} from './body-limits';
import { isOciStreamedBody } from './oci-http';

/** The gateway's application options (embedded and distributed alike): Fastify's, its own body parsing, the public origin of OCI challenges. */
export function gatewayAppOptions(config: WharfConfig): ServiceAppOptions {
  return {
    fastify: fastifyOptions(config),
    ownBodyParsing: true,
    originOf: (request) => publicOrigin(request, config),
  };
}

export function fastifyOptions(config: WharfConfig): FastifyHttpOptions<Server> {
  const prefix = config.http.apiPrefix;
  return {
    // Unused by the gateway's own parser (body-limits.ts decides per route), a floor for any other.
    bodyLimit: config.http.maxAccountBodyBytes,
    // Fastify's default (0) lets a client drip a request for ever; Node's own default is 300 s.
    requestTimeout: config.http.requestTimeoutMs,
    http: requestDeadline(config.http.requestTimeoutMs),
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: false, maxParamLength: 2048 },
    rewriteUrl: (req: IncomingMessage) => stripPrefix(req.url ?? '/', prefix),
    // Behind the listed proxies, `request.ip` (rate limits, hashing lanes, upload slots) is the
    // client's address from X-Forwarded-For; otherwise the header is ignored, so it cannot be spoofed.
    trustProxy: config.http.trustedProxies ?? false,
    logger: false,
  };
}

/**
 * Node takes the request deadline from the server's options (setting it on the server later
 * leaves the headers' 60 s deadline in charge) and enforces it on a timer, here a quarter of it
 * (at least 1 s, at most 30 s). 0: no deadline.
 */
function requestDeadline(timeoutMs: number): ServerOptions {
  if (timeoutMs <= 0) return {};
  return {
    requestTimeout: timeoutMs,
    headersTimeout: Math.min(60_000, timeoutMs),
    connectionsCheckingInterval: Math.min(30_000, Math.max(1000, Math.floor(timeoutMs / 4))),
  };
}

export function stripPrefix(url: string, prefix: string): string {
  if (url === prefix || url.startsWith(prefix + '?')) return '/' + url.slice(prefix.length);
  if (url.startsWith(prefix + '/')) return url.slice(prefix.length);
  return url;
}

export function configureGatewayHttp(app: NestFastifyApplication, logger: JsonLogger): void {
  const fastify = app.getHttpAdapter().getInstance();
  const config = app.get<WharfConfig>(WHARF_CONFIG);
  let gate: UploadGate | undefined;
  const uploadGate = (): UploadGate => {
    if (gate) return gate;
    const callers = app.get(CallerGuard);
    const admission = app.get(PushAdmission);
    const slots = app.get(UploadSlots);
    const bytes = app.get(UploadBytesInFlight);
    const sessions = app.get<UploadSessionStore>(UPLOAD_SESSIONS, { strict: false });
    gate = {
      callerOf: (request) => callers.callerOf(request),
      admit: (caller, namespace) => admission.admit(caller, namespace),
      takeSlot: (uploader, signal) => slots.acquire(uploader, signal),
      reserveBytes: (count, signal) => bytes.acquire(count, signal),
      sessionHeldBytes: (repository, id) => sessions.heldBytes(repository, id),
    };
    return gate;
  };
  fastify.addHook('preParsing', admitUploadBody(uploadGate, config));
  fastify.addHook('onSend', keepRefusedConnectionsOpen);
  fastify.addHook('onSend', dropUnreadBody);
  fastify.addHook('onResponse', async (request) => releaseUpload(request));
  fastify.addHook('onRequestAbort', async (request) => releaseUpload(request));
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (request, payload, done) => {
    // OCI uploads stream into their session, within the admitted bound; a manifest is read once
    // the caller may push (oci-http.ts).
    if (isOciStreamedBody(request))
      return done(null, boundedStream(payload as unknown as Readable, bodyLimitOf(request, config)));
    readBoundedBody(
      payload as unknown as Readable,
      request.headers['content-length'],
      bodyLimitOf(request, config),
    ).then(
      (body) => done(null, body),
      (error: Error) => done(error, undefined),
    );
  });
  // The access log is at `info`, asked per request: the level can change while running (SIGUSR2).
  fastify.addHook('onResponse', async (request, reply) => {
    if (!logger.logs('info')) return;
    const caller = (request as { caller?: Caller }).caller;
    logger.event('info', 'request', {
      method: request.method,
      path: pathOf(request.originalUrl ?? request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      // Who asked (an account name, never a credential), once the CallerGuard has run.
      ...(caller ? { caller: callerName(caller) } : {}),
    });
  });
}

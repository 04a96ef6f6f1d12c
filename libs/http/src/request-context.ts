/**
 * Every request has an id, on every line logged while serving it and in the `x-request-id`
 * response header: the caller's X-Request-Id when it is a short safe token (so a proxy's id
 * carries through), else a fresh UUID. A valid W3C `traceparent` adds its trace id as
 * `trace_id`, so the lines correlate with the caller's trace. With tracing on (libs/tracing),
 * each request is a server span, child of the caller's traceparent when it sent one, and the
 * lines carry that span's trace id.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { LogContext, logContext } from '@wharf/config';
import { ServerSpan, startServerSpan, tracingEnabled } from '@wharf/tracing';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
// version-traceid-parentid-flags; version ff is invalid, and version 00 has nothing after the flags.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;

/** Fastify's genReqId: the caller's X-Request-Id when it is a short safe token, else a UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** The trace id of a valid W3C traceparent header, else undefined. */
export function traceIdOf(traceparent: string | string[] | undefined): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = TRACEPARENT.exec(traceparent.trim());
  if (!match) return undefined;
  const [, version, traceId = '', parentId = '', rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return traceId;
}

/**
 * Sets each request's log context as it arrives and answers its id in `x-request-id`. Everything
 * fastify and Nest then run for the request inherits the context: reading the body, the handler,
 * the exception filter (an aborted body included) and the onResponse hooks (the access log).
 */
export function installRequestContext(fastify: FastifyInstance): void {
  const spans = new WeakMap<object, ServerSpan>();
  fastify.addHook('onRequest', (request, reply, done) => {
    const context: LogContext = { request_id: request.id };
    const span = startServerSpan(request.method, request.headers);
    const traceId = span?.traceId ?? traceIdOf(request.headers.traceparent);
    if (traceId) context.trace_id = traceId;
    void reply.header('x-request-id', request.id);
    if (!span) return logContext.run(context, done);
    spans.set(request, span);
    span.run(() => logContext.run(context, done));
  });
  if (!tracingEnabled()) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    spans.get(request)?.end(reply.statusCode, request.routeOptions.url);
    done();
  });
  // The client went away before the answer: no status was sent (499, as nginx logs it).
  fastify.addHook('onRequestAbort', (request, done) => {
    spans.get(request)?.end(499, request.routeOptions.url);
    done();
  });
}

/**
 * Turns anything thrown while serving a request into the API's error format. Typed domain
 * errors map through the one status table; framework and parser errors get the nearest code;
 * anything unexpected is a 500 whose body says nothing about internals (the log has the stack).
 */
import { HttpException } from '@nestjs/common';
import {
  DEFAULT_RETRY_AFTER_SECONDS,
  ErrorDetails,
  RangeNotSatisfiableError,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
  WharfError,
} from '@wharf/domain';
import { ErrorBody, HTTP_STATUS_BY_CODE, WireErrorCode, errorBody } from '@wharf/contracts';
import { isOutage } from '@wharf/ports';

export interface RenderedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True when the error is unexpected and its stack belongs in the log. */
  unexpected: boolean;
}

const FASTIFY_CODES: Record<string, WireErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid-usage',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-usage',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'invalid-usage',
  FST_ERR_BAD_URL: 'invalid-usage',
};

/**
 * Seconds a client should wait: the error's own figure, also when it crossed a process boundary
 * (a command's reply carries the code and details, not the class: `retry_after` of a rate limit,
 * none of an outage, which then gets the default).
 */
function retryAfterOf(error: WharfError): number {
  if (error instanceof ServiceUnavailableError || error instanceof RateLimitedError) return error.retryAfterSeconds;
  const fromDetails = error.details['retry_after'];
  return typeof fromDetails === 'number' && fromDetails > 0 ? fromDetails : DEFAULT_RETRY_AFTER_SECONDS;
}

export function renderError(error: unknown, method: string, path: string): RenderedError {
  if (error instanceof WharfError && Object.hasOwn(HTTP_STATUS_BY_CODE, error.code)) {
    const headers: Record<string, string> = {};
    if (error.code === 'service-unavailable' || error.code === 'rate-limited')
      headers['retry-after'] = String(retryAfterOf(error));
    if (error instanceof UnauthorizedError) headers['www-authenticate'] = 'Basic realm="wharf", charset="UTF-8"';
    if (error instanceof RangeNotSatisfiableError) headers['content-range'] = `bytes */${error.size}`;
    return rendered(error.code as WireErrorCode, error.message, error.details, headers);
  }
  // A store, the log or another service could not be reached or is overloaded (isOutage: the
  // store adapters' DependencyUnavailableError, or a socket or HTTP failure): 503 with
  // Retry-After and no word about the engine, never a 500.
  if (isOutage(error)) return renderError(new ServiceUnavailableError('a backing service'), method, path);
  const fastifyCode = (error as { code?: unknown })?.code;
  const transportCode =
    typeof fastifyCode === 'string' && Object.hasOwn(FASTIFY_CODES, fastifyCode)
      ? FASTIFY_CODES[fastifyCode]
      : undefined;
  if (transportCode) {
    return rendered(transportCode, (error as Error).message, {});
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404) return rendered('route-not-found', `no route for ${method} ${path}`, { method, path });
    if (status === 405) return rendered('method-not-allowed', `${method} is not allowed on ${path}`, { method, path });
    if (status === 413) return rendered('payload-too-large', 'request body too large', {});
    if (status < 500) return rendered('invalid-usage', error.message, {});
  }
  // Only Fastify's own request errors say something about the client's request; a 4xx status
  // from a dependency's client library (a store's HTTP API) is our failure, not the client's.
  const status = (error as { statusCode?: unknown })?.statusCode;
  if (
    typeof fastifyCode === 'string' &&
    fastifyCode.startsWith('FST_') &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500
  ) {
    return rendered(status === 413 ? 'payload-too-large' : 'invalid-usage', (error as Error).message, {});
  }
  return { ...rendered('internal-error', 'internal error', {}), unexpected: true };
}

function rendered(
  code: WireErrorCode,
  message: string,
  details: ErrorDetails,
  headers: Record<string, string> = {},
): RenderedError {
  return { status: HTTP_STATUS_BY_CODE[code], body: errorBody(code, message, details), headers, unexpected: false };
}

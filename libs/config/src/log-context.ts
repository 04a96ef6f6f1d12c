/**
 * The ids of the request being served, added to every line logged while serving it
 * (json-logger.ts). libs/http sets them for each request; anything called from the request's
 * handler (its promises, its callbacks) sees them without passing them along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface LogContext {
  /** The request's id: the caller's X-Request-Id when it is a short safe token, else generated. */
  request_id: string;
  /** The trace id of the caller's W3C `traceparent` header, when it sent a valid one. */
  trace_id?: string;
}

export const logContext = new AsyncLocalStorage<LogContext>();

/**
 * The one way a store adapter says "my engine could not be reached or is overloaded" to the rest
 * of Wharf, whatever the engine: every port's methods reject with DependencyUnavailableError for
 * an outage (a refused or dropped connection, a timeout, a busy or full disk, a 429 or 5xx of the
 * engine's HTTP API), and with anything else for everything else. Each adapter knows its own
 * driver's errors and translates them (`translateOutages`); nothing above the adapters knows a
 * driver.
 *
 * What the callers do with it: a projector retries the batch without bound and sets nothing
 * aside (event-handler-failures.ts), and an HTTP request is answered 503 with Retry-After and no
 * word about the engine (libs/http's error renderer).
 */
import { ServiceUnavailableError } from '@wharf/domain';

/** A store's engine could not be reached or is overloaded; `cause` is the driver's error (for the log). */
export class DependencyUnavailableError extends Error {
  constructor(
    /** The engine, as an operator would name it ('MongoDB', 'OpenSearch', 'SQLite', 'S3'). */
    readonly dependency: string,
    options: { cause: unknown },
  ) {
    super(`${dependency} is unavailable: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.name = 'DependencyUnavailableError';
  }
}

/** `error` and its causes, outermost first (at most five deep). */
export function* errorChain(error: unknown): Generator<object> {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * Error codes of node's own sockets and name lookups (no driver's): whichever client opened the
 * socket, one of these in an error's chain means the other end could not be reached.
 */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True when `error` (or one of its causes) says a dependency could not be reached or is
 * overloaded, rather than that the work itself failed: DependencyUnavailableError (an adapter's
 * translation), ServiceUnavailableError (another service's answer), the abort and timeout of a
 * web-platform request (`AbortError`, `TimeoutError`), node's socket error codes, and an HTTP
 * `statusCode` of 429 or 5xx.
 */
export function isOutage(error: unknown): boolean {
  for (const e of errorChain(error) as Iterable<{ name?: unknown; code?: unknown; statusCode?: unknown }>) {
    if (e instanceof DependencyUnavailableError || e instanceof ServiceUnavailableError) return true;
    if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
    if (typeof e.code === 'string' && SOCKET_CODES.has(e.code)) return true;
    if (typeof e.statusCode === 'number' && (e.statusCode === 429 || e.statusCode >= 500)) return true;
  }
  return false;
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Makes every method of an adapter class reject (or throw) with DependencyUnavailableError where
 * its driver failed with an outage: `isEngineOutage` is the adapter's knowledge of its driver.
 * Applied once to the class's prototype, so no method, present or future, can let a driver's
 * outage error out untranslated. Promises, synchronous throws and async generators are covered;
 * a stream a method returns emits its own errors (a body cut off mid-way cannot be retried or
 * answered anyway). Errors that are not outages pass unchanged.
 */
export function translateOutages(
  adapter: { prototype: object },
  dependency: string,
  isEngineOutage: (error: unknown) => boolean,
): void {
  const translate = (error: unknown): unknown =>
    error instanceof DependencyUnavailableError || error instanceof ServiceUnavailableError || !isEngineOutage(error)
      ? error
      : new DependencyUnavailableError(dependency, { cause: error });
  const prototype = adapter.prototype;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name)!;
    if (name === 'constructor' || typeof descriptor.value !== 'function') continue;
    const method = descriptor.value as Method;
    const wrapped: Method =
      method.constructor.name === 'AsyncGeneratorFunction'
        ? async function* (this: unknown, ...args: unknown[]) {
            try {
              yield* method.apply(this, args) as AsyncGenerator<unknown>;
            } catch (error) {
              throw translate(error);
            }
          }
        : function (this: unknown, ...args: unknown[]) {
            let result: unknown;
            try {
              result = method.apply(this, args);
            } catch (error) {
              throw translate(error);
            }
            return result instanceof Promise
              ? result.catch((error: unknown) => {
                  throw translate(error);
                })
              : result;
          };
    Object.defineProperty(wrapped, 'name', { value: method.name });
    Object.defineProperty(prototype, name, { ...descriptor, value: wrapped });
  }
}

/**
 * When a subscription's handler fails: what the log does about it (EventLog.subscribe), shared
 * by every adapter so that the embedded and distributed profiles behave alike.
 *
 * - An outage (the handler's store cannot be reached: `isOutage`) says nothing about the
 *   events: the batch is retried after a pause, without bound, and nothing is set aside. A
 *   store outage must never drain the log into the dead-letter store.
 * - Any other failure is retried `maxAttempts` times; then the batch's events are handed over
 *   one at a time, and an event that still fails `maxAttempts` times on its own is set aside
 *   with the handler's error as its reason. Its neighbours are applied.
 * - A handler that throws UnappliableEventsError has applied the rest of the batch; the events
 *   it lists are set aside at once, with their reasons (retrying a deterministic fold, or a
 *   package parked behind a set-aside event, cannot help).
 */
import { ServiceUnavailableError } from '@wharf/domain';
import type { EventEnvelope } from '@wharf/contracts';

export interface RejectedEvent {
  event: EventEnvelope;
  reason: string;
}

/**
 * Thrown by a subscription handler that applied its whole batch except `rejected`, events it can
 * never apply. The log sets those aside (dead-letter topic or table, with the reason) and moves on.
 */
export class UnappliableEventsError extends Error {
  constructor(readonly rejected: RejectedEvent[]) {
    super(
      `${rejected.length} event(s) cannot be applied: ${rejected.map((r) => `${r.event.package}#${r.event.sequence}: ${r.reason}`).join('; ')}`,
    );
    this.name = 'UnappliableEventsError';
  }
}

/**
 * A package whose projection stands at `applied` while its next events start later: an event
 * between was set aside, so the package is parked there. Its later events are rejected with this
 * reason rather than folded over the hole; a replay after the cause is fixed catches it up.
 */
export function parkedBehind(applied: number, fresh: readonly EventEnvelope[]): RejectedEvent[] {
  return fresh.map((event) => ({
    event,
    reason: `sequence gap: ${event.package} is parked at sequence ${applied} (event ${applied + 1} was set aside), so event ${event.sequence} is set aside too`,
  }));
}

/** Attempts at a batch (and then at each of its events) before a failing event is set aside. */
export const DEFAULT_MAX_ATTEMPTS = 5;

const OUTAGE_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'ConnectionError',
  'NoLivingConnectionsError',
  'TimeoutError',
  'AbortError',
]);
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
]);

/**
 * True when `error` (or one of its causes) says a dependency could not be reached or is
 * overloaded, rather than that these events cannot be applied: ServiceUnavailableError, the
 * drivers' connection and timeout errors, socket error codes, HTTP 429 and 5xx.
 */
export function isOutage(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    if (current instanceof ServiceUnavailableError) return true;
    const e = current as {
      name?: unknown;
      code?: unknown;
      statusCode?: unknown;
      meta?: { statusCode?: unknown };
      $metadata?: { httpStatusCode?: unknown };
      cause?: unknown;
    };
    if (typeof e.name === 'string' && OUTAGE_NAMES.has(e.name)) return true;
    if (typeof e.code === 'string' && OUTAGE_CODES.has(e.code)) return true;
    const status = e.statusCode ?? e.meta?.statusCode ?? e.$metadata?.httpStatusCode;
    if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
    current = e.cause;
  }
  return false;
}

export interface BoundedDelivery {
  maxAttempts: number;
  /** Waits before the next attempt; resolves false when delivery must stop (nothing is checkpointed then). */
  pause(): Promise<boolean>;
}

export type DeliveryOutcome<E extends EventEnvelope> =
  { delivered: true; setAside: { event: E; reason: string }[] } | { delivered: false };

/**
 * Hands `events` to `handler` under the rules above. Resolves `delivered: true` with the events
 * to set aside once every other event was applied; `delivered: false` when `pause` said stop.
 */
export async function deliverBounded<E extends EventEnvelope>(
  events: readonly E[],
  handler: (events: E[]) => Promise<void>,
  control: BoundedDelivery,
): Promise<DeliveryOutcome<E>> {
  const byId = new Map(events.map((e) => [e.id, e]));
  const rejectedOf = (error: UnappliableEventsError) =>
    error.rejected.flatMap(({ event, reason }) => (byId.has(event.id) ? [{ event: byId.get(event.id)!, reason }] : []));

  // Whole batch first.
  for (let failures = 0; ;) {
    try {
      await handler([...events]);
      return { delivered: true, setAside: [] };
    } catch (error) {
      if (error instanceof UnappliableEventsError) return { delivered: true, setAside: rejectedOf(error) };
      if (!isOutage(error)) failures++;
      if (failures >= control.maxAttempts) break;
      if (!(await control.pause())) return { delivered: false };
    }
  }
  // Then one event at a time, to find the ones that fail on their own.
  const setAside: { event: E; reason: string }[] = [];
  for (const event of events) {
    for (let failures = 0; ;) {
      try {
        await handler([event]);
        break;
      } catch (error) {
        if (error instanceof UnappliableEventsError) {
          setAside.push(...rejectedOf(error));
          break;
        }
        if (!isOutage(error)) failures++;
        if (failures >= control.maxAttempts) {
          setAside.push({ event, reason: `failed ${failures} times: ${(error as Error)?.message ?? String(error)}` });
          break;
        }
        if (!(await control.pause())) return { delivered: false };
      }
    }
  }
  return { delivered: true, setAside };
}

/**
 * Times every call of a store port from outside its adapter, without touching the adapter: the
 * composition roots hand the rest of the service `instrumentStore(adapter, ...)` instead of the
 * adapter. Each method called through it is observed on `wharf_store_call_duration_seconds`
 * with the labels {store, engine, operation, outcome}:
 * - `ok`: it returned, or its promise resolved;
 * - `outage`: it failed with what the ports call an outage (`isOutage`: the engine could not be
 *   reached or is overloaded, DependencyUnavailableError and the like);
 * - `error`: any other failure, a port's typed refusals included (not found, a conflict).
 * A method that returns no promise (an async iterable, a stream) is timed until it returns.
 * With tracing on (libs/tracing), each call is also a client span `<store>.<operation>` with its
 * engine, child of the request's or the message's span, unless `ownSpans` says the adapter makes
 * its spans itself (the Kafka command bus: a producer span whose context travels with the
 * command), so that a call is one span, not a client span around the adapter's.
 *
 * An object in front of the adapter rather than a wrapper on its class (as `translateOutages`
 * does): the same class serves uninstrumented tools, calls an adapter makes on itself are not
 * counted as store calls, and no port needs its methods listed. The object's prototype is the
 * adapter, so its fields read through and `instanceof` holds; each method found on the adapter
 * when it is instrumented (its class chain and its own function fields) gets a timed one that
 * runs it with the adapter itself as `this` (private fields work). The observers of each
 * operation are made on its first call and kept. No Proxy: its trap runs on every property
 * read, and a pull took more CPU with it in runs one after another, not paired
 * (docs/benchmarks.md, "Metrics").
 */
import { performance } from 'node:perf_hooks';
import { isOutage } from '@wharf/ports';
import { inSpan, tracingEnabled } from '@wharf/tracing';
import type { Observe, StoreCallOutcome, WharfMetrics } from './wharf-metrics';

/** The stores as the `store` label names them. */
export type StoreName =
  | 'event_log'
  | 'metadata'
  | 'search'
  | 'blobs'
  | 'accounts'
  | 'chart_index'
  | 'blob_references'
  | 'commands'
  | 'webhook_deliveries'
  | 'pull_records';

/** The engines as the `engine` label names them; `http` is another Wharf service. */
export type EngineName = 'sqlite' | 'fs' | 'kafka' | 'mongodb' | 's3' | 'opensearch' | 'http';

type Method = (...args: unknown[]) => unknown;

export function instrumentStore<T extends object>(
  port: T,
  metrics: Pick<WharfMetrics, 'storeCallObservers'>,
  store: StoreName,
  engine: EngineName,
  options: { ownSpans?: boolean } = {},
): T {
  const spans = !options.ownSpans;
  const instrumented = Object.create(port) as T;
  for (const [operation, descriptor] of methodsOf(port)) {
    const original = descriptor.value as Method;
    let observers: Record<StoreCallOutcome, Observe> | null = null;
    const observe = (outcome: StoreCallOutcome, started: number) => {
      observers ??= metrics.storeCallObservers(store, engine, operation);
      observers[outcome]((performance.now() - started) / 1000);
    };
    const failed = (error: unknown, started: number) => observe(isOutage(error) ? 'outage' : 'error', started);
    const span = `${store}.${operation}`;
    const attributes = { 'wharf.store': store, 'wharf.engine': engine };
    const timed: Method = (...args) =>
      spans && tracingEnabled() ? inSpan(span, 'client', attributes, () => call(args)) : call(args);
    const call = (args: unknown[]) => {
      const started = performance.now();
      let result: unknown;
      try {
        result = original.apply(port, args);
      } catch (error) {
        failed(error, started);
        throw error;
      }
      if (!(result instanceof Promise)) {
        observe('ok', started);
        return result;
      }
      return result.then(
        (value: unknown) => {
          observe('ok', started);
          return value;
        },
        (error: unknown) => {
          failed(error, started);
          throw error;
        },
      );
    };
    Object.defineProperty(instrumented, operation, { value: timed, writable: true, configurable: true });
  }
  // Accessors run on the adapter too (a getter may read a private field).
  for (const [name, descriptor] of accessorsOf(port)) {
    Object.defineProperty(instrumented, name, {
      get: descriptor.get && (() => descriptor.get!.call(port)),
      set: descriptor.set && ((value: unknown) => descriptor.set!.call(port, value)),
      configurable: true,
    });
  }
  return instrumented;
}

/** The adapter's methods, its own (function-valued fields) and its classes', nearest first, by name. */
function methodsOf(port: object): Map<string, PropertyDescriptor> {
  const found = new Map<string, PropertyDescriptor>();
  for (const [name, descriptor] of propertiesOf(port))
    if (typeof descriptor.value === 'function' && name !== 'constructor') found.set(name, descriptor);
  return found;
}

function accessorsOf(port: object): Map<string, PropertyDescriptor> {
  const found = new Map<string, PropertyDescriptor>();
  for (const [name, descriptor] of propertiesOf(port))
    if (descriptor.get || descriptor.set) found.set(name, descriptor);
  return found;
}

/** Every string-named property along the prototype chain up to Object.prototype, nearest definition of each name first. */
function propertiesOf(port: object): Map<string, PropertyDescriptor> {
  const found = new Map<string, PropertyDescriptor>();
  for (let level: object | null = port; level && level !== Object.prototype; level = Object.getPrototypeOf(level)) {
    for (const name of Object.getOwnPropertyNames(level)) {
      if (!found.has(name)) found.set(name, Object.getOwnPropertyDescriptor(level, name)!);
    }
  }
  return found;
}

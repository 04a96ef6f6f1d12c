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
 *
 * A Proxy rather than a wrapper per port method (as `translateOutages` does per class): the
 * same instance serves uninstrumented tools, calls an adapter makes on itself are not counted
 * as store calls, and no port needs its methods listed. The adapter's methods run with the
 * adapter itself as `this` (private fields work); the observers of each operation are made on
 * its first call and kept.
 */
import { performance } from 'node:perf_hooks';
import { isOutage } from '@wharf/ports';
import type { Observe, StoreCallOutcome, WharfMetrics } from './wharf-metrics';

/** The stores as the `store` label names them. */
export type StoreName =
  'event_log' | 'metadata' | 'search' | 'blobs' | 'accounts' | 'chart_index' | 'blob_references' | 'commands';

/** The engines as the `engine` label names them; `http` is another Wharf service. */
export type EngineName = 'sqlite' | 'fs' | 'kafka' | 'mongodb' | 's3' | 'opensearch' | 'http';

type Method = (...args: unknown[]) => unknown;

interface Timed {
  original: Method;
  timed: Method;
}

export function instrumentStore<T extends object>(
  port: T,
  metrics: Pick<WharfMetrics, 'storeCallObservers'>,
  store: StoreName,
  engine: EngineName,
): T {
  const timedMethods = new Map<string, Timed>();
  const timedOf = (operation: string, original: Method): Method => {
    const known = timedMethods.get(operation);
    if (known?.original === original) return known.timed;
    let observers: Record<StoreCallOutcome, Observe> | null = null;
    const observe = (outcome: StoreCallOutcome, started: number) => {
      observers ??= metrics.storeCallObservers(store, engine, operation);
      observers[outcome]((performance.now() - started) / 1000);
    };
    const failed = (error: unknown, started: number) => observe(isOutage(error) ? 'outage' : 'error', started);
    const timed: Method = (...args) => {
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
    timedMethods.set(operation, { original, timed });
    return timed;
  };
  return new Proxy(port, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor') return value;
      return timedOf(property, value as Method);
    },
  });
}

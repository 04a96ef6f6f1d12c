/**
 * The MongoDB driver's errors that mean the server could not be reached (or dropped us), as
 * opposed to a refused or failing command: what the Mongo adapters translate into the ports'
 * DependencyUnavailableError (libs/ports, dependency-unavailable.ts).
 */
import { errorChain, translateOutages } from '@wharf/ports';

const OUTAGE_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
]);

/** True when `error` or one of its causes is one of the driver's connection errors. */
export function isMongoOutage(error: unknown): boolean {
  for (const e of errorChain(error)) if (OUTAGE_NAMES.has(String((e as { name?: unknown }).name))) return true;
  return false;
}

/** Every method of a Mongo adapter class rejects with DependencyUnavailableError on the driver's outages. */
export function translateMongoOutages(adapter: { prototype: object }): void {
  translateOutages(adapter, 'MongoDB', isMongoOutage);
}

/**
 * The OpenSearch client's errors that mean the cluster could not be reached or is overloaded (no
 * living connection, a connection error, a 429 or 5xx answer, which the client keeps in
 * `meta.statusCode`), as opposed to a refused request: what the adapter translates into the
 * ports' DependencyUnavailableError (libs/ports, dependency-unavailable.ts).
 */
import { errorChain } from '@wharf/ports';

const OUTAGE_NAMES = new Set(['ConnectionError', 'NoLivingConnectionsError', 'TimeoutError']);

/** True when `error` or one of its causes is one of those. */
export function isOpenSearchOutage(error: unknown): boolean {
  for (const e of errorChain(error) as Iterable<{ name?: unknown; meta?: { statusCode?: unknown } }>) {
    if (OUTAGE_NAMES.has(String(e.name))) return true;
    const status = e.meta?.statusCode;
    if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
  }
  return false;
}

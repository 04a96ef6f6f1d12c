/**
 * SQLite's result codes that say the file could not be used right now (locked by another
 * connection past the busy timeout, a full disk, an I/O error), as opposed to a statement that
 * is wrong: what the embedded adapters translate into the ports' DependencyUnavailableError
 * (libs/ports, dependency-unavailable.ts). better-sqlite3 puts the code in `code`.
 */
import { errorChain, translateOutages } from '@wharf/ports';

const OUTAGE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR']);

/** True when `error` or one of its causes carries one of those codes. */
export function isSqliteOutage(error: unknown): boolean {
  for (const e of errorChain(error)) if (OUTAGE_CODES.has(String((e as { code?: unknown }).code))) return true;
  return false;
}

/** Every method of an SQLite adapter class throws or rejects with DependencyUnavailableError on those codes. */
export function translateSqliteOutages(adapter: { prototype: object }): void {
  translateOutages(adapter, 'SQLite', isSqliteOutage);
}

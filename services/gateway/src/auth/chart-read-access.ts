/**
 * What the Helm chart reads need to know of a caller's rights. It lives in auth/, below the use
 * cases that take it (use cases import auth, never the other way round); AccessControl.chartAccess
 * makes one from the caller's role on the namespace.
 */
import type { Visibility } from '@wharf/domain';

/** Which packages' charts a caller may see; decided by visibility per namespace. */
export interface ChartReadAccess {
  canRead(namespace: string, visibility: Visibility): boolean;
}

/** Everyone reads everything (open mode, and tests of the index alone). */
export const OPEN_ACCESS: ChartReadAccess = { canRead: () => true };

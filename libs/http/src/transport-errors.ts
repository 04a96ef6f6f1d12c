/**
 * Errors of HTTP itself, which no rule of the domain gives: a body larger than the server reads,
 * a path no route serves (the router's own 404 and 405 are rendered by `error-renderer.ts`). They
 * render through the same table as the domain's (`libs/contracts/src/http/error-codes.ts`).
 */
import { WharfError, printable } from '@wharf/domain';
import type { TransportErrorCode } from '@wharf/contracts';

/** The request body is larger than the server accepts (413 payload-too-large, the code the domain's size refusals use too). */
export class PayloadTooLargeError extends WharfError {
  readonly code = 'payload-too-large' as const;
  constructor(max: number) {
    super(`request body exceeds ${max} bytes`, { max });
  }
}

/** No route serves this method and path. */
export class RouteNotFoundError extends WharfError<TransportErrorCode> {
  readonly code = 'route-not-found' as const;
  constructor(method: string, path: string) {
    super(`no route for ${method} ${printable(path)}`, { method, path: printable(path) });
  }
}

/**
 * The one table that maps Wharf's error codes to HTTP statuses, and the one function that
 * renders an error body. The body carries the reference server's flat fields and Quay's
 * `error` envelope with the same content, so clients written for either read it.
 */
import type { ErrorCode, ErrorDetails } from '@wharf/domain';

/** Codes of HTTP itself, which no rule of the domain gives: no route for the path, no such method on it. */
export type TransportErrorCode = 'route-not-found' | 'method-not-allowed';

/** Every code an error body may carry: the domain's and HTTP's own. */
export type WireErrorCode = ErrorCode | TransportErrorCode;

export const HTTP_STATUS_BY_CODE: Readonly<Record<WireErrorCode, number>> = {
  'invalid-usage': 400,
  'invalid-name': 400,
  'invalid-media-type': 400,
  'invalid-blob': 400,
  'invalid-chart': 400,
  'unauthorized-access': 401,
  forbidden: 403,
  'package-not-found': 404,
  'package-release-not-found': 404,
  'channel-not-found': 404,
  'route-not-found': 404,
  'method-not-allowed': 405,
  'account-not-found': 404,
  'webhook-not-found': 404,
  'retention-policy-not-found': 404,
  'package-exists': 409,
  'visibility-conflict': 409,
  'overwrite-forbidden': 409,
  'account-exists': 409,
  'resource-in-use': 409,
  'retention-superseded': 409,
  'payload-too-large': 413,
  'archive-too-large': 413,
  'quota-exceeded': 413,
  'unsafe-archive': 422,
  'invalid-release': 422,
  'rate-limited': 429,
  'manifest-unknown': 404,
  'manifest-invalid': 400,
  'manifest-blob-unknown': 400,
  'blob-unknown': 404,
  'blob-upload-unknown': 404,
  'digest-invalid': 400,
  'range-invalid': 416,
  'range-not-satisfiable': 416,
  'internal-error': 500,
  unsupported: 501,
  'service-unavailable': 503,
};

export interface ErrorBody {
  code: WireErrorCode;
  message: string;
  details: ErrorDetails;
  error: { code: WireErrorCode; message: string; details: ErrorDetails };
}

export function errorBody(code: WireErrorCode, message: string, details: ErrorDetails): ErrorBody {
  return { code, message, details, error: { code, message, details } };
}

/**
 * How the OCI distribution API (`/v2/`) names Wharf's errors. The status still comes from the one
 * table (`HTTP_STATUS_BY_CODE`); this sibling table only gives each code the distribution spec's
 * name, because OCI clients read `{"errors":[{"code":"MANIFEST_UNKNOWN",...}]}` and nothing else,
 * while every other route keeps the App Registry's body. The compiler checks that every code has
 * a name here, so a new code cannot reach a /v2 client unnamed.
 */
import type { ErrorDetails } from '@wharf/domain';
import type { WireErrorCode } from './error-codes';

/** The error codes of the distribution spec (and `UNSUPPORTED`, `TOOMANYREQUESTS` from distribution's own set). */
export type OciErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'UNAVAILABLE'
  | 'UNKNOWN';

export const OCI_CODE_BY_CODE: Readonly<Record<WireErrorCode, OciErrorCode>> = {
  'invalid-usage': 'UNSUPPORTED',
  'invalid-name': 'NAME_INVALID',
  'invalid-media-type': 'MANIFEST_INVALID',
  'invalid-blob': 'BLOB_UPLOAD_INVALID',
  'invalid-chart': 'MANIFEST_INVALID',
  'unauthorized-access': 'UNAUTHORIZED',
  forbidden: 'DENIED',
  'package-not-found': 'NAME_UNKNOWN',
  'package-release-not-found': 'MANIFEST_UNKNOWN',
  'channel-not-found': 'MANIFEST_UNKNOWN',
  'route-not-found': 'UNSUPPORTED',
  'method-not-allowed': 'UNSUPPORTED',
  'account-not-found': 'NAME_UNKNOWN',
  'webhook-not-found': 'UNSUPPORTED',
  'retention-policy-not-found': 'UNSUPPORTED',
  'package-exists': 'DENIED',
  'visibility-conflict': 'DENIED',
  'overwrite-forbidden': 'DENIED',
  'account-exists': 'DENIED',
  'resource-in-use': 'UNAVAILABLE',
  'retention-superseded': 'DENIED',
  'payload-too-large': 'SIZE_INVALID',
  'archive-too-large': 'SIZE_INVALID',
  'quota-exceeded': 'DENIED',
  'unsafe-archive': 'MANIFEST_INVALID',
  'invalid-release': 'MANIFEST_INVALID',
  'rate-limited': 'TOOMANYREQUESTS',
  'manifest-unknown': 'MANIFEST_UNKNOWN',
  'manifest-invalid': 'MANIFEST_INVALID',
  'manifest-blob-unknown': 'MANIFEST_BLOB_UNKNOWN',
  'blob-unknown': 'BLOB_UNKNOWN',
  'blob-upload-unknown': 'BLOB_UPLOAD_UNKNOWN',
  'digest-invalid': 'DIGEST_INVALID',
  'range-invalid': 'RANGE_INVALID',
  'range-not-satisfiable': 'RANGE_INVALID',
  'internal-error': 'UNKNOWN',
  unsupported: 'UNSUPPORTED',
  'service-unavailable': 'UNAVAILABLE',
};

export interface OciErrorBody {
  errors: { code: OciErrorCode; message: string; detail: ErrorDetails & { wharf_code: WireErrorCode } }[];
}

/** The distribution spec's error body; `detail.wharf_code` keeps Wharf's own code for clients that know it. */
export function ociErrorBody(code: WireErrorCode, message: string, details: ErrorDetails): OciErrorBody {
  return { errors: [{ code: OCI_CODE_BY_CODE[code], message, detail: { ...details, wharf_code: code } }] };
}

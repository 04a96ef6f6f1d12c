/**
 * Typed domain errors. Each carries a stable wire code (the App Registry's string slugs, plus
 * Wharf's own for cases the reference server never refused) and the context fields that go into
 * the error's `details`. HTTP statuses are assigned in exactly one place:
 * `libs/contracts/src/http/error-codes.ts`, which also declares the codes that are not the
 * domain's (no route, no such method; the blob port's errors on the internal API). The domain
 * never speaks HTTP.
 */
export type ErrorCode =
  | 'invalid-usage'
  | 'invalid-name'
  | 'invalid-media-type'
  | 'invalid-release'
  | 'invalid-blob'
  | 'invalid-chart'
  | 'unsafe-archive'
  | 'archive-too-large'
  | 'payload-too-large'
  | 'unauthorized-access'
  | 'forbidden'
  | 'package-not-found'
  | 'package-release-not-found'
  | 'channel-not-found'
  | 'package-exists'
  | 'visibility-conflict'
  | 'overwrite-forbidden'
  | 'resource-in-use'
  | 'account-exists'
  | 'account-not-found'
  | 'quota-exceeded'
  | 'rate-limited'
  | 'manifest-unknown'
  | 'manifest-invalid'
  | 'manifest-blob-unknown'
  | 'blob-unknown'
  | 'blob-upload-unknown'
  | 'digest-invalid'
  | 'range-invalid'
  | 'range-not-satisfiable'
  | 'unsupported'
  | 'webhook-not-found'
  | 'retention-policy-not-found'
  | 'retention-superseded'
  | 'service-unavailable'
  | 'internal-error';

export type ErrorDetails = Record<string, string | number | boolean | null | string[]>;

/**
 * A typed error: a stable code and its details. `Code` is the domain's codes; the HTTP layer's
 * own errors (libs/http, libs/contracts) widen it to codes of the wire that are not the domain's.
 */
export abstract class WharfError<Code extends string = ErrorCode> extends Error {
  abstract readonly code: Code;
  constructor(
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad or missing request parameters. */
export class InvalidUsageError extends WharfError {
  readonly code = 'invalid-usage' as const;
}

/** A namespace, package or channel name that breaks the naming rules (see names.ts). */
export class InvalidNameError extends WharfError {
  readonly code = 'invalid-name' as const;
  constructor(kind: 'namespace' | 'package' | 'channel' | 'robot', value: string, reason: string) {
    super(`invalid ${kind} name '${printable(value)}': ${reason}`, { kind, name: printable(value), reason });
  }
}

export class InvalidMediaTypeError extends WharfError {
  readonly code = 'invalid-media-type' as const;
  constructor(value: string, reason: string) {
    super(`invalid media type '${printable(value)}': ${reason}`, { media_type: printable(value), reason });
  }
}

/** A release that is not strict SemVer 2.0 on push, or a release query that cannot be parsed. */
export class InvalidReleaseError extends WharfError {
  readonly code = 'invalid-release' as const;
  constructor(release: string, reason: string) {
    super(`release '${printable(release)}' is not valid: ${reason}`, { version: printable(release), reason });
  }
}

/** The blob is not base64 of a gzip stream of a tar archive. */
export class InvalidBlobError extends WharfError {
  readonly code = 'invalid-blob' as const;
  constructor(reason: string) {
    super(`invalid blob: ${reason}`, { reason });
  }
}

/** A Helm chart upload that is not a usable chart: no Chart.yaml, a bad name or version, a provenance file that does not match. */
export class InvalidChartError extends WharfError {
  readonly code = 'invalid-chart' as const;
  constructor(reason: string) {
    super(`invalid chart: ${reason}`, { reason });
  }
}

/** A well-formed archive with an entry Wharf refuses to store (path escapes, links, devices). */
export class UnsafeArchiveError extends WharfError {
  readonly code = 'unsafe-archive' as const;
  constructor(entry: string, reason: string) {
    super(`unsafe archive entry '${printable(entry)}': ${reason}`, { entry: printable(entry), reason });
  }
}

/** The archive expands past a configured limit (size, entry count or ratio): a gzip bomb. */
export class ArchiveTooLargeError extends WharfError {
  readonly code = 'archive-too-large' as const;
  constructor(limit: 'unpacked-size' | 'expansion-ratio' | 'entries' | 'blob-size', max: number) {
    super(`archive exceeds the ${limit} limit of ${max}`, { limit, max });
  }
}

/** A release's `metadata` is larger, as compact JSON, than the registry accepts (see release-metadata.ts). */
export class MetadataTooLargeError extends WharfError {
  readonly code = 'payload-too-large' as const;
  constructor(limitBytes: number) {
    super(`'metadata' exceeds ${limitBytes} bytes as compact JSON`, { field: 'metadata', limit: limitBytes });
  }
}

/**
 * A push whose `metadata` would take the metadata all of the package's releases hold together
 * past the registry's bound (`PushRelease.maxPackageMetadataBytes`).
 */
export class PackageMetadataTooLargeError extends WharfError {
  readonly code = 'payload-too-large' as const;
  constructor(pkg: string, limitBytes: number) {
    super(`the releases of ${pkg} would hold more than ${limitBytes} bytes of 'metadata' together (as compact JSON)`, {
      field: 'metadata',
      limit: limitBytes,
      package: pkg,
    });
  }
}

/** A JSON pull of a blob larger than the server encodes as JSON; `rawPull` serves the same bytes. */
export class JsonPullTooLargeError extends WharfError {
  readonly code = 'payload-too-large' as const;
  constructor(size: number, max: number, rawPull: string) {
    super(`the blob is ${size} bytes, more than a JSON pull returns (${max}): GET ${rawPull} returns it raw`, {
      size,
      max,
      raw_pull: rawPull,
    });
  }
}

export class PackageNotFoundError extends WharfError {
  readonly code = 'package-not-found' as const;
  constructor(pkg: string, release: string | null = null, mediaType: string | null = null) {
    super(`package ${pkg} doesn't exist, v: ${release ?? 'None'}, type: ${mediaType ?? 'None'}`, {
      package: pkg,
      release,
      media_type: mediaType,
    });
  }
}

export class ReleaseNotFoundError extends WharfError {
  readonly code = 'package-release-not-found' as const;
  constructor(pkg: string, query: string) {
    super(`No release match '${printable(query)}' for package ${pkg}`, { package: pkg, version: printable(query) });
  }
}

export class ChannelNotFoundError extends WharfError {
  readonly code = 'channel-not-found' as const;
  constructor(pkg: string, channel: string) {
    super(`No channel found for package '${pkg}': ${printable(channel)}`, {
      package: pkg,
      channel: printable(channel),
    });
  }
}

export class PackageExistsError extends WharfError {
  readonly code = 'package-exists' as const;
  constructor(pkg: string, release: string, mediaType: string) {
    super(`${pkg}@${release} (${mediaType}) already exists; push with force=true to replace it`, {
      package: pkg,
      release,
      media_type: mediaType,
    });
  }
}

/**
 * A push asked for a visibility the existing package does not have: a push never changes a
 * package's visibility (only the visibility route does, and it is audited).
 */
export class VisibilityConflictError extends WharfError {
  readonly code = 'visibility-conflict' as const;
  constructor(pkg: string, current: 'public' | 'private', requested: 'public' | 'private') {
    super(
      `package ${pkg} is ${current}; a push does not change visibility, use PUT /api/v1/packages/${pkg}/visibility`,
      {
        package: pkg,
        visibility: current,
        requested,
      },
    );
  }
}

/**
 * The namespace forbids overwrites and the release was deleted with other bytes: only the bytes
 * it had may come back under its name.
 */
export class OverwriteForbiddenError extends WharfError {
  readonly code = 'overwrite-forbidden' as const;
  constructor(pkg: string, release: string, mediaType: string, deletedDigest: string) {
    super(
      `${pkg}@${release} (${mediaType}) was deleted, and this namespace forbids overwrites: only its former content (sha256:${deletedDigest}) may be pushed again`,
      {
        package: pkg,
        release,
        media_type: mediaType,
        digest: `sha256:${deletedDigest}`,
      },
    );
  }
}

/** Another writer changed the package between read and append; the caller may retry. */
export class ConcurrencyConflictError extends WharfError {
  readonly code = 'resource-in-use' as const;
  constructor(pkg: string, expected: number, actual: number) {
    super(`package ${pkg} changed concurrently (expected sequence ${expected}, found ${actual})`, {
      package: pkg,
      expected,
      actual,
    });
  }
}

/**
 * A retention delete whose release changed after the run planned it: it became a channel's
 * current release, or its bytes were replaced by a newer push. The run skips it; the next run
 * judges the release as it is then.
 */
export class RetentionSupersededError extends WharfError {
  // Its own code, not resource-in-use: a run reports it as a skip (the release changed), while a
  // writer conflict is a failure an operator should see as one.
  readonly code = 'retention-superseded' as const;
  constructor(pkg: string, release: string, mediaType: string, why: string) {
    super(`retention delete of ${printable(pkg)}@${printable(release)} (${printable(mediaType)}) superseded: ${why}`, {
      package: printable(pkg),
      release: printable(release),
      mediaType: printable(mediaType),
    });
  }
}

export class UnsupportedError extends WharfError {
  readonly code = 'unsupported' as const;
}

/** Seconds a client is told to wait after a 503 that names no other figure. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** A backing store or the event log cannot be reached; the client should retry later. */
export class ServiceUnavailableError extends WharfError {
  readonly code = 'service-unavailable' as const;
  constructor(
    dependency: string,
    readonly retryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS,
  ) {
    super(`${dependency} is unavailable, retry later`, { dependency });
  }
}

/** Credentials are needed and none (or none valid) came with the request. */
export class UnauthorizedError extends WharfError {
  readonly code = 'unauthorized-access' as const;
  constructor(message = 'authentication required') {
    super(message, {});
  }
}

/** The caller is known but lacks the role the action needs. */
export class ForbiddenError extends WharfError {
  readonly code = 'forbidden' as const;

  /** The caller lacks `needed` on the namespace (Quay's details: the namespace and the scopes). */
  static missingRole(namespace: string, needed: string): ForbiddenError {
    return new ForbiddenError(`${needed} access to namespace '${printable(namespace)}' is required`, {
      namespace: printable(namespace),
      scopes: [needed],
    });
  }

  /** A refusal that is not about a role on a namespace (sign-up turned off, site-admin only). */
  static because(message: string, details: ErrorDetails = {}): ForbiddenError {
    return new ForbiddenError(message, details);
  }
}

/** A user or organisation name that is already taken (they share one namespace space). */
export class AccountExistsError extends WharfError {
  readonly code = 'account-exists' as const;
  constructor(name: string) {
    super(`the name '${printable(name)}' is already taken`, { name: printable(name) });
  }
}

export class AccountNotFoundError extends WharfError {
  readonly code = 'account-not-found' as const;
  constructor(kind: 'user' | 'organization' | 'robot' | 'token' | 'member', name: string) {
    super(`${kind} '${printable(name)}' not found`, { kind, name: printable(name) });
  }
}

export class WebhookNotFoundError extends WharfError {
  readonly code = 'webhook-not-found' as const;
  constructor(namespace: string, id: string) {
    super(`webhook '${printable(id)}' not found in '${printable(namespace)}'`, {
      namespace: printable(namespace),
      id: printable(id),
    });
  }
}

export class RetentionPolicyNotFoundError extends WharfError {
  readonly code = 'retention-policy-not-found' as const;
  constructor(namespace: string, id: string) {
    super(`retention policy '${printable(id)}' not found in '${printable(namespace)}'`, {
      namespace: printable(namespace),
      id: printable(id),
    });
  }
}

/** Too many requests from one caller within the window. */
export class RateLimitedError extends WharfError {
  readonly code = 'rate-limited' as const;
  constructor(readonly retryAfterSeconds: number) {
    super(`rate limit exceeded, retry in ${retryAfterSeconds} s`, { retry_after: retryAfterSeconds });
  }
}

/** A push would take a namespace past its storage quota. */
export class QuotaExceededError extends WharfError {
  readonly code = 'quota-exceeded' as const;
  constructor(namespace: string, limitBytes: number, usedBytes: number) {
    super(`namespace '${printable(namespace)}' storage quota of ${limitBytes} bytes would be exceeded`, {
      namespace: printable(namespace),
      limit: limitBytes,
      used: usedBytes,
    });
  }
}

/**
 * The OCI distribution API's refusals (libs/domain/src/oci). Their codes are Wharf's like any
 * other; the /v2 routes render them with the distribution spec's codes (MANIFEST_UNKNOWN, ...),
 * libs/contracts/src/http/oci-error-codes.ts.
 */
export class ManifestUnknownError extends WharfError {
  readonly code = 'manifest-unknown' as const;
  constructor(repository: string, reference: string) {
    super(`manifest '${printable(reference)}' of '${printable(repository)}' not found`, {
      repository: printable(repository),
      reference: printable(reference),
    });
  }
}

/** A manifest body Wharf cannot take: not JSON, not an OCI manifest, or one whose content breaks a rule. */
export class ManifestInvalidError extends WharfError {
  readonly code = 'manifest-invalid' as const;
  constructor(reason: string) {
    super(`manifest invalid: ${reason}`, { reason });
  }
}

/** A pushed manifest names a config or layer that was never uploaded. */
export class ManifestBlobUnknownError extends WharfError {
  readonly code = 'manifest-blob-unknown' as const;
  constructor(digest: string) {
    super(`the manifest names blob '${printable(digest)}', which was not uploaded`, { digest: printable(digest) });
  }
}

export class BlobUnknownError extends WharfError {
  readonly code = 'blob-unknown' as const;
  constructor(repository: string, digest: string) {
    super(`blob '${printable(digest)}' of '${printable(repository)}' not found`, {
      repository: printable(repository),
      digest: printable(digest),
    });
  }
}

export class BlobUploadUnknownError extends WharfError {
  readonly code = 'blob-upload-unknown' as const;
  constructor(uploadId: string) {
    super(`blob upload '${printable(uploadId)}' not found`, { upload: printable(uploadId) });
  }
}

/** A digest that does not parse, or bytes that do not hash to the digest the client named. */
export class DigestInvalidError extends WharfError {
  readonly code = 'digest-invalid' as const;
  constructor(digest: string, reason: string) {
    super(`digest '${printable(digest)}' invalid: ${reason}`, { digest: printable(digest), reason });
  }
}

/** A chunk that does not start where the upload's bytes end (distribution spec: 416). */
export class RangeInvalidError extends WharfError {
  readonly code = 'range-invalid' as const;
  constructor(expectedStart: number, range: string) {
    super(`chunk range '${printable(range)}' must start at ${expectedStart}`, {
      range: printable(range),
      expected_start: expectedStart,
    });
  }
}

/** A `Range` that names no byte of the blob asked for (RFC 9110: 416, and a `Content-Range` of `bytes *` and the size). */
export class RangeNotSatisfiableError extends WharfError {
  readonly code = 'range-not-satisfiable' as const;
  constructor(readonly size: number) {
    super(`the range names no byte of the blob (of ${size} bytes)`, { size });
  }
}

/** Echoes user input into messages without control characters or unbounded length. */
export function printable(value: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? clean.slice(0, max) + '…' : clean;
}

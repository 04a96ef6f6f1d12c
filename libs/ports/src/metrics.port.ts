/**
 * What Wharf counts, told by the code whose rule it is: the publisher acknowledges a push, a read
 * use case serves a pull, the authenticator refuses credentials, a limiter refuses a request, the
 * blob cache answers from memory or not, the collector finishes a pass. They know these
 * interfaces only; libs/metrics implements them with prom-client (one registry per process, the
 * metric names and labels in one place), and `NO_METRICS` counts nothing (tools, unit tests).
 *
 * Every label value is one of the unions below, never a value a caller chose, so no request can
 * create a new series.
 */

/** The protocol a push or pull spoke: appr (`/api/v1/packages`), Helm (`/helm/{ns}/charts`), ChartMuseum (`/api/{ns}/charts`). */
export type TransferProtocol = 'appr' | 'helm' | 'chartmuseum' | 'oci';

export interface TransferMetrics {
  /** A push the package's writer acknowledged; `bytes`: the archive's length. */
  pushed(protocol: TransferProtocol, bytes: number): void;
  /** An archive served, or redirected to the blob store; `bytes`: its length (0 when redirected). */
  pulled(protocol: TransferProtocol, bytes: number): void;
}

/** What kind of credentials were refused: a password (Basic or the login route), a token, or an `Authorization` header that is neither. */
export type RefusedCredential = 'password' | 'token' | 'malformed';

/** Which limit refused a request with 429: the caller's request rate, an account name's wrong-password budget, the uploader's concurrent uploads. */
export type RefusingLimit = 'requests' | 'failed_logins' | 'uploads';

export interface AccessMetrics {
  authenticationFailed(credential: RefusedCredential): void;
  rateLimited(limit: RefusingLimit): void;
}

export interface BlobCacheMetrics {
  /** A `read` or `open` of the caching blob store: answered from memory (`hit`) or not. */
  blobCacheLookup(hit: boolean): void;
}

/** One pass of the blob collector: `completed`, `skipped` (the reference counts lagged the log) or `failed`. */
export interface BlobGcPass {
  outcome: 'completed' | 'skipped' | 'failed';
  deletedBlobs: number;
  freedBytes: number;
  seconds: number;
}

export interface BlobGcMetrics {
  blobGcRan(pass: BlobGcPass): void;
}

/**
 * What became of one webhook attempt: `delivered` (a 2xx), `retried` (it failed and another
 * attempt is scheduled), `failed` (it failed with the retries used up: the subscription is marked
 * failing).
 */
export type WebhookAttemptOutcome = 'delivered' | 'retried' | 'failed';

export interface WebhookMetrics {
  /** One attempt of a delivery, told by the dispatcher; `seconds`: the send, connection to answer (or timeout). */
  webhookAttempted(outcome: WebhookAttemptOutcome, seconds: number): void;
}

/**
 * How a package writer's wait for a metadata store behind the events it had just appended ended
 * (right after a replay's switch): `caught_up` (the store caught up and the events were applied),
 * `gave_up` (it did not within the wait: the command was answered 503), `failed` (a read after the
 * first failed otherwise, e.g. an outage: that failure is passed on).
 */
export type StoreWaitOutcome = 'caught_up' | 'gave_up' | 'failed';

export interface MetadataWriterMetrics {
  storeWaited(outcome: StoreWaitOutcome): void;
}

export type WharfMetricsPort = TransferMetrics &
  AccessMetrics &
  BlobCacheMetrics &
  BlobGcMetrics &
  WebhookMetrics &
  MetadataWriterMetrics;

export const METRICS = Symbol('Metrics');

/** Counts nothing: for processes that expose no metrics (tools) and for tests that do not look. */
export const NO_METRICS: WharfMetricsPort = {
  pushed: () => {},
  pulled: () => {},
  authenticationFailed: () => {},
  rateLimited: () => {},
  blobCacheLookup: () => {},
  blobGcRan: () => {},
  webhookAttempted: () => {},
  storeWaited: () => {},
};

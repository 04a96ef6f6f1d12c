/**
 * A process's metrics: one prom-client registry, every Wharf metric defined here and nowhere
 * else (names and labels per the Prometheus conventions: `wharf_` prefix, base units, `_total`
 * on counters), node's own process metrics, and the Prometheus text of all of them for
 * `/metrics`. Every series carries `service` (gateway, metadata, search, blob, embedded), so a
 * scrape of each process is recognisable.
 *
 * Label values come from fixed sets (the metrics ports' unions, route templates, status
 * classes, the adapters' store and engine names), never from what a request says: no request
 * can create a series. Children are looked up once per label set and kept, so a request costs
 * one histogram observation and no label object of ours.
 *
 * prom-client is the de-facto Prometheus client for node (the exposition format, default
 * process metrics, histograms with cumulative buckets) and is used here only.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type {
  BlobGcPass,
  RefusedCredential,
  RefusingLimit,
  StoreWaitOutcome,
  TransferProtocol,
  WebhookAttemptOutcome,
  WharfMetricsPort,
} from '@wharf/ports';

/** A consumer group's lag: events appended to the log but not yet applied by the group (libs/http's readiness and /metrics read it). */
export interface ConsumerLagSource {
  group: string;
  lag: () => Promise<number>;
}

export type StoreCallOutcome = 'ok' | 'error' | 'outage';

/** Observes one call's duration in seconds. */
export type Observe = (seconds: number) => void;

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
const STATUS_CLASSES = ['1xx', '1xx', '2xx', '3xx', '4xx', '5xx'];
/** The route label of a request no route matched (404s, scans): one series, whatever the URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Seconds; from a cached pull (a few ms) to a large upload or a command waiting for its writer (30 s). */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds; from a receiver on the same network (ms) to one that answers at the send timeout (WHARF_WEBHOOK_TIMEOUT_SECONDS, 10 s by default). */
const WEBHOOK_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds; from a SQLite read (tens of µs) to an S3 upload or a Kafka append across a rebalance. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

export interface WharfMetricsOptions {
  /** node's process metrics (CPU, memory, event loop lag, GC): on, except in tests that need none. */
  processMetrics?: boolean;
}

export class WharfMetrics implements WharfMetricsPort {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'wharf_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status class, and how long they took to answer.',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  private readonly storeDuration = new Histogram({
    name: 'wharf_store_call_duration_seconds',
    help: 'Calls of a store port (event log, metadata, search, blobs, accounts, ...) by engine, operation and outcome (ok, error, outage), and how long they took.',
    labelNames: ['store', 'engine', 'operation', 'outcome'] as const,
    buckets: STORE_BUCKETS,
    registers: [this.registry],
  });
  private readonly lagSources: (readonly ConsumerLagSource[])[] = [];
  private readonly consumerLag: Gauge<'group'> = new Gauge({
    name: 'wharf_consumer_lag',
    help: 'Events in the log not yet applied by the consumer group.',
    labelNames: ['group'] as const,
    registers: [this.registry],
    collect: () => this.readLag(),
  });
  private readonly pushes = this.counter('wharf_pushes_total', 'Pushes acknowledged, by protocol.', 'protocol');
  private readonly pushedBytes = this.counter(
    'wharf_pushed_bytes_total',
    'Archive bytes of acknowledged pushes, by protocol.',
    'protocol',
  );
  private readonly pulls = this.counter(
    'wharf_pulls_total',
    'Archives served or redirected to the blob store, by protocol.',
    'protocol',
  );
  private readonly pulledBytes = this.counter(
    'wharf_pulled_bytes_total',
    'Archive bytes served by the gateway, by protocol.',
    'protocol',
  );
  private readonly authFailures = this.counter(
    'wharf_authentication_failures_total',
    'Credentials refused (401), by kind: password, token, malformed.',
    'credential',
  );
  private readonly rateLimitRefusals = this.counter(
    'wharf_rate_limit_refusals_total',
    'Requests refused with 429, by the limit that refused them: requests, failed_logins, uploads.',
    'limit',
  );
  private readonly cacheHits = this.counter(
    'wharf_blob_cache_hits_total',
    'Blob reads and opens answered from the in-memory blob cache.',
  );
  private readonly cacheMisses = this.counter(
    'wharf_blob_cache_misses_total',
    'Blob reads and opens the in-memory blob cache passed to the blob store.',
  );
  private readonly gcRuns = this.counter(
    'wharf_blob_gc_runs_total',
    'Passes of the blob collector, by outcome: completed, skipped (reference counts behind the log), failed.',
    'outcome',
  );
  private readonly gcDeleted = this.counter('wharf_blob_gc_deleted_blobs_total', 'Blobs the collector deleted.');
  private readonly gcFreed = this.counter(
    'wharf_blob_gc_freed_bytes_total',
    'Bytes of the blobs the collector deleted.',
  );
  private readonly gcDuration = new Histogram({
    name: 'wharf_blob_gc_duration_seconds',
    help: 'How long a pass of the blob collector took.',
    buckets: [0.1, 1, 10, 60, 300, 1800],
    registers: [this.registry],
  });

  private readonly webhookOutcomes: Record<WebhookAttemptOutcome, Counter<string>> = {
    delivered: this.counter('wharf_webhook_delivered_total', 'Webhook deliveries a receiver acknowledged with a 2xx.'),
    retried: this.counter(
      'wharf_webhook_retried_total',
      'Webhook attempts that failed (an answer other than 2xx, a refused address, a timeout, no connection) and will be tried again.',
    ),
    failed: this.counter(
      'wharf_webhook_failed_total',
      'Webhook attempts that failed with the retries used up: the subscription is marked failing.',
    ),
  };
  private readonly webhookDuration = new Histogram({
    name: 'wharf_webhook_attempt_duration_seconds',
    help: 'How long a webhook attempt took, connection to answer (or timeout), whatever its outcome.',
    buckets: WEBHOOK_BUCKETS,
    registers: [this.registry],
  });
  private readonly storeWaits = this.counter(
    'wharf_metadata_store_waits_total',
    'Package writer waits for a metadata store behind the events it had just appended (after a replay switch), by outcome: caught_up, gave_up (answered 503), failed (another error during the wait).',
    'outcome',
  );
  private webhookPendingSource: (() => Promise<number>) | null = null;
  private readonly webhookPending: Gauge = new Gauge({
    name: 'wharf_webhook_pending_deliveries',
    help: 'Webhook deliveries not yet delivered (in flight, retrying, or held by a failing subscription), read from the delivery store at each scrape; 0 in processes that send none, NaN when the store cannot be read.',
    registers: [this.registry],
    collect: () => this.readWebhookPending(),
  });

  private blobGcActiveSource: (() => boolean) | null = null;
  private readonly blobGcActive: Gauge = new Gauge({
    name: 'wharf_blob_gc_active',
    help: 'Blob service: 1 on the replica that counts blob references and collects garbage (it holds the lease), 0 on a standby.',
    registers: [this.registry],
    collect: () => {
      if (this.blobGcActiveSource) this.blobGcActive.set(this.blobGcActiveSource() ? 1 : 0);
    },
  });

  /** route → method → observe per status class. */
  private readonly requestObservers = new Map<string, Map<string, Observe[]>>();

  constructor(
    readonly service: string,
    options: WharfMetricsOptions = {},
  ) {
    this.registry.setDefaultLabels({ service });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The Prometheus text of every metric of this process. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Reports each group's lag as `wharf_consumer_lag{group}` at every scrape. `sources` is read
   * then, so groups added to it later (projectors start after the app is built) are reported.
   */
  followConsumerLag(sources: readonly ConsumerLagSource[]): void {
    this.lagSources.push(sources);
  }

  /** Reports `read()` (the delivery store's pending count) as `wharf_webhook_pending_deliveries` at every scrape. */
  followWebhookPending(read: () => Promise<number>): void {
    this.webhookPendingSource = read;
  }

  /** Reports `read()` (whether this blob replica is the active one) as `wharf_blob_gc_active` at every scrape. */
  followBlobGcActive(read: () => boolean): void {
    this.blobGcActiveSource = read;
  }

  /**
   * One answered HTTP request. `route` is the route's template (`/api/v1/packages/:namespace/:package`),
   * undefined when none matched.
   */
  observeRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    const routeLabel = route ?? UNMATCHED_ROUTE;
    let byMethod = this.requestObservers.get(routeLabel);
    if (!byMethod) this.requestObservers.set(routeLabel, (byMethod = new Map()));
    let observers = byMethod.get(method);
    if (!observers) {
      const methodLabel = HTTP_METHODS.has(method) ? method : 'other';
      observers = STATUS_CLASSES.map((status_class) => {
        const child = this.httpDuration.labels({ method: methodLabel, route: routeLabel, status_class });
        return (value: number) => child.observe(value);
      });
      byMethod.set(method, observers);
    }
    observers[Math.min(5, Math.max(1, Math.floor(statusCode / 100)))]!(seconds);
  }

  /** The observers of one store operation's durations, by outcome (store-calls.ts keeps them per operation). */
  storeCallObservers(store: string, engine: string, operation: string): Record<StoreCallOutcome, Observe> {
    const of = (outcome: StoreCallOutcome): Observe => {
      const child = this.storeDuration.labels({ store, engine, operation, outcome });
      return (value) => child.observe(value);
    };
    return { ok: of('ok'), error: of('error'), outage: of('outage') };
  }

  pushed(protocol: TransferProtocol, bytes: number): void {
    this.pushes.labels(protocol).inc();
    this.pushedBytes.labels(protocol).inc(bytes);
  }

  pulled(protocol: TransferProtocol, bytes: number): void {
    this.pulls.labels(protocol).inc();
    this.pulledBytes.labels(protocol).inc(bytes);
  }

  authenticationFailed(credential: RefusedCredential): void {
    this.authFailures.labels(credential).inc();
  }

  rateLimited(limit: RefusingLimit): void {
    this.rateLimitRefusals.labels(limit).inc();
  }

  blobCacheLookup(hit: boolean): void {
    (hit ? this.cacheHits : this.cacheMisses).inc();
  }

  blobGcRan(pass: BlobGcPass): void {
    this.gcRuns.labels(pass.outcome).inc();
    this.gcDeleted.inc(pass.deletedBlobs);
    this.gcFreed.inc(pass.freedBytes);
    this.gcDuration.observe(pass.seconds);
  }

  webhookAttempted(outcome: WebhookAttemptOutcome, seconds: number): void {
    this.webhookOutcomes[outcome].inc();
    this.webhookDuration.observe(seconds);
  }

  storeWaited(outcome: StoreWaitOutcome): void {
    this.storeWaits.labels(outcome).inc();
  }

  private async readWebhookPending(): Promise<void> {
    if (!this.webhookPendingSource) return;
    this.webhookPending.set(await this.webhookPendingSource().catch(() => Number.NaN));
  }

  /** At each scrape; a group whose lag cannot be read has no sample then (alert on its absence). */
  private async readLag(): Promise<void> {
    const sources = this.lagSources.flat();
    const lags = await Promise.all(sources.map((source) => source.lag().catch(() => null)));
    this.consumerLag.reset();
    sources.forEach((source, i) => {
      const lag = lags[i];
      if (typeof lag === 'number') this.consumerLag.labels(source.group).set(lag);
    });
  }

  private counter(name: string, help: string, ...labelNames: string[]): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}

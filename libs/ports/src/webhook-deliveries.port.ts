/**
 * Webhook deliveries: the outbox between the log and the endpoints, and the delivery log the
 * namespace's admins read. The webhook enqueuer (consumer group `webhooks`) writes what each
 * event owes each subscription; the dispatcher sends it and records every attempt.
 *
 * Order: a *lane* is (subscription, package). Deliveries of a lane are handed out oldest first
 * (the order `enqueue` received them, which is the log's order per package), and only a lane's
 * oldest pending delivery is ever due, so a lane never overtakes itself. Lanes are independent.
 *
 * When its engine cannot be reached, every method rejects with DependencyUnavailableError.
 */
export const WEBHOOK_DELIVERIES = Symbol('WebhookDeliveryStore');

/**
 * pending: to send (or retrying); delivered: a 2xx was received; cancelled: its subscription was
 * deleted; dropped: its subscription failed under the drop policy (redeliver sends it again).
 */
export type DeliveryState = 'pending' | 'delivered' | 'cancelled' | 'dropped';

export interface NewDelivery {
  /** The subscription (webhook id). */
  subscription: string;
  namespace: string;
  /** `<ns>/<name>`: with `subscription`, the lane. */
  package: string;
  /** The package sequence of the log event it comes from: a lane's order (then the order given to `enqueue`). */
  sequence: number;
  /** The CloudEvent id (the log event's id): with `subscription`, unique. */
  eventId: string;
  /** The CloudEvent type (`io.wharf.release.published`). */
  eventType: string;
  /** The CloudEvent as sent, byte for byte on every attempt. */
  body: string;
  createdAt: string;
}

export interface DeliveryAttempt {
  at: string;
  /** The endpoint's HTTP status; null when none came (refused address, timeout, connection error). */
  status: number | null;
  latencyMs: number;
  /** Why it failed without a status, or null. */
  error: string | null;
  /** The start of the answer's body (at most 1 KiB of text). */
  response: string;
}

export interface Delivery extends NewDelivery {
  /** Opaque, unique in the store. */
  id: string;
  state: DeliveryState;
  /** Attempts since it was enqueued, resumed or redelivered (what the retry bound counts). */
  tries: number;
  nextAttemptAt: string;
  deliveredAt: string | null;
}

export interface DeliveryRecord extends Delivery {
  /** Newest first. */
  attempts: DeliveryAttempt[];
}

/** Where a package's stream stood for the enqueuer: the last sequence handled and its live manifests. */
export interface PackageMark {
  package: string;
  sequence: number;
  manifests: number;
}

/** What a send's outcome does to its delivery. */
export type AttemptOutcome =
  | { state: 'delivered' }
  | { state: 'retry'; nextAttemptAt: string }
  /**
   * Retries used up: the subscription is marked failing, and either the delivery stays pending at
   * the head of its lane (the lanes wait), or, with `drop`, every pending delivery of the
   * subscription, this one included, is dropped.
   */
  | { state: 'exhausted'; drop: boolean };

export interface SubscriptionHealth {
  /** When its retries were last used up; null: delivering. */
  failingSince: string | null;
  pending: number;
}

/** The lanes one replica sends: those whose `laneShard(lane, count)` (@wharf/domain) is `index`. */
export interface LaneShard {
  index: number;
  count: number;
}

export interface WebhookDeliveryStore {
  /** The marks of `packages`, as last written by `enqueue` (packages never marked are absent). */
  marks(packages: readonly string[]): Promise<Map<string, PackageMark>>;

  /**
   * Adds `deliveries` (in this order within each lane) and sets `marks`, all or nothing. A
   * delivery whose (subscription, eventId) is already stored is ignored, so a batch enqueued
   * again after a crash adds nothing twice.
   */
  enqueue(deliveries: readonly NewDelivery[], marks: readonly PackageMark[]): Promise<void>;

  /**
   * The head of every lane whose subscription is not failing, that is pending and due at `now`
   * (`nextAttemptAt` <= now), oldest due first, at most `limit`, excluding the ids in `busy` and,
   * when `shard` is given, lanes of other shards (filtered before the limit applies). `tries`
   * counts every attempt recorded since the delivery was enqueued, resumed or redelivered, even
   * attempts recorded at the same moment by two processes.
   */
  due(now: string, limit: number, busy: ReadonlySet<string>, shard?: LaneShard): Promise<Delivery[]>;

  /** Records an attempt of delivery `id` and its outcome (see AttemptOutcome). */
  recordAttempt(id: string, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void>;

  /** Clears the subscription's failing mark and makes its pending deliveries due at `now` with fresh retries. */
  resume(subscription: string, now: string): Promise<void>;

  /** Makes delivery `id` of `subscription` pending again, due at `now`, with fresh retries; null when there is none. */
  redeliver(subscription: string, id: string, now: string): Promise<Delivery | null>;

  /** Cancels the subscription's pending deliveries (it was deleted). */
  cancel(subscription: string): Promise<void>;

  health(subscriptions: readonly string[]): Promise<Map<string, SubscriptionHealth>>;

  /** Pending deliveries of every subscription (in flight, due, retrying, or held by a failing subscription). */
  pending(): Promise<number>;

  /** The subscription's deliveries, newest first, at most `limit`, ids before `before` when given, each with its last attempts. */
  list(subscription: string, options: { limit: number; before?: string }): Promise<DeliveryRecord[]>;

  /** One delivery of the subscription with every attempt; null when there is none. */
  get(subscription: string, id: string): Promise<DeliveryRecord | null>;

  /**
   * Deletes deliveries that are no longer pending (delivered, cancelled or dropped) of events before
   * `before`, with their attempts; pending ones are kept whatever their age. Returns how many.
   */
  prune(before: string): Promise<number>;

  close(): Promise<void>;
}

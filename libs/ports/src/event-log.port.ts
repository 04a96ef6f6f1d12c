import type { EventEnvelope, StoredEvent } from '@wharf/contracts';

export const EVENT_LOG = Symbol('EventLog');

export interface SubscribeOptions {
  /** Consumers sharing a group share the work and one checkpoint; each group sees every event. */
  group: string;
  /** Largest batch handed to the handler at once. */
  batchSize?: number;
  /** Failed attempts before an event is set aside (event-handler-failures.ts). Default 5. */
  maxAttempts?: number;
}

export interface Subscription {
  /** Stops delivery; resolves after the batch in flight, if any, was handled and checkpointed. */
  stop(): Promise<void>;
  /** Events appended but not yet handled and checkpointed by this group. */
  lag(): Promise<number>;
}

/**
 * The event log: the source of truth. Events are grouped in per-package streams whose
 * `sequence` runs 1, 2, 3, ... without gaps.
 */
export interface DeadLetter {
  position: string;
  reason: string;
  record: string;
}

export interface EventLog {
  /**
   * Appends `events` (already validated, sequences expectedSequence+1, +2, ...) to the package's
   * stream, all or none. `expectedSequence` is the last sequence the writer saw (0 for a new
   * stream). Throws ConcurrencyConflictError, appending nothing, when the stream's last sequence
   * differs. Resolves only when the events are durable: a crash of any process after that loses
   * none of them. Returns the events with their log positions.
   */
  append(pkg: string, expectedSequence: number, events: EventEnvelope[]): Promise<StoredEvent[]>;

  /**
   * Delivers every event to `handler` at least once per group, in stream order per package (the
   * order across packages is unspecified), in batches. The group's checkpoint moves past a batch
   * only after the handler resolved, or after the events it could not apply were set aside: a
   * handler that throws gets the same batch again after a pause, without bound for an outage,
   * `maxAttempts` times otherwise, then event by event; an event that keeps failing on its own,
   * or that the handler rejects with UnappliableEventsError, is set aside with its reason and
   * delivery moves on (see event-handler-failures.ts). Events are validated and upcast before
   * delivery; an event that fails validation is set aside with its reason (never handed to the
   * handler) and delivery moves on. The events handed over may be shared with other groups: a
   * handler must not mutate them (the embedded log freezes them). The process's other work
   * (timers, sockets) runs between batches, also while a group catches up on a backlog.
   * A new group starts at the beginning of the log.
   */
  subscribe(options: SubscribeOptions, handler: (events: StoredEvent[]) => Promise<void>): Promise<Subscription>;

  /** Number of events in the log. */
  count(): Promise<number>;

  /**
   * The events `group` set aside (they failed validation, or its handler could not apply them),
   * oldest first, each with its position in the log, the reason, and the record as it was in the
   * log (raw text: a poison record need not parse), for tools that must know what it touched.
   */
  deadLetters(group: string): Promise<DeadLetter[]>;

  /** Releases connections and timers. Further calls fail. */
  close(): Promise<void>;
}

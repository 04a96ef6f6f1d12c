/**
 * An in-memory EventLog for UNIT tests only: it keeps the port's contract strictly (all-or-none
 * append with the sequence check, envelopes that must continue the stream and pass the event
 * contracts, validated delivery in stream order, checkpoints that move only after the handler
 * resolved, redelivery of a failed batch) but proves nothing about a real adapter. Adapters are
 * checked by the port's contract suite against real infrastructure.
 */
import { ConcurrencyConflictError } from '@wharf/domain';
import { EventEnvelope, StoredEvent, deepFreeze, validateOnConsume } from '@wharf/contracts';
import type { DeadLetter, EventLog, SubscribeOptions, Subscription } from '@wharf/ports';

type AppendHook = (pkg: string, expectedSequence: number, events: readonly EventEnvelope[]) => Promise<void> | void;

export class InMemoryEventLog implements EventLog {
  /** JSON text per position (position = index + 1), as a real log would store it. */
  private readonly rows: string[] = [];
  private readonly subscriptions = new Set<InMemorySubscription>();
  private readonly beforeAppendHooks: AppendHook[] = [];
  /** What each group set aside, as the port reports it. */
  private readonly setAside = new Map<string, DeadLetter[]>();
  private closed = false;
  /** Every append attempt, including refused ones. */
  readonly appendAttempts: { pkg: string; expectedSequence: number; sequences: number[] }[] = [];

  constructor(private readonly journal?: string[]) {}

  /** Runs `hook` once, just before the next append checks its sequence (e.g. another writer racing in). */
  beforeNextAppend(hook: AppendHook): void {
    this.beforeAppendHooks.push(hook);
  }

  async append(pkg: string, expectedSequence: number, events: EventEnvelope[]): Promise<StoredEvent[]> {
    this.assertOpen();
    const hook = this.beforeAppendHooks.shift();
    if (hook) await hook(pkg, expectedSequence, events);
    this.appendAttempts.push({ pkg, expectedSequence, sequences: events.map((e) => e.sequence) });
    const actual = this.lastSequence(pkg);
    if (actual !== expectedSequence) throw new ConcurrencyConflictError(pkg, expectedSequence, actual);
    if (events.length === 0) throw new Error('append of no events');
    const texts = events.map((event, i) => {
      if (event.package !== pkg || event.sequence !== expectedSequence + i + 1) {
        throw new Error(`event ${event.id} does not continue ${pkg} at sequence ${expectedSequence + i + 1}`);
      }
      validateOnConsume(JSON.parse(JSON.stringify(event)));
      return JSON.stringify(event);
    });
    const stored = texts.map((text) => {
      this.rows.push(text);
      return { ...(JSON.parse(text) as EventEnvelope), position: String(this.rows.length) };
    });
    this.journal?.push(`append ${pkg} ${stored.map((e) => e.sequence).join(',')}`);
    for (const subscription of this.subscriptions) subscription.wake();
    return stored;
  }

  async subscribe(options: SubscribeOptions, handler: (events: StoredEvent[]) => Promise<void>): Promise<Subscription> {
    this.assertOpen();
    const subscription = new InMemorySubscription(this, options, handler, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    subscription.wake();
    return subscription;
  }

  async count(): Promise<number> {
    this.assertOpen();
    return this.rows.length;
  }

  async deadLetters(group: string): Promise<DeadLetter[]> {
    return [...(this.setAside.get(group) ?? [])];
  }

  /** @internal what a subscription of `group` set aside */
  recordDeadLetter(group: string, position: number, reason: string): void {
    const list = this.setAside.get(group) ?? [];
    list.push({ position: String(position), reason, record: this.rows[position - 1] ?? '' });
    this.setAside.set(group, list);
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.closed = true;
  }

  /** The package's events as stored, in sequence order. */
  streamOf(pkg: string): EventEnvelope[] {
    return this.rows.map((text) => JSON.parse(text) as EventEnvelope).filter((e) => e.package === pkg);
  }

  /** @internal */
  rowsAfter(position: number, limit: number): { position: number; text: string }[] {
    return this.rows.slice(position, position + limit).map((text, i) => ({ position: position + i + 1, text }));
  }

  private lastSequence(pkg: string): number {
    return this.streamOf(pkg).reduce((last, e) => Math.max(last, e.sequence), 0);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event log is closed');
  }
}

class InMemorySubscription implements Subscription {
  private checkpoint = 0;
  private running: Promise<void> | null = null;
  private stopped = false;
  readonly deadLetters: { position: number; reason: string }[] = [];

  constructor(
    private readonly log: InMemoryEventLog,
    private readonly options: SubscribeOptions,
    private readonly handler: (events: StoredEvent[]) => Promise<void>,
    private readonly forget: () => void,
  ) {}

  wake(): void {
    if (this.stopped || this.running) return;
    this.running = this.drain().finally(() => {
      this.running = null;
    });
  }

  async lag(): Promise<number> {
    return (await this.log.count()) - this.checkpoint;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    this.forget();
  }

  private async drain(): Promise<void> {
    // Yield first, as a real log's delivery never runs inside the appender's call.
    await Promise.resolve();
    while (!this.stopped) {
      const rows = this.log.rowsAfter(this.checkpoint, this.options.batchSize ?? 100);
      if (rows.length === 0) return;
      const batch: StoredEvent[] = [];
      for (const row of rows) {
        try {
          batch.push(deepFreeze({ ...validateOnConsume(JSON.parse(row.text)), position: String(row.position) })); // frozen, as the embedded log delivers them
        } catch (error) {
          this.deadLetters.push({ position: row.position, reason: (error as Error).message });
          this.log.recordDeadLetter(this.options.group, row.position, (error as Error).message);
        }
      }
      try {
        if (batch.length > 0) await this.handler(batch);
        this.checkpoint = rows[rows.length - 1].position;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }
}

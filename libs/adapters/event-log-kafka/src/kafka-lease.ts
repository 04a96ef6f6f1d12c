/**
 * A lease held through Kafka consumer group membership: every process that wants it joins
 * consumer group `<prefix><name>` on the one-partition topic `<prefix><name>` (leaseTopic in
 * kafka-topics.ts); the member assigned partition 0 holds it. Nothing is ever written to the
 * topic: the group coordinator is the arbiter.
 *
 * - Take-over: a holder that dies without leaving (kill -9) is dropped by the coordinator when its
 *   session expires (`sessionTimeoutMs`), the group rebalances and another member is assigned
 *   partition 0. A holder that stops (or whose consumer crashes) leaves the group at once.
 * - Stickiness: each member tells, in its join metadata, whether it holds the lease; the
 *   assignment keeps partition 0 with the holder, so a member joining does not take it away.
 * - Step-down: a holder that has had no successful heartbeat (nor join) for `stepDownAfter` of the
 *   session timeout (0.8) gives the lease up by itself, before the coordinator can have expired it
 *   and given partition 0 to another member. So two members believe they hold it at once only
 *   across a process pause (the holder cannot look at its clock then) or a rebalance (a member
 *   revoked keeps the lease until its join ends, within the session timeout).
 *   A heartbeat that succeeds again with partition 0 still assigned takes the lease back.
 */
import { AssignerProtocol, Consumer, Kafka, PartitionAssigner, logLevel } from 'kafkajs';
import { ensureTopics, leaseTopic } from './kafka-topics';
import { RestartingConsumer } from './restarting-consumer';

export interface KafkaLeaseOptions {
  brokers: string[];
  clientId?: string;
  /** Prepended to the topic and group names. Default 'wharf.'. */
  topicPrefix?: string;
  replicationFactor?: number;
  /** The lease's name: its topic and group are `<prefix><name>`. */
  name: string;
  /** How long a holder that died without leaving keeps the lease. Default 10000. */
  sessionTimeoutMs?: number;
  /** Default 1000. */
  heartbeatIntervalMs?: number;
}

/** The fraction of the session timeout without a heartbeat after which a holder gives the lease up. */
const STEP_DOWN_AFTER = 0.8;

export class KafkaLease {
  private readonly kafka: Kafka;
  private readonly topic: string;
  private readonly sessionTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private consumer: RestartingConsumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private belief: LeaseBelief;
  private onChange: (held: boolean) => void = () => undefined;

  constructor(private readonly options: KafkaLeaseOptions) {
    this.kafka = new Kafka({
      brokers: options.brokers,
      clientId: options.clientId ?? 'wharf-lease',
      logLevel: logLevel.WARN,
    });
    this.topic = `${options.topicPrefix ?? 'wharf.'}${options.name}`;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1_000;
    this.belief = new LeaseBelief(this.sessionTimeoutMs);
  }

  /**
   * Creates the topic if needed and joins the group; resolves once the first join has told
   * whether this member holds the lease (`onChange` has been called if it does). `onChange`
   * is then called at each change, with the new state.
   */
  async start(onChange: (held: boolean) => void): Promise<void> {
    this.onChange = onChange;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const { topicPrefix = 'wharf.', name, replicationFactor = 1 } = this.options;
      await ensureTopics(admin, [leaseTopic(topicPrefix, name, replicationFactor)]);
    } finally {
      await admin.disconnect();
    }
    let joinedOnce: () => void = () => undefined;
    const joined = new Promise<void>((resolve) => (joinedOnce = resolve));
    this.consumer = new RestartingConsumer(
      () => this.created(joinedOnce),
      (consumer) => this.run(consumer),
      { retryDelayMs: 1_000 },
    );
    this.timer = setInterval(() => this.told(this.belief.tick(Date.now())), this.heartbeatIntervalMs);
    this.timer.unref();
    await this.consumer.start();
    await joined;
  }

  /** Leaves the group (another member takes the lease at once); `onChange(false)` if held. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.consumer?.stop();
    this.told(this.belief.lost());
  }

  private created(joined: () => void): Consumer {
    const consumer = this.kafka.consumer({
      groupId: this.topic,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatIntervalMs,
      maxWaitTimeInMs: this.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
      partitionAssigners: [keepWithHolder(this.topic, () => this.belief.held)],
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.told(this.belief.joined((payload.memberAssignment[this.topic] ?? []).includes(0), Date.now()));
      joined();
    });
    consumer.on(consumer.events.HEARTBEAT, () => this.told(this.belief.beat(Date.now())));
    consumer.on(consumer.events.CRASH, () => this.told(this.belief.lost()));
    consumer.on(consumer.events.STOP, () => this.told(this.belief.lost()));
    return consumer;
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: false });
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
  }

  /** Tells a change of the belief (`changed`: whether `tick`, `joined`, ... changed it). */
  private told(changed: boolean): void {
    if (changed) this.onChange(this.belief.held);
  }
}

/**
 * Whether a member holds the lease, from what its consumer saw: partition 0 in its last join's
 * assignment, and a successful heartbeat (or the join) less than 0.8 of the session ago. Each
 * method returns whether `held` changed.
 */
export class LeaseBelief {
  held = false;
  private assigned = false;
  private lastBeat = Number.NEGATIVE_INFINITY;

  constructor(private readonly sessionTimeoutMs: number) {}

  /** A join ended: `assigned` is whether partition 0 is this member's. */
  joined(assigned: boolean, now: number): boolean {
    this.assigned = assigned;
    this.lastBeat = now;
    return this.tick(now);
  }

  /** A heartbeat succeeded: the coordinator still counts this member, with its assignment. */
  beat(now: number): boolean {
    this.lastBeat = now;
    return this.tick(now);
  }

  /** The consumer stopped or crashed: it is no member now. */
  lost(): boolean {
    this.assigned = false;
    return this.tick(Number.NEGATIVE_INFINITY);
  }

  /** The clock moved: a holder without a recent heartbeat gives the lease up. */
  tick(now: number): boolean {
    const held = this.assigned && now - this.lastBeat < this.sessionTimeoutMs * STEP_DOWN_AFTER;
    if (held === this.held) return false;
    this.held = held;
    return true;
  }
}

/**
 * The assignment of a lease group: partition 0 to the member whose join metadata says it holds
 * the lease, else to the first member (by id); nothing to the others.
 */
export function keepWithHolder(topic: string, holds: () => boolean): PartitionAssigner {
  return () => ({
    name: 'WharfLease',
    version: 1,
    protocol: ({ topics }) => ({
      name: 'WharfLease',
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics,
        userData: Buffer.from(holds() ? 'holder' : ''),
      }),
    }),
    assign: async ({ members }) => {
      const holder =
        members.find(
          (m) => AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData.toString() === 'holder',
        ) ?? [...members].sort((a, b) => a.memberId.localeCompare(b.memberId))[0];
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: memberId === holder?.memberId ? { [topic]: [0] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
  });
}

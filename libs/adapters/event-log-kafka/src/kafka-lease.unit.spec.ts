import { AssignerProtocol, Cluster } from 'kafkajs';
import { LeaseBelief, keepWithHolder } from './kafka-lease';

const TOPIC = 'wharf.blob-leader';

/** A member's join metadata as the lease's assigner encodes it in that member. */
function member(memberId: string, holds: boolean) {
  const assigner = keepWithHolder(TOPIC, () => holds)({ cluster: {} as Cluster, groupId: TOPIC, logger: {} as never });
  return { memberId, memberMetadata: assigner.protocol({ topics: [TOPIC] }).metadata };
}

async function assign(members: ReturnType<typeof member>[]): Promise<Record<string, number[]>> {
  const assigner = keepWithHolder(TOPIC, () => false)({ cluster: {} as Cluster, groupId: TOPIC, logger: {} as never });
  const assignment = await assigner.assign({ members, topics: [TOPIC] });
  return Object.fromEntries(
    assignment.map(({ memberId, memberAssignment }) => [
      memberId,
      AssignerProtocol.MemberAssignment.decode(memberAssignment)?.assignment[TOPIC] ?? [],
    ]),
  );
}

describe(keepWithHolder.name, () => {
  it('should keep partition 0 with the member that holds the lease when another joins', async () => {
    expect(await assign([member('a', false), member('b', true), member('c', false)])).toEqual({
      a: [],
      b: [0],
      c: [],
    });
  });

  it('should give partition 0 to exactly one member when none holds the lease', async () => {
    expect(await assign([member('b', false), member('a', false)])).toEqual({ a: [0], b: [] });
  });
});

describe(LeaseBelief.name, () => {
  const SESSION_MS = 10_000;

  it('should hold the lease from a join that assigns partition 0, and not from one that does not', () => {
    const holder = new LeaseBelief(SESSION_MS);
    const standby = new LeaseBelief(SESSION_MS);
    expect([holder.joined(true, 0), standby.joined(false, 0)]).toEqual([true, false]);
    expect([holder.held, standby.held]).toEqual([true, false]);
  });

  it('should give the lease up without a heartbeat for 0.8 of the session, before the coordinator can expire it', () => {
    const sut = new LeaseBelief(SESSION_MS);
    sut.joined(true, 0);
    sut.beat(1_000);
    sut.tick(8_999);
    expect(sut.held).toBe(true);
    expect(sut.tick(9_000)).toBe(true);
    expect(sut.held).toBe(false);
    // A heartbeat that succeeds again: the coordinator still counts it, with partition 0.
    expect(sut.beat(9_500)).toBe(true);
    expect(sut.held).toBe(true);
  });

  it('should give the lease up when the consumer stops or crashes, and when a join assigns partition 0 elsewhere', () => {
    const stopped = new LeaseBelief(SESSION_MS);
    stopped.joined(true, 0);
    stopped.lost();
    stopped.beat(100);
    const revoked = new LeaseBelief(SESSION_MS);
    revoked.joined(true, 0);
    revoked.joined(false, 100);
    expect([stopped.held, revoked.held]).toEqual([false, false]);
  });
});

import { AssignerProtocol, Cluster } from 'kafkajs';
import { keepWithHolder } from './kafka-lease';

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

import { AssignerProtocol, PartitionAssigner } from 'kafkajs';

/** A partition assigner that gives the (single) member of a throwaway group one partition. */
export function onlyPartition(topic: string, partition: number): PartitionAssigner {
  return () => ({
    name: 'WharfSinglePartition',
    version: 1,
    protocol: ({ topics }) => ({
      name: 'WharfSinglePartition',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    }),
    assign: async ({ members }) =>
      members.map(({ memberId }, i) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? { [topic]: [partition] } : {},
          userData: Buffer.alloc(0),
        }),
      })),
  });
}

import { z } from 'zod';

export const ReleaseRemovedFromChannelV1 = {
  type: 'ReleaseRemovedFromChannel',
  version: 1,
  schema: z.object({ channel: z.string().min(1), release: z.string().min(1), current: z.string().min(1).nullable() }),
} as const;

import { z } from 'zod';

export const ReleaseAddedToChannelV1 = {
  type: 'ReleaseAddedToChannel',
  version: 1,
  schema: z.object({ channel: z.string().min(1), release: z.string().min(1) }),
} as const;

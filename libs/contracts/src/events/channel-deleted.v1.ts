import { z } from 'zod';

export const ChannelDeletedV1 = {
  type: 'ChannelDeleted',
  version: 1,
  schema: z.object({ channel: z.string().min(1) }),
} as const;

import { z } from 'zod';

export const PackageVisibilityChangedV1 = {
  type: 'PackageVisibilityChanged',
  version: 1,
  schema: z.object({ visibility: z.enum(['public', 'private']) }),
} as const;

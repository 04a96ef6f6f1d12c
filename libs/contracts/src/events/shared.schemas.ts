import { z } from 'zod';
import { JsonValue, SHA256_HEX } from '@wharf/domain';

export const hexDigest = z.string().regex(SHA256_HEX, 'lowercase hex sha256');

export const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

export const chartMetadata = z.object({
  apiVersion: z.string().optional(),
  name: z.string(),
  version: z.string(),
  description: z.string().optional(),
  keywords: z.array(z.string()).optional(),
  appVersion: z.string().optional(),
  home: z.string().optional(),
  sources: z.array(z.string()).optional(),
  icon: z.string().optional(),
  deprecated: z.boolean().optional(),
  type: z.string().optional(),
  kubeVersion: z.string().optional(),
  maintainers: z.array(z.object({ name: z.string(), email: z.string().optional(), url: z.string().optional() })).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  dependencies: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const visibility = z.enum(['public', 'private']);

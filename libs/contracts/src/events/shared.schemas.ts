import { z } from 'zod';
import { JsonValue, SHA256_HEX } from '@wharf/domain';

export const hexDigest = z.string().regex(SHA256_HEX, 'lowercase hex sha256');

/** The manifest and config blobs of a release pushed over OCI. */
export const ociDigests = z.object({ manifestDigest: hexDigest, configDigest: hexDigest });

/**
 * Any JSON value (user `metadata`). Checked by an iterative walk, not a recursive schema: a
 * recursive one overflowed the stack on deep input (a RangeError, not a validation failure).
 * How deep a value may nest is the envelope's rule (event-registry.ts).
 */
export const jsonValue: z.ZodType<JsonValue> = z.custom<JsonValue>().superRefine((value, ctx) => {
  const problem = notJson(value);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});

/** Why `value` is not a JSON value (and where in it), or null when it is one. */
function notJson(value: unknown): string | null {
  const pending: { value: unknown; path: string }[] = [{ value, path: '' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const v = next.value;
    if (v === null || typeof v === 'boolean' || typeof v === 'string') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return `not a finite number${at(next.path)}`;
      continue;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => pending.push({ value: item, path: `${next.path}[${i}]` }));
      continue;
    }
    if (typeof v === 'object' && isPlainObject(v)) {
      for (const [key, item] of Object.entries(v)) pending.push({ value: item, path: `${next.path}.${key}` });
      continue;
    }
    return `not a JSON value (${typeof v})${at(next.path)}`;
  }
  return null;
}

function at(path: string): string {
  return path ? ` at ${path}` : '';
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

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
  maintainers: z
    .array(z.object({ name: z.string(), email: z.string().optional(), url: z.string().optional() }))
    .optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  dependencies: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const visibility = z.enum(['public', 'private']);

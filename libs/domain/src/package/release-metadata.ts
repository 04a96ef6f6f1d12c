/**
 * The bounds of a release's free-form `metadata` (the appr push's JSON object, stored in the
 * package view and carried by the ReleasePublished event): its size as compact JSON, which
 * also counts against the namespace's storage quota, and its nesting depth.
 *
 * Both are measured by one walk with an explicit stack, never by recursion: a body may nest
 * 100,000 levels deep (JSON.parse accepts it), and a recursive walk or serialiser would
 * overflow the stack and answer 500. The walk stops at the first bound crossed, so a 100 MiB
 * value costs no more than the bound to refuse.
 */
import { InvalidUsageError, MetadataTooLargeError } from '../errors';
import type { JsonValue } from './package.view';

export interface MetadataLimits {
  /** Largest accepted size, in UTF-8 bytes of compact JSON (`JSON.stringify` without spaces). */
  maxBytes: number;
  /** Deepest accepted nesting of objects and arrays; the top-level object is depth 1. */
  maxDepth: number;
}

/**
 * The size of `metadata` in bytes of compact JSON (0 for null: a release without metadata adds
 * nothing to the namespace's storage). Throws InvalidUsageError (400) when it nests deeper than
 * `maxDepth`, MetadataTooLargeError (413) when it is larger than `maxBytes`.
 */
export function measureReleaseMetadata(metadata: JsonValue, limits: MetadataLimits): number {
  if (metadata === null) return 0;
  let bytes = 0;
  const add = (n: number) => {
    bytes += n;
    if (bytes > limits.maxBytes) throw new MetadataTooLargeError(limits.maxBytes);
  };
  const stack: { value: JsonValue; depth: number }[] = [{ value: metadata, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (value === null || typeof value !== 'object') {
      add(scalarBytes(value));
      continue;
    }
    if (depth + 1 > limits.maxDepth) {
      throw new InvalidUsageError(`'metadata' nests deeper than ${limits.maxDepth} levels`, {
        field: 'metadata',
        max_depth: limits.maxDepth,
      });
    }
    if (Array.isArray(value)) {
      // brackets and the commas between elements
      add(2 + Math.max(0, value.length - 1));
      for (const element of value) stack.push({ value: element, depth: depth + 1 });
    } else {
      const members = Object.entries(value);
      // braces, the commas between members, a colon per member
      add(2 + Math.max(0, members.length - 1) + members.length);
      for (const [key, member] of members) {
        add(scalarBytes(key));
        stack.push({ value: member, depth: depth + 1 });
      }
    }
  }
  return bytes;
}

function scalarBytes(value: string | number | boolean | null): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Reads request parameters the way the reference server does (query string merged with the
 * JSON body, the body winning; the body is JSON whatever its Content-Type) but strictly typed:
 * a parameter that arrives as an array or an object where a string belongs is refused, so
 * nothing like `namespace[$ne]=x` ever reaches a store as anything but a plain string.
 */
import { InvalidUsageError, printable } from '@wharf/domain';

export type RequestValues = Record<string, unknown>;

/**
 * The most objects and arrays a request body may hold. What `JSON.parse` makes of a body is
 * bounded by its bytes only loosely: 60 MB of `{},` is twenty million objects, gigabytes of heap
 * and seconds of a blocked event loop. Every body of the API is a flat object of strings but for a
 * push's `metadata`, whose default bound (64 KiB) holds at most 32,768 of them; this is twice that.
 * Counted on the bytes before parsing (braces inside strings count too: base64 has none).
 */
export const MAX_JSON_CONTAINERS = 65_536;

/** Parses the raw body: empty means no values; anything else must be a JSON object. */
export function parseJsonBody(raw: unknown): RequestValues {
  if (raw === undefined || raw === null) return {};
  if (Buffer.isBuffer(raw)) assertFewContainers(raw);
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidUsageError(`request body is not valid JSON: ${printable((error as Error).message, 120)}`, {
      field: 'body',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidUsageError('request body must be a JSON object', { field: 'body' });
  }
  return parsed as RequestValues;
}

/**
 * Query parameter names are plain words; a name with brackets or `$` (`namespace[$ne]=x`) is an
 * attempt at structured input and is refused rather than silently ignored.
 */
export function mergeValues(query: unknown, body: RequestValues): RequestValues {
  const values = isRecord(query) ? query : {};
  for (const name of Object.keys(values)) {
    if (/[[\]$]/.test(name))
      throw new InvalidUsageError(`unsupported query parameter '${printable(name, 64)}'`, {
        field: printable(name, 64),
      });
  }
  return { ...values, ...body };
}

/** A string parameter, or undefined when absent; refuses arrays, objects, numbers. */
export function optionalString(values: RequestValues, field: string): string | undefined {
  const value = values[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidUsageError(`'${field}' must be a string`, { field });
  return value;
}

export function requiredString(values: RequestValues, field: string): string {
  const value = optionalString(values, field);
  if (value === undefined || value === '') throw new InvalidUsageError(`Missing ${field}`, { field });
  return value;
}

/** True only for the string "true", as the reference server reads `force`. */
export function flag(values: RequestValues, field: string): boolean {
  const value = values[field];
  return value === 'true';
}

export function optionalInt(values: RequestValues, field: string, min: number, max: number): number | undefined {
  const value = optionalString(values, field);
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidUsageError(`'${field}' must be an integer from ${min} to ${max}`, { field });
  }
  return Number(value);
}

function assertFewContainers(body: Buffer): void {
  let containers = 0;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if ((byte === 0x7b || byte === 0x5b) && ++containers > MAX_JSON_CONTAINERS) {
      throw new InvalidUsageError(`request body holds more than ${MAX_JSON_CONTAINERS} JSON objects and arrays`, {
        field: 'body',
        max_containers: MAX_JSON_CONTAINERS,
      });
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

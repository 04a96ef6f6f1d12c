/**
 * Media types name the format of a release's content (`helm`, `kpm`, …). The API carries them
 * short; manifests carry them long. Wharf emits the `vnd.cnr` long forms, as cnr-server and Quay
 * do (appr 0.7.4 used `vnd.appr`), and accepts either on input.
 */
import { InvalidMediaTypeError } from './errors';

/** `-` in a pull path asks the server to pick the release's only media type. */
export const AUTO_MEDIA_TYPE = '-';
/** What a push without `media_type` stores, as in the reference server. */
export const DEFAULT_MEDIA_TYPE = 'kpm';
/**
 * The types the appr CLI knows. Informational only: like the reference server, Wharf accepts any
 * well-formed short name.
 */
export const KNOWN_MEDIA_TYPES: readonly string[] = [
  'helm',
  'kpm',
  'kpm-compose',
  'docker-compose',
  'kubernetes',
  'appr',
];

const SCHEMA_VERSION = 'v0';
const MAX_INPUT_LENGTH = 256;
const SHORT_FORM = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const LONG_FORM = /^application\/vnd\.(?:appr|cnr)\.package-manifest\.([a-z0-9][a-z0-9_-]{0,63})\.v[0-9]{1,4}\.json$/;

/**
 * Returns the short media type for a short name or a long manifest media type
 * (`application/vnd.(appr|cnr).package-manifest.<type>.<version>.json`). Throws
 * InvalidMediaTypeError for anything else, including `-`: callers that allow auto-detection
 * compare against AUTO_MEDIA_TYPE before calling this.
 */
export function parseMediaType(value: string): string {
  if (typeof value !== 'string') throw new InvalidMediaTypeError(String(value), 'must be a string');
  if (value.length === 0) throw new InvalidMediaTypeError(value, 'must not be empty');
  if (value === AUTO_MEDIA_TYPE) {
    throw new InvalidMediaTypeError(value, "'-' (auto-detect) is only allowed where a release is read");
  }
  if (value.length > MAX_INPUT_LENGTH)
    throw new InvalidMediaTypeError(value, `must be at most ${MAX_INPUT_LENGTH} characters`);
  if (SHORT_FORM.test(value)) return value;
  const long = LONG_FORM.exec(value);
  if (long) return long[1]!;
  throw new InvalidMediaTypeError(
    value,
    'must be a lowercase short name such as helm, or application/vnd.cnr.package-manifest.<type>.v0.json',
  );
}

/** `application/vnd.cnr.package-manifest.<short>.v0.json`; accepts what parseMediaType accepts. */
export function manifestMediaType(short: string): string {
  return `application/vnd.cnr.package-manifest.${parseMediaType(short)}.${SCHEMA_VERSION}.json`;
}

/** `application/vnd.cnr.package.<short>.v0.tar+gzip`; accepts what parseMediaType accepts. */
export function contentMediaType(short: string): string {
  return `application/vnd.cnr.package.${parseMediaType(short)}.${SCHEMA_VERSION}.tar+gzip`;
}

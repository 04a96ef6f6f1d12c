/**
 * The App Registry package routes' query strings and bodies, read into the typed input their use
 * cases take (`request-values.ts` reads the raw values strictly), with the domain's rules
 * (release, media type, visibility). A use case that guards first reads its input after the
 * guard (`RequestInput`); names in the path are the use cases' to parse.
 */
import {
  DEFAULT_MEDIA_TYPE,
  InvalidUsageError,
  JsonValue,
  assertRelease,
  parseMediaType,
  parseSearchSort,
  parseVisibility,
} from '@wharf/domain';
import type { PackageListQuery } from '../use-cases/read-package/list-packages.use-case';
import type { PackageSearch } from '../use-cases/read-package/search-packages.use-case';
import type { PushReleaseRequest } from '../use-cases/push-release.use-case';
import {
  RequestValues,
  flag,
  mergeValues,
  optionalInt,
  optionalString,
  parseJsonBody,
  requiredString,
} from './request-values';

/** The appr push's fields (query merged with the JSON body), in the order the push has always checked them. */
export function pushReleaseRequest(query: unknown, body: unknown): PushReleaseRequest {
  const values = mergeValues(query, parseJsonBody(body));
  const release = assertRelease(requiredString(values, 'release'));
  const mediaType = parseMediaType(optionalString(values, 'media_type') ?? DEFAULT_MEDIA_TYPE);
  const blob = requiredString(values, 'blob');
  const metadata = readMetadata(values);
  const named = optionalString(values, 'visibility');
  const visibility = named === undefined ? undefined : parseVisibility(named);
  return { release, mediaType, blob, metadata, visibility, force: flag(values, 'force') };
}

/** `PUT .../visibility`: `{"visibility": "public" | "private"}`. */
export function visibilityRequest(body: unknown) {
  return parseVisibility(optionalString(parseJsonBody(body), 'visibility'));
}

/** `GET /api/v1/packages`: filters and a page of at most `maxLimit` (the configured list limit). */
export function packageListQuery(query: unknown, maxLimit: number): PackageListQuery {
  const values = mergeValues(query, {});
  const namespace = optionalString(values, 'namespace') || undefined;
  const nameContains = optionalString(values, 'query') || undefined;
  const mediaType = optionalMediaType(values);
  const limit = optionalInt(values, 'limit', 1, maxLimit) ?? maxLimit;
  const offset = optionalInt(values, 'offset', 0, 1_000_000_000) ?? 0;
  return { namespace, nameContains, mediaType, limit, offset };
}

/**
 * `GET /api/v1/packages/search?q=&namespace=&media_type=&sort=`: the text searched for ('' when
 * absent), the namespace and media type the results must have, if given, and the order
 * (`relevance` when absent or empty, or `recent`; anything else is refused).
 */
export function packageSearch(query: unknown): PackageSearch {
  const values = mergeValues(query, {});
  return {
    text: optionalString(values, 'q') ?? '',
    namespace: optionalString(values, 'namespace')?.trim() || undefined,
    mediaType: optionalMediaType(values),
    sort: parseSearchSort(optionalString(values, 'sort') || 'relevance'),
  };
}

/** `GET /api/v1/packages/{ns}/{name}?media_type=`: the media type to show, or every one. */
export function showPackageMediaType(query: unknown): string | undefined {
  return optionalMediaType(mergeValues(query, {}));
}

function optionalMediaType(values: RequestValues): string | undefined {
  const value = optionalString(values, 'media_type') || undefined;
  return value === undefined ? undefined : parseMediaType(value);
}

function readMetadata(values: RequestValues): JsonValue {
  const metadata = values.metadata;
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== 'object')
    throw new InvalidUsageError("'metadata' must be a JSON object or null", { field: 'metadata' });
  return metadata as JsonValue;
}

/**
 * The OpenAPI 3.1 description of the API Wharf really serves (not the old appr swagger, which
 * disagrees with every real server; see the README). Every path is also served under the
 * configured prefix (default /cnr), which the `servers` list says.
 */
import { CHANNEL_NAME_PATTERN, PACKAGE_NAME_PATTERN, SEARCH_SORTS, SHA256_HEX } from '@wharf/domain';
import { ACCOUNT_PATHS, ACCOUNT_SCHEMAS, SECURITY_SCHEMES } from './account-paths';
import { RETENTION_PATHS, RETENTION_SCHEMAS } from './retention-paths';
import { WEBHOOK_PATHS, WEBHOOK_SCHEMAS } from './webhook-paths';
import { HELM_PATHS, HELM_SCHEMAS } from './helm-paths';
import { errorsFrom, json, ok, ref } from './openapi-builders';

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request (invalid-usage, invalid-name, invalid-media-type, invalid-blob)',
  404: 'Not found (package-not-found, package-release-not-found, channel-not-found)',
  401: 'No valid credentials where they are needed (unauthorized-access)',
  403: 'The caller lacks the role on the namespace (forbidden)',
  409: 'Conflict (package-exists, resource-in-use)',
  413: 'Too large (payload-too-large, archive-too-large, quota-exceeded)',
  422: 'Unprocessable (invalid-release, unsafe-archive)',
  503: 'A backing store is unavailable (service-unavailable); see Retry-After',
};
const errors = errorsFrom(ERROR_TEXT);

const pathParam = (name: string, description: string, pattern?: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: pattern ? { type: 'string', pattern } : { type: 'string' },
});

const NAME = PACKAGE_NAME_PATTERN;
const params = {
  namespace: pathParam('namespace', 'Namespace (lowercase, [a-z0-9._-], at most 255 characters, no "..")', NAME),
  package: pathParam('package', 'Package name (same rules as the namespace)', NAME),
  release: pathParam(
    'release',
    'A release query: "default" (highest release, pre-releases included), an exact SemVer, or a range such as ">=1.0.0,<2.0.0"',
  ),
  exactRelease: pathParam('release', 'An exact SemVer 2.0 release'),
  mediaType: pathParam(
    'mediaType',
    'Short media type (helm, kpm, docker-compose, ...) or "-" for the only one the release has',
  ),
  channel: pathParam('channel', 'Channel name', CHANNEL_NAME_PATTERN),
  digest: pathParam(
    'digest',
    'The appr digest (sha256 of the uncompressed tar) or the sha256 of the .tar.gz, lowercase hex',
  ),
  format: {
    name: 'format',
    in: 'query',
    required: false,
    schema: { type: 'string', enum: ['json'] },
    description:
      '"json" returns the base64 JSON form (413 payload-too-large above WHARF_MAX_JSON_PULL_BYTES: details.raw_pull is the raw URL)',
  },
};
const P = '/api/v1/packages/{namespace}/{package}';
const pkg = [params.namespace, params.package];

const archive = {
  description: 'The .tar.gz as pushed',
  headers: {
    'Content-Disposition': {
      schema: { type: 'string' },
      description: 'The bare filename, as the reference server sends it',
    },
  },
  content: {
    'application/x-gzip': { schema: { type: 'string', format: 'binary' } },
    'application/json': { schema: ref('PullJson') },
  },
};

export function openApiDocument(prefix: string, version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Wharf App Registry API',
      version,
      description:
        'The App Registry (appr/cnr) protocol as the reference server and Quay implement it. Request bodies are JSON whatever their Content-Type. Errors carry code, message and details at the top level and again under "error".',
    },
    servers: [{ url: prefix }, { url: '/' }],
    paths: {
      '/version': { get: { operationId: 'version', responses: { 200: ok('API versions', ref('Version')) } } },
      '/api/v1/packages': {
        get: {
          operationId: 'listPackages',
          parameters: [
            { name: 'namespace', in: 'query', schema: { type: 'string' } },
            { name: 'query', in: 'query', schema: { type: 'string' }, description: 'Substring of "namespace/name"' },
            { name: 'media_type', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
          ],
          responses: {
            200: ok('Packages with at least one release', { type: 'array', items: ref('ListEntry') }),
            ...errors(400),
          },
        },
      },
      '/api/v1/packages/search': {
        get: {
          operationId: 'searchPackages',
          parameters: [
            {
              name: 'q',
              in: 'query',
              schema: { type: 'string' },
              description: 'Words; never interpreted as query syntax',
            },
            { name: 'namespace', in: 'query', schema: { type: 'string' }, description: 'Only this namespace' },
            {
              name: 'media_type',
              in: 'query',
              schema: { type: 'string' },
              description: 'Only packages with this media type',
            },
            {
              name: 'sort',
              in: 'query',
              schema: { type: 'string', enum: [...SEARCH_SORTS], default: 'relevance' },
              description:
                'relevance: best match first; recent: newest release first (packages indexed before release times were, last)',
            },
          ],
          responses: {
            200: ok('Matching packages, in the order asked for', { type: 'array', items: { type: 'string' } }),
            ...errors(400),
          },
        },
      },
      [P]: {
        get: {
          operationId: 'showPackage',
          parameters: [...pkg, { name: 'media_type', in: 'query', schema: { type: 'string' } }],
          responses: {
            200: ok('Every manifest of every release', { type: 'array', items: ref('Manifest') }),
            ...errors(400, 404),
          },
        },
        post: {
          operationId: 'pushRelease',
          parameters: [...pkg, { name: 'force', in: 'query', schema: { type: 'string', enum: ['true', 'false'] } }],
          requestBody: { required: true, content: json(ref('PushRequest')) },
          responses: { 200: ok('Stored', ref('PushResponse')), ...errors(400, 401, 403, 409, 413, 422, 503) },
        },
      },
      [`${P}/{release}`]: {
        get: {
          operationId: 'showRelease',
          parameters: [...pkg, params.release],
          responses: {
            200: ok('One manifest per media type', { type: 'array', items: ref('Manifest') }),
            ...errors(400, 404, 422),
          },
        },
      },
      [`${P}/{release}/{mediaType}`]: {
        get: {
          operationId: 'showManifest',
          parameters: [...pkg, params.release, params.mediaType],
          responses: { 200: ok('The manifest', ref('ManifestWithChannels')), ...errors(400, 404, 422) },
        },
        delete: {
          operationId: 'deleteRelease',
          parameters: [...pkg, params.exactRelease, params.mediaType],
          responses: { 200: ok('Deleted', ref('DeletedRelease')), ...errors(400, 404, 422, 503) },
        },
      },
      [`${P}/{release}/{mediaType}/pull`]: {
        get: {
          operationId: 'pull',
          parameters: [...pkg, params.release, params.mediaType, params.format],
          responses: { 200: archive, ...errors(400, 404, 413, 422) },
        },
      },
      [`${P}/{release}/{mediaType}/pull/json`]: {
        get: {
          operationId: 'pullJson',
          parameters: [...pkg, params.release, params.mediaType],
          responses: { 200: ok('The archive as base64', ref('PullJson')), ...errors(400, 404, 413, 422) },
        },
      },
      [`${P}/blobs/sha256/{digest}`]: {
        get: {
          operationId: 'blob',
          parameters: [...pkg, params.digest, params.format],
          responses: {
            200: { ...archive, content: { ...archive.content, 'application/json': { schema: ref('BlobJson') } } },
            ...errors(400, 404, 413),
          },
        },
      },
      [`${P}/blobs/sha256/{digest}/json`]: {
        get: {
          operationId: 'blobJson',
          parameters: [...pkg, params.digest],
          responses: { 200: ok('The archive as base64', ref('BlobJson')), ...errors(400, 404, 413) },
        },
      },
      [`${P}/channels`]: {
        get: {
          operationId: 'listChannels',
          parameters: pkg,
          responses: { 200: ok('Channels', { type: 'array', items: ref('Channel') }), ...errors(400, 404) },
        },
      },
      [`${P}/channels/{channel}`]: {
        get: {
          operationId: 'showChannel',
          parameters: [...pkg, params.channel],
          responses: { 200: ok('The channel', ref('Channel')), ...errors(400, 404) },
        },
        delete: {
          operationId: 'deleteChannel',
          parameters: [...pkg, params.channel],
          responses: { 200: ok('Deleted', ref('DeletedChannel')), ...errors(400, 404, 503) },
        },
      },
      [`${P}/channels/{channel}/{release}`]: {
        post: {
          operationId: 'addReleaseToChannel',
          parameters: [...pkg, params.channel, params.exactRelease],
          responses: {
            200: ok('The channel, with the release as current (created if missing)', ref('Channel')),
            ...errors(400, 404, 422, 503),
          },
        },
        delete: {
          operationId: 'removeReleaseFromChannel',
          parameters: [...pkg, params.channel, params.exactRelease],
          responses: { 200: ok('Removed', ref('RemovedChannelRelease')), ...errors(400, 404, 422, 503) },
        },
      },
      ...HELM_PATHS,
      ...ACCOUNT_PATHS,
      ...WEBHOOK_PATHS,
      ...RETENTION_PATHS,
    },
    // Credentials are optional everywhere: anonymous callers read public packages.
    security: [{}, { token: [] }, { bearer: [] }, { basic: [] }],
    components: {
      schemas: { ...SCHEMAS, ...HELM_SCHEMAS, ...ACCOUNT_SCHEMAS, ...WEBHOOK_SCHEMAS, ...RETENTION_SCHEMAS },
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

const str = { type: 'string' };
const nullableStr = { type: ['string', 'null'] };
const hex = { type: 'string', pattern: SHA256_HEX.source };

const SCHEMAS = {
  Version: {
    type: 'object',
    required: ['appr-api', 'cnr-api'],
    properties: { 'appr-api': str, 'cnr-api': str, wharf: str },
  },
  ErrorFields: {
    type: 'object',
    required: ['code', 'message', 'details'],
    properties: { code: str, message: str, details: { type: 'object' } },
  },
  Error: {
    type: 'object',
    required: ['code', 'message', 'details', 'error'],
    properties: { code: str, message: str, details: { type: 'object' }, error: ref('ErrorFields') },
  },
  PushRequest: {
    type: 'object',
    required: ['release', 'blob'],
    properties: {
      release: { type: 'string', description: 'Strict SemVer 2.0' },
      media_type: { type: 'string', default: 'kpm' },
      blob: { type: 'string', description: 'base64 of a .tar.gz' },
      metadata: { type: ['object', 'null'] },
      force: { type: 'string', enum: ['true', 'false'], description: 'Only the string "true" forces' },
      visibility: { type: 'string', enum: ['public', 'private'] },
    },
  },
  PushResponse: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } },
  Content: {
    type: 'object',
    required: ['digest', 'mediaType', 'size', 'urls'],
    properties: { digest: hex, mediaType: str, size: { type: 'integer' }, urls: { type: 'array', items: str } },
  },
  Manifest: {
    type: 'object',
    required: ['package', 'release', 'created_at', 'mediaType', 'metadata', 'content'],
    properties: { package: str, release: str, created_at: str, mediaType: str, metadata: {}, content: ref('Content') },
  },
  ManifestWithChannels: {
    allOf: [
      ref('Manifest'),
      { type: 'object', required: ['channels'], properties: { channels: { type: 'array', items: str } } },
    ],
  },
  ListEntry: {
    type: 'object',
    required: ['name', 'namespace', 'default', 'releases', 'manifests', 'visibility', 'created_at', 'updated_at'],
    properties: {
      name: str,
      namespace: str,
      default: nullableStr,
      releases: { type: 'array', items: str },
      manifests: { type: 'array', items: str },
      visibility: { type: 'string', enum: ['public', 'private'] },
      created_at: nullableStr,
      updated_at: nullableStr,
    },
  },
  Channel: {
    type: 'object',
    required: ['name', 'current', 'releases'],
    properties: { name: str, current: str, releases: { type: 'array', items: str } },
  },
  PullJson: {
    type: 'object',
    required: ['package', 'release', 'media_type', 'filename', 'blob'],
    properties: { package: str, release: str, media_type: str, filename: str, blob: str },
  },
  BlobJson: {
    type: 'object',
    required: ['package', 'release', 'filename', 'blob'],
    properties: { package: str, release: str, filename: str, blob: str },
  },
  DeletedRelease: {
    type: 'object',
    required: ['status', 'package', 'release'],
    properties: { status: { const: 'deleted' }, package: str, release: str },
  },
  RemovedChannelRelease: {
    type: 'object',
    required: ['status', 'package', 'name', 'release'],
    properties: { status: { const: 'deleted' }, package: str, name: str, release: str },
  },
  DeletedChannel: {
    type: 'object',
    required: ['channel', 'package', 'action'],
    properties: { channel: str, package: str, action: { const: 'delete' } },
  },
};

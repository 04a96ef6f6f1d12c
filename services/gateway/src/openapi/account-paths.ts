/**
 * The OpenAPI description of accounts and access: sign-up and login (as the appr client and
 * Quay speak them), tokens, organisations, robots, namespace limits and audit, and package
 * visibility. Merged into the document's paths, schemas and security schemes.
 */
import { PACKAGE_NAME_PATTERN, ROBOT_NAME_PATTERN } from '@wharf/domain';
import { body, errorAnswer, errorsFrom, ok, path, ref } from './openapi-builders';

const ERRORS: Record<number, string> = {
  400: 'Invalid request (invalid-usage, invalid-name)',
  401: 'No valid credentials (unauthorized-access); WWW-Authenticate: Basic',
  403: 'The caller lacks the role (forbidden)',
  404: 'No such account, member, robot or token (account-not-found)',
  409: 'The name is taken (account-exists)',
  429: 'Too many requests (rate-limited), or the password failure budget of the account is spent; see Retry-After',
  503: 'Too many password checks waiting (service-unavailable); see Retry-After',
};
const errors = errorsFrom(ERRORS);

const namespace = path('namespace', 'A user or organisation name', PACKAGE_NAME_PATTERN);
const user = path('user', 'A user name', PACKAGE_NAME_PATTERN);
const robot = path('robot', 'The robot short name (its account is <org>+<robot>)', ROBOT_NAME_PATTERN);
const role = { type: 'string', enum: ['read', 'write', 'admin'] };
const nullableInt = { type: ['integer', 'null'], minimum: 1 };
const str = { type: 'string' };
const EXPIRES_IN = {
  type: ['integer', 'null'],
  minimum: 0,
  description: 'Lifetime in seconds (60 to ten years); null or 0: never expires; absent: WHARF_TOKEN_TTL_SECONDS',
};

export const ACCOUNT_PATHS = {
  '/api/v1/users': {
    post: {
      operationId: 'signUp',
      description:
        'Creates a user (who owns the namespace of the same name) and returns a token; 403 when sign-up is turned off (WHARF_SIGNUP=false).',
      requestBody: body(ref('UserCredentials')),
      responses: {
        201: ok('Created, with a token', {
          type: 'object',
          required: ['username', 'token'],
          properties: { username: str, token: str },
        }),
        ...errors(400, 403, 409, 429, 503),
      },
    },
  },
  '/api/v1/users/login': {
    post: {
      operationId: 'login',
      description:
        "Quay's login: a new token for a username and password. The appr client sends it back verbatim in Authorization. Past WHARF_FAILED_LOGINS_PER_MINUTE wrong passwords for the account, every password attempt (right or wrong, here or in Basic) answers 429 until the budget refills.",
      requestBody: body(ref('UserCredentials')),
      responses: {
        200: ok('A new token', { type: 'object', required: ['token'], properties: { token: str } }),
        ...errors(400, 401, 429, 503),
      },
    },
  },
  '/api/v1/user': {
    get: {
      operationId: 'whoami',
      responses: {
        200: ok('The caller', {
          type: 'object',
          properties: {
            username: str,
            site_admin: { type: 'boolean' },
            organizations: { type: 'array', items: { type: 'object', properties: { name: str, role } } },
          },
        }),
        ...errors(401, 403),
      },
    },
  },
  '/api/v1/user/password': {
    put: {
      operationId: 'changePassword',
      description:
        'Needs the current password whatever the credentials (400 without it, 401 when wrong, 429 while the failure budget is spent). Revokes every token of the account; the answer carries the one that works afterwards.',
      requestBody: body({
        type: 'object',
        required: ['password', 'current_password'],
        properties: { password: { type: 'string', minLength: 8 }, current_password: str },
      }),
      responses: {
        200: ok('Changed', { type: 'object', required: ['status', 'token'], properties: { status: str, token: str } }),
        ...errors(400, 401, 403, 429, 503),
      },
    },
  },
  '/api/v1/user/tokens': {
    get: {
      operationId: 'listTokens',
      responses: {
        200: ok("The caller's tokens (never their secrets)", { type: 'array', items: ref('Token') }),
        ...errors(401, 403),
      },
    },
    post: {
      operationId: 'createToken',
      description:
        'A caller authenticated by a token gets a token that expires no later than that token (a longer expires_in is cut, see expires_at); asking such a caller for a token that never expires is 403.',
      requestBody: body({ type: 'object', properties: { label: str, expires_in: EXPIRES_IN } }),
      responses: {
        201: ok('The token, shown this once', {
          allOf: [ref('Token'), { type: 'object', required: ['token'], properties: { token: str } }],
        }),
        ...errors(400, 401, 403),
      },
    },
  },
  '/api/v1/user/tokens/{tokenId}': {
    delete: {
      operationId: 'revokeToken',
      parameters: [path('tokenId', 'The token id')],
      responses: { 200: ok('Revoked', { type: 'object' }), ...errors(401, 403, 404) },
    },
  },
  '/api/v1/organizations': {
    post: {
      operationId: 'createOrganization',
      requestBody: body({ type: 'object', required: ['name'], properties: { name: str } }),
      responses: { 201: ok('Created; the caller is its admin', ref('Organization')), ...errors(400, 401, 403, 409) },
    },
  },
  '/api/v1/organizations/{namespace}': {
    get: {
      operationId: 'showOrganization',
      parameters: [namespace],
      responses: { 200: ok('Members and robots (read role)', ref('Organization')), ...errors(401, 403, 404) },
    },
  },
  '/api/v1/organizations/{namespace}/members/{user}': {
    put: {
      operationId: 'setMemberRole',
      parameters: [namespace, user],
      requestBody: body({ type: 'object', required: ['role'], properties: { role } }),
      responses: { 200: ok('The organisation', ref('Organization')), ...errors(400, 401, 403, 404) },
    },
    delete: {
      operationId: 'removeMember',
      parameters: [namespace, user],
      responses: { 200: ok('The organisation', ref('Organization')), ...errors(400, 401, 403, 404) },
    },
  },
  '/api/v1/organizations/{namespace}/robots/{robot}': {
    put: {
      operationId: 'setRobot',
      description:
        'Creates the robot with a first token (returned once; expiry as for robot tokens), or changes its role.',
      parameters: [namespace, robot],
      requestBody: body({ type: 'object', required: ['role'], properties: { role, expires_in: EXPIRES_IN } }),
      responses: {
        200: ok('The robot', {
          type: 'object',
          properties: { name: str, role, token: str, token_id: str, expires_at: { type: ['string', 'null'] } },
        }),
        ...errors(400, 401, 403, 404),
      },
    },
    delete: {
      operationId: 'deleteRobot',
      parameters: [namespace, robot],
      responses: { 200: ok('Deleted with its tokens', { type: 'object' }), ...errors(400, 401, 403, 404) },
    },
  },
  '/api/v1/organizations/{namespace}/robots/{robot}/tokens': {
    get: {
      operationId: 'listRobotTokens',
      parameters: [namespace, robot],
      responses: {
        200: ok("The robot's tokens (never their secrets; admin role)", { type: 'array', items: ref('Token') }),
        ...errors(401, 403, 404),
      },
    },
    post: {
      operationId: 'createRobotToken',
      description:
        'Expiry as for user tokens: expires_in, else WHARF_TOKEN_TTL_SECONDS, never beyond the creating token.',
      parameters: [namespace, robot],
      requestBody: body({ type: 'object', properties: { label: str, expires_in: EXPIRES_IN } }),
      responses: {
        201: ok('A new token for the robot, shown this once', {
          allOf: [ref('Token'), { type: 'object', required: ['name', 'token'], properties: { name: str, token: str } }],
        }),
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/api/v1/organizations/{namespace}/robots/{robot}/tokens/{tokenId}': {
    delete: {
      operationId: 'revokeRobotToken',
      parameters: [namespace, robot, path('tokenId', 'The token id')],
      responses: { 200: ok('Revoked', { type: 'object' }), ...errors(401, 403, 404) },
    },
  },
  '/api/v1/namespaces/{namespace}/limits': {
    get: {
      operationId: 'showLimits',
      parameters: [namespace],
      responses: { 200: ok('The limits (null: the registry default)', ref('Limits')), ...errors(401, 403, 404) },
    },
    put: {
      operationId: 'setLimits',
      description: 'Site admins only.',
      parameters: [namespace],
      requestBody: body(ref('Limits')),
      responses: { 200: ok('The limits', ref('Limits')), ...errors(400, 401, 403, 404) },
    },
  },
  '/api/v1/namespaces/{namespace}/audit': {
    get: {
      operationId: 'audit',
      description: "The namespace's account events, newest first (admin role); hashes are left out.",
      parameters: [
        namespace,
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
        { name: 'before', in: 'query', schema: { type: 'integer', minimum: 1 } },
      ],
      responses: { 200: ok('Events', { type: 'array', items: ref('AuditEntry') }), ...errors(400, 401, 403) },
    },
  },
  '/api/v1/packages/{namespace}/{package}/visibility': {
    put: {
      operationId: 'setVisibility',
      parameters: [namespace, path('package', 'Package name', PACKAGE_NAME_PATTERN)],
      requestBody: body({
        type: 'object',
        required: ['visibility'],
        properties: { visibility: { type: 'string', enum: ['public', 'private'] } },
      }),
      responses: {
        200: ok('The visibility now', { type: 'object', properties: { package: str, visibility: str } }),
        ...errors(400, 401, 403),
        404: errorAnswer('No such package (package-not-found)'),
      },
    },
  },
};

export const ACCOUNT_SCHEMAS = {
  UserCredentials: {
    type: 'object',
    required: ['user'],
    properties: {
      user: {
        type: 'object',
        required: ['username', 'password'],
        properties: { username: str, password: { type: 'string', minLength: 8 }, email: str },
      },
    },
  },
  Token: {
    type: 'object',
    required: ['id', 'label', 'created_at', 'expires_at', 'last_used_at'],
    properties: {
      id: str,
      label: str,
      created_at: str,
      expires_at: { type: ['string', 'null'] },
      last_used_at: {
        type: ['string', 'null'],
        description:
          'When the token last authenticated a request (null: never). Each gateway writes the tokens used every WHARF_TOKEN_USE_INTERVAL_SECONDS; reading a token list writes its own first, so precision is that interval across gateways.',
      },
    },
  },
  Organization: {
    type: 'object',
    properties: {
      name: str,
      created_at: str,
      members: { type: 'array', items: { type: 'object', properties: { user: str, role } } },
      robots: {
        type: 'array',
        items: { type: 'object', properties: { name: str, role, tokens: { type: 'array', items: ref('Token') } } },
      },
    },
  },
  Limits: {
    type: 'object',
    properties: {
      max_blob_bytes: nullableInt,
      max_storage_bytes: nullableInt,
      requests_per_minute: nullableInt,
      allow_overwrites: { type: ['boolean', 'null'], description: 'false: forced pushes get 409 like any other' },
    },
  },
  AuditEntry: {
    type: 'object',
    properties: { version: { type: 'integer' }, type: str, actor: str, occurred_at: str, data: { type: 'object' } },
  },
};

/** How credentials travel: the token verbatim (the appr client), Bearer, or Basic (Helm, CI). */
export const SECURITY_SCHEMES = {
  token: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'A Wharf token, verbatim, as the appr client sends it after login',
  },
  bearer: { type: 'http', scheme: 'bearer' },
  basic: { type: 'http', scheme: 'basic', description: 'user:password, user:token, or org+robot:token' },
};

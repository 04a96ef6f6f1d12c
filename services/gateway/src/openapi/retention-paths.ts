/**
 * The OpenAPI description of a namespace's retention policies, their dry run and an on-demand
 * run (docs/architecture.md: Retention). Merged into the document's paths and schemas.
 */
import { MAX_KEEP_DAYS, MAX_KEEP_LAST, PACKAGE_NAME_PATTERN } from '@wharf/domain';
import { errorsFrom, json, ok, ref } from './openapi-builders';

const ERRORS: Record<number, string> = {
  400: 'Invalid request (invalid-usage, invalid-name); nothing is written',
  401: 'No valid credentials (unauthorized-access)',
  403: 'The caller is not an admin of the namespace (forbidden)',
  404: 'No such namespace (account-not-found) or policy (retention-policy-not-found)',
  409: 'A writer conflict ended the run (resource-in-use); what it deleted before is audited, run it again',
};
const errors = errorsFrom(ERRORS);
const namespace = {
  name: 'namespace',
  in: 'path',
  required: true,
  description: 'A user or organisation name',
  schema: { type: 'string', pattern: PACKAGE_NAME_PATTERN },
};
const id = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The policy id, chosen by the admin',
  schema: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$' },
};
const R = '/api/v1/namespaces/{namespace}/retention';
const nullableInt = (minimum: number, maximum: number) => ({ type: ['integer', 'null'], minimum, maximum });

const SITE_ERRORS = errorsFrom({
  400: 'Invalid settings (invalid-usage naming the field); nothing is written',
  401: 'No valid credentials (unauthorized-access)',
  403: 'The caller is not a site admin (forbidden)',
  404: 'No default in force to delete (retention-policy-not-found)',
});

export const RETENTION_PATHS = {
  '/api/v1/retention/default': {
    get: {
      operationId: 'getSiteRetentionDefault',
      description:
        "The site's default policy, run as 'site-default' in every namespace without a policy of its own, and where it comes from: 'api' (set here), 'configuration' (WHARF_RETENTION_DEFAULT_POLICY, until one is set or deleted here) or 'none'. Site admins only.",
      responses: { 200: ok("The site's default", ref('SiteRetentionDefault')), ...SITE_ERRORS(401, 403) },
    },
    put: {
      operationId: 'setSiteRetentionDefault',
      description:
        "Sets or replaces the site's default; from then on it takes the configuration's place. Site admins only; recorded with its actor.",
      requestBody: { required: true, content: json(ref('RetentionSettings')) },
      responses: { 200: ok("The site's default", ref('SiteRetentionDefault')), ...SITE_ERRORS(400, 401, 403) },
    },
    delete: {
      operationId: 'deleteSiteRetentionDefault',
      description:
        "Deletes the default set here: no default runs from then on, the configuration's included. Site admins only.",
      responses: {
        200: ok("The site's default (none)", ref('SiteRetentionDefault')),
        ...SITE_ERRORS(401, 403, 404),
      },
    },
  },
  [R]: {
    get: {
      operationId: 'listRetentionPolicies',
      parameters: [namespace],
      responses: {
        200: ok("The namespace's policies, by id", { type: 'array', items: ref('RetentionPolicy') }),
        ...errors(401, 403, 404),
      },
    },
  },
  [`${R}/preview`]: {
    get: {
      operationId: 'previewRetention',
      description:
        'The dry run: every manifest a run would delete now, with the policy that deletes it. Deletes nothing.',
      parameters: [namespace],
      responses: { 200: ok('What a run would delete', ref('RetentionRun')), ...errors(401, 403, 404) },
    },
  },
  [`${R}/run`]: {
    post: {
      operationId: 'runRetention',
      description:
        "Runs the namespace's policies now, as the schedule does: ordinary deletes with the reason (retention, the policy), recorded in the audit trail.",
      parameters: [namespace],
      responses: {
        200: ok('What the run deleted, and what it skipped with why', ref('RetentionRun')),
        ...errors(401, 403, 404, 409),
      },
    },
  },
  [`${R}/policies/{id}`]: {
    get: {
      operationId: 'getRetentionPolicy',
      parameters: [namespace, id],
      responses: { 200: ok('The policy', ref('RetentionPolicy')), ...errors(400, 401, 403, 404) },
    },
    put: {
      operationId: 'setRetentionPolicy',
      description:
        'Creates the policy or replaces its settings (at most 20 per namespace). Admins of the namespace only.',
      parameters: [namespace, id],
      requestBody: { required: true, content: json(ref('RetentionSettings')) },
      responses: { 200: ok('Set', ref('RetentionPolicy')), ...errors(400, 401, 403, 404) },
    },
    delete: {
      operationId: 'deleteRetentionPolicy',
      parameters: [namespace, id],
      responses: {
        200: ok('Deleted', { type: 'object', properties: { status: { type: 'string' } } }),
        ...errors(400, 401, 403, 404),
      },
    },
  },
};

const settings = {
  package: {
    type: ['string', 'null'],
    pattern: '^[A-Za-z0-9._\\-*?]{1,128}$',
    description: "Package names the policy covers ('*' any run, '?' one character); absent or null: every package",
  },
  keep_last: { ...nullableInt(0, MAX_KEEP_LAST), description: 'Keep the N highest releases by SemVer precedence' },
  keep_pushed_within_days: {
    ...nullableInt(1, MAX_KEEP_DAYS),
    description: 'Keep releases pushed within this many days',
  },
  keep_pulled_within_days: {
    ...nullableInt(1, MAX_KEEP_DAYS),
    description:
      'Keep releases pulled (appr or Helm) within this many days; pulls are recorded per gateway every WHARF_PULL_RECORD_INTERVAL_SECONDS',
  },
  keep_channel_releases: {
    type: 'string',
    enum: ['current', 'all'],
    default: 'current',
    description: "A channel's current release is always kept; 'all': every release on a channel too",
  },
  prereleases: {
    type: 'string',
    enum: ['count', 'keep', 'drop'],
    default: 'count',
    description:
      "'count': like any release; 'keep': never deleted, not counted in keep_last; 'drop': deleted unless on a channel as above",
  },
};

const deletion = {
  type: 'object',
  required: ['package', 'release', 'media_type', 'policy'],
  properties: {
    package: { type: 'string' },
    release: { type: 'string' },
    media_type: { type: 'string' },
    policy: { type: 'string' },
  },
};

export const RETENTION_SCHEMAS = {
  RetentionSettings: {
    type: 'object',
    additionalProperties: false,
    description: 'At least one of keep_last, keep_pushed_within_days and keep_pulled_within_days, not null.',
    anyOf: [
      { required: ['keep_last'], properties: { keep_last: { type: 'integer' } } },
      { required: ['keep_pushed_within_days'], properties: { keep_pushed_within_days: { type: 'integer' } } },
      { required: ['keep_pulled_within_days'], properties: { keep_pulled_within_days: { type: 'integer' } } },
    ],
    properties: settings,
  },
  RetentionPolicy: {
    type: 'object',
    required: ['id', ...Object.keys(settings), 'created_at', 'updated_at'],
    properties: {
      id: { type: 'string' },
      ...settings,
      created_at: { type: 'string' },
      updated_at: { type: 'string' },
    },
  },
  SiteRetentionDefault: {
    type: 'object',
    required: ['source', 'policy'],
    properties: {
      source: { type: 'string', enum: ['api', 'configuration', 'none'] },
      policy: { oneOf: [ref('RetentionPolicy'), { type: 'null' }] },
    },
  },
  RetentionRun: {
    type: 'object',
    required: ['dry_run', 'deleted', 'skipped', 'held'],
    properties: {
      dry_run: { type: 'boolean' },
      deleted: { type: 'array', items: deletion },
      held: {
        type: 'array',
        description:
          "What keep_pulled_within_days keeps now only by its grace (a release counts as used when pushed, and when pull records began): each goes at 'until' unless pulled before, under the policy named.",
        items: {
          ...deletion,
          required: [...deletion.required, 'until'],
          properties: { ...deletion.properties, until: { type: 'string', format: 'date-time' } },
        },
      },
      skipped: {
        type: 'array',
        description:
          "What a run planned and did not delete: 'gone' (another delete removed it first), 'superseded' (its release changed since the plan: pushed again, or made a channel's current release). A dry run skips none.",
        items: {
          ...deletion,
          required: [...deletion.required, 'reason', 'message'],
          properties: {
            ...deletion.properties,
            reason: { type: 'string', enum: ['gone', 'superseded'] },
            message: { type: 'string' },
          },
        },
      },
    },
  },
};

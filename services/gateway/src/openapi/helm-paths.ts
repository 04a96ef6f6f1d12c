/**
 * The OpenAPI description of the Helm surface: a chart repository per namespace (/helm/{ns})
 * and the ChartMuseum API over the same packages (/api/{ns}/charts, and /helm/api/{ns}/charts
 * as ChartMuseum under the context path /helm). Merged into the document's paths and schemas.
 */
import { PACKAGE_NAME_PATTERN } from '@wharf/domain';
import { errorAnswer, ok, path, ref } from './openapi-builders';

const namespace = path('namespace', 'The namespace: one chart repository', PACKAGE_NAME_PATTERN);
const chartName = path('name', 'Chart name (the package name)', PACKAGE_NAME_PATTERN);
const chartVersion = path('version', 'Chart version (the release, strict SemVer)');
const E400 = { 400: errorAnswer('Invalid request (invalid-usage, invalid-name, invalid-chart, invalid-blob)') };
const E404 = { 404: errorAnswer('No such chart or version (package-not-found)') };

const indexGet = (operationId: string) => ({
  get: {
    operationId,
    description:
      "Helm's index file for the namespace, built from the event log (never from storage). ETag + If-None-Match → 304; gzip when Accept-Encoding asks; JSON for index.json or Accept: application/json.",
    parameters: [
      namespace,
      {
        name: 'latest',
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 1, maximum: 10000 },
        description: 'Only the N highest versions of each chart',
      },
      {
        name: 'window',
        in: 'query',
        required: false,
        schema: { type: 'string', pattern: '^\\d{1,6}[mhd]$' },
        description: "Only versions created in the last n minutes/hours/days (plus each chart's highest)",
      },
      {
        name: 'since',
        in: 'query',
        required: false,
        schema: { type: 'string', format: 'date-time' },
        description: "Only versions created at or after this instant (plus each chart's highest)",
      },
    ],
    responses: {
      200: {
        description: 'The index',
        content: {
          'application/x-yaml': { schema: ref('HelmIndex') },
          'application/json': { schema: ref('HelmIndex') },
        },
      },
      304: { description: 'Not modified (If-None-Match matched the ETag)' },
      ...E400,
    },
  },
});

const chartMuseumCharts = {
  get: {
    operationId: 'chartMuseumListCharts',
    parameters: [namespace],
    responses: {
      200: ok('Every chart, versions highest first', {
        type: 'object',
        additionalProperties: { type: 'array', items: ref('HelmChartVersion') },
      }),
      ...E400,
    },
  },
  post: {
    operationId: 'chartMuseumUpload',
    description:
      'Upload a chart: the .tgz as the raw body, or multipart/form-data with fields "chart" and optionally "prov" (a provenance file naming the chart\'s sha256). The package and release come from Chart.yaml. ?force replaces an existing version.',
    parameters: [
      namespace,
      { name: 'force', in: 'query', required: false, schema: { type: 'string' }, allowEmptyValue: true },
    ],
    requestBody: {
      required: true,
      content: {
        'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
        'multipart/form-data': {
          schema: {
            type: 'object',
            properties: { chart: { type: 'string', format: 'binary' }, prov: { type: 'string', format: 'binary' } },
            required: ['chart'],
          },
        },
      },
    },
    responses: {
      201: ok('Stored', { type: 'object', required: ['saved'], properties: { saved: { const: true } } }),
      ...E400,
      409: errorAnswer('The version exists (package-exists)'),
      413: errorAnswer('Too large (payload-too-large, archive-too-large)'),
      422: errorAnswer('Unsafe archive (unsafe-archive)'),
      503: errorAnswer('A backing store is unavailable'),
    },
  },
};

const chartMuseumChart = {
  get: {
    operationId: 'chartMuseumChartVersions',
    parameters: [namespace, chartName],
    responses: {
      200: ok("The chart's versions, highest first", { type: 'array', items: ref('HelmChartVersion') }),
      ...E400,
      ...E404,
    },
  },
};

const chartMuseumChartVersion = {
  get: {
    operationId: 'chartMuseumChartVersion',
    parameters: [namespace, chartName, chartVersion],
    responses: { 200: ok('One chart version', ref('HelmChartVersion')), ...E400, ...E404 },
  },
  delete: {
    operationId: 'chartMuseumDelete',
    description: 'Deletes the helm release of the package (the same as the appr delete).',
    parameters: [namespace, chartName, chartVersion],
    responses: {
      200: ok('Deleted', { type: 'object', required: ['deleted'], properties: { deleted: { const: true } } }),
      ...E400,
      ...E404,
      422: errorAnswer('Not a SemVer version (invalid-release)'),
      503: errorAnswer('A backing store is unavailable'),
    },
  },
};

const withId = <T extends Record<string, { operationId: string }>>(ops: T, suffix: string): T =>
  Object.fromEntries(
    Object.entries(ops).map(([method, op]) => [method, { ...op, operationId: op.operationId + suffix }]),
  ) as T;

export const HELM_PATHS = {
  '/helm/{namespace}/index.yaml': indexGet('helmIndex'),
  '/helm/{namespace}/index.json': indexGet('helmIndexJson'),
  '/helm/{namespace}/charts/{file}': {
    get: {
      operationId: 'helmChartFile',
      description:
        'A chart archive (<name>-<version>.tgz: the bytes appr pull returns) or its provenance file (<name>-<version>.tgz.prov).',
      parameters: [namespace, path('file', '<name>-<version>.tgz or <name>-<version>.tgz.prov')],
      responses: {
        200: {
          description: 'The file',
          content: {
            'application/x-gzip': { schema: { type: 'string', format: 'binary' } },
            'application/pgp-signature': { schema: { type: 'string' } },
          },
        },
        ...E400,
        ...E404,
      },
    },
  },
  '/api/{namespace}/charts': chartMuseumCharts,
  '/api/{namespace}/charts/{name}': chartMuseumChart,
  '/api/{namespace}/charts/{name}/{version}': chartMuseumChartVersion,
  '/helm/api/{namespace}/charts': withId(chartMuseumCharts, 'UnderHelm'),
  '/helm/api/{namespace}/charts/{name}': withId(chartMuseumChart, 'UnderHelm'),
  '/helm/api/{namespace}/charts/{name}/{version}': withId(chartMuseumChartVersion, 'UnderHelm'),
};

const str = { type: 'string' };

export const HELM_SCHEMAS = {
  HelmChartVersion: {
    type: 'object',
    description:
      'Chart.yaml metadata (name = package, version = release) plus urls, created and digest (sha256 of the .tgz)',
    required: ['apiVersion', 'name', 'version', 'urls', 'created', 'digest'],
    // `created` and `generated` are RFC 3339 instants, which a YAML reader may load as timestamps.
    properties: {
      apiVersion: str,
      name: str,
      version: str,
      urls: { type: 'array', items: str },
      created: { description: 'RFC 3339' },
      digest: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    },
  },
  HelmIndex: {
    type: 'object',
    required: ['apiVersion', 'entries', 'generated', 'serverInfo'],
    properties: {
      apiVersion: { const: 'v1' },
      entries: { type: 'object', additionalProperties: { type: 'array', items: ref('HelmChartVersion') } },
      generated: { description: 'RFC 3339' },
      serverInfo: { type: 'object', properties: { contextPath: str } },
    },
  },
};

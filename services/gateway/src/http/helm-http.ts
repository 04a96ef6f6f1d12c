import { pathOf } from '@wharf/http';
/**
 * HTTP details of the Helm repository routes: which index format a request asks for, the size
 * controls in its query string, the files of a chart upload, the ChartMuseum context path it
 * reached us under, and the conditional (ETag / If-None-Match → 304) and compressed
 * (Accept-Encoding: gzip) responses.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChartIndexQuery, InvalidUsageError } from '@wharf/domain';
import type { RenderedIndex } from '../use-cases/chart-index-cache';
import type { ChartUploadFiles } from '../use-cases/chart-museum.use-cases';
import type { IndexFormat } from '../use-cases/helm-repository.use-cases';
import { multipartBoundary, parseMultipartForm } from './multipart-form';
import { mergeValues, optionalInt, optionalString } from './request-values';

const MAX_LATEST = 10_000;
const WINDOW = /^(\d{1,6})([mhd])$/;
const WINDOW_UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `index.json`, or `index.yaml` asked for with `Accept: application/json`: JSON (Helm 3 reads either body). */
export function indexFormat(request: FastifyRequest): IndexFormat {
  const path = pathOf(request.url);
  if (path.replace(/\/+$/, '').endsWith('/index.json')) return 'json';
  const accept = String(request.headers.accept ?? '');
  return /\bapplication\/json\b/i.test(accept) && !/yaml/i.test(accept) ? 'json' : 'yaml';
}

/**
 * `latest=N`: the N highest versions of each chart. `window=<n>(m|h|d)`: versions created in the
 * last n minutes, hours or days (the cut-off rounded down to the minute, so responses stay
 * cacheable), plus each chart's highest version. `since=<RFC 3339 instant>`: the same with a fixed
 * cut-off. Helm keeps a repository URL's query string when it fetches the index, so
 * `helm repo add big https://host/helm/big?latest=5` works.
 */
export function indexQuery(query: unknown, now: Date = new Date()): ChartIndexQuery {
  const values = mergeValues(query, {});
  const result: ChartIndexQuery = {};
  const latest = optionalInt(values, 'latest', 1, MAX_LATEST);
  if (latest !== undefined) result.latest = latest;
  const cutoffs: number[] = [];
  const window = optionalString(values, 'window');
  if (window !== undefined && window !== '') {
    const match = WINDOW.exec(window);
    if (!match)
      throw new InvalidUsageError("'window' must be a number followed by m, h or d (e.g. 30d)", { field: 'window' });
    const cutoff = now.getTime() - Number(match[1]) * WINDOW_UNIT_MS[match[2] as keyof typeof WINDOW_UNIT_MS];
    cutoffs.push(Math.floor(cutoff / 60_000) * 60_000);
  }
  const since = optionalString(values, 'since');
  if (since !== undefined && since !== '') {
    const parsed = /^\d{4}-\d{2}-\d{2}T/.test(since) ? Date.parse(since) : NaN;
    if (Number.isNaN(parsed))
      throw new InvalidUsageError("'since' must be an RFC 3339 instant (e.g. 2024-01-31T00:00:00Z)", {
        field: 'since',
      });
    cutoffs.push(parsed);
  }
  if (cutoffs.length > 0) result.since = new Date(Math.max(...cutoffs)).toISOString();
  return result;
}

/** ChartMuseum's `?force` is a bare flag; `force=true` is accepted as well, `force=false` is not a force. */
export function isForced(query: unknown): boolean {
  const value = mergeValues(query, {}).force;
  return value !== undefined && value !== 'false' && value !== '0';
}

/**
 * The files of a ChartMuseum upload: the body is the `.tgz`, or a `multipart/form-data` form
 * with a `chart` field and an optional `prov` field, each at most once.
 */
export function chartUploadFiles(contentType: string | undefined, rawBody: unknown): ChartUploadFiles {
  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.alloc(0);
  const boundary = multipartBoundary(contentType);
  if (boundary === null) {
    if (body.length === 0)
      throw new InvalidUsageError('the request has no chart: send the .tgz as the body or as multipart field "chart"', {
        field: 'chart',
      });
    return { chart: body, prov: null };
  }
  const parts = parseMultipartForm(body, boundary);
  const field = (name: string) => {
    const matches = parts.filter((p) => p.name === name);
    if (matches.length > 1)
      throw new InvalidUsageError(`multipart field "${name}" appears more than once`, { field: name });
    return matches[0]?.data ?? null;
  };
  const chart = field('chart');
  if (!chart || chart.length === 0)
    throw new InvalidUsageError('multipart field "chart" is missing or empty', { field: 'chart' });
  return { chart, prov: field('prov') };
}

/**
 * The path prefix before `/<namespace>/index.*` as the client sent it (with the API prefix, if it
 * used one): ChartMuseum's context path, from which cm-push derives `<context>/api/<ns>/charts`.
 */
export function contextPathOf(request: FastifyRequest, namespace: string): string {
  const path = pathOf(request.originalUrl ?? request.url).replace(/\/+$/, '');
  const match = new RegExp(`^(.*)/${escapeRegExp(namespace)}/index\\.(yaml|json)$`).exec(path);
  return match?.[1] ?? '/helm';
}

export function sendIndex(
  request: FastifyRequest,
  reply: FastifyReply,
  rendered: RenderedIndex,
  format: IndexFormat,
): Buffer | string {
  void reply
    .header('etag', rendered.etag)
    .header('cache-control', 'no-cache')
    .header('vary', 'Accept, Accept-Encoding');
  if (etagMatches(String(request.headers['if-none-match'] ?? ''), rendered.etag)) {
    void reply.status(304);
    return '';
  }
  void reply.header(
    'content-type',
    format === 'json' ? 'application/json; charset=utf-8' : 'application/x-yaml; charset=utf-8',
  );
  if (acceptsGzip(String(request.headers['accept-encoding'] ?? ''))) {
    void reply.header('content-encoding', 'gzip');
    return rendered.gzipped();
  }
  return rendered.body;
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/` is ignored; `*` matches. */
export function etagMatches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '') return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

export function acceptsGzip(acceptEncoding: string): boolean {
  return acceptEncoding.split(',').some((part) => {
    const [coding = '', ...params] = part.trim().split(';');
    if (coding.trim().toLowerCase() !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

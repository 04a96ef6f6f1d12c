/**
 * A tiny typed HTTP client for the black-box suites, over Node's global `fetch`.
 *
 * - Paths are sent as given (callers percent-encode path segments themselves), so tests can put
 *   `%2F` or look-alike characters in a segment on purpose.
 * - Redirects are not followed: a route that answers with a redirect instead of serving is a
 *   visible failure, not a silent hop.
 * - `exact()` bypasses the WHATWG URL parser, which would resolve `..` and `%2e%2e` segments
 *   before they reach the server; it is the only way to send such a path verbatim.
 * - Writes (any method but GET/HEAD) hold a lock shared within this process and exclusive
 *   across jest workers, so `exclusively()` can read server-wide counters, make a write and read
 *   them again with no other test file writing in between (see `exclusively`).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseUrl } from './target';

export interface HttpResponse {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text(): string;
  /** Parses the body as JSON; throws with the status and a body excerpt when it is not JSON. */
  json<T = unknown>(): T;
}

export type Query = Record<string, string> | string;

export interface RequestOptions {
  /** A record is form-encoded; a string is appended verbatim after `?`. */
  query?: Query;
  headers?: Record<string, string>;
}

export interface RawRequestOptions extends RequestOptions {
  body?: string | Buffer;
}

export class HttpClient {
  /**
   * @param prefix mount prefix prepended to every path: `/cnr`, or `''` for the bare root.
   * @param base the server's base URL; the server under test (WHARF_URL) by default.
   * @param headers sent with every request (credentials), under the request's own.
   */
  constructor(
    readonly prefix: string = '/cnr',
    readonly base: () => string = baseUrl,
    readonly headers: Record<string, string> = {},
  ) {}

  /** The same client sending these headers too (e.g. `{ authorization: token }`). */
  with(headers: Record<string, string>): HttpClient {
    return new HttpClient(this.prefix, this.base, { ...this.headers, ...headers });
  }

  url(path: string, query?: Query): string {
    const qs = query === undefined ? '' : typeof query === 'string' ? query : new URLSearchParams(query).toString();
    return `${this.base()}${this.prefix}${path}${qs ? `?${qs}` : ''}`;
  }

  get(path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    return this.send('GET', path, options);
  }

  /** Sends `body` as JSON (`Content-Type: application/json`); no body when it is undefined. */
  post(path: string, body?: unknown, options: RequestOptions = {}): Promise<HttpResponse> {
    if (body === undefined) return this.send('POST', path, options);
    return this.send('POST', path, {
      ...options,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...options.headers },
    });
  }

  delete(path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    return this.send('DELETE', path, options);
  }

  /** Sends `body` as JSON. */
  put(path: string, body: unknown, options: RequestOptions = {}): Promise<HttpResponse> {
    return this.send('PUT', path, {
      ...options,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...options.headers },
    });
  }

  /** Any method, raw body bytes and headers exactly as given (for malformed JSON and the like). */
  send(method: string, path: string, options: RawRequestOptions = {}): Promise<HttpResponse> {
    return guarded(method, async () => {
      const res = await fetch(this.url(path, options.query), {
        method,
        headers: { ...this.headers, ...options.headers },
        body: options.body,
        redirect: 'manual',
      });
      return toResponse(res.status, res.headers, Buffer.from(await res.arrayBuffer()));
    });
  }

  /** Sends the request line path byte for byte (no `..` resolution, no re-encoding). */
  exact(method: string, path: string, options: RawRequestOptions = {}): Promise<HttpResponse> {
    return guarded(method, () => this.sendExact(method, path, options));
  }

  private sendExact(method: string, path: string, options: RawRequestOptions): Promise<HttpResponse> {
    const base = new URL(this.base());
    const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
    const qs =
      options.query === undefined
        ? ''
        : typeof options.query === 'string'
          ? options.query
          : new URLSearchParams(options.query).toString();
    return new Promise((resolve, reject) => {
      const req = send(
        {
          host: base.hostname,
          port: base.port || undefined,
          method,
          path: `${base.pathname.replace(/\/+$/, '')}${this.prefix}${path}${qs ? `?${qs}` : ''}`,
          headers: { ...this.headers, ...options.headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(toResponse(res.statusCode ?? 0, toHeaders(res.headers), Buffer.concat(chunks))));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }
}

/**
 * Runs `fn` while no other jest worker sends writes to the same server through this client
 * (writes from this process go on, and so do reads). Suites use it to check server-wide
 * counters around a write, e.g. "a refused push changes no stats". Writers that do not use this
 * client (another process, the server's own background work) are not held back.
 */
export async function exclusively<T>(fn: () => Promise<T>): Promise<T> {
  holders += 1;
  try {
    acquired ??= acquireLockDir(lockPath());
    await acquired;
    return await fn();
  } finally {
    holders -= 1;
    if (holders === 0) {
      acquired = undefined;
      releaseLockDir();
    }
  }
}

function guarded<T>(method: string, fn: () => Promise<T>): Promise<T> {
  return method === 'GET' || method === 'HEAD' ? fn() : exclusively(fn);
}

/** A lock directory: `mkdir` is atomic across processes. A lock older than this is a crashed holder's. */
const STALE_LOCK_MS = 60_000;
/** Calls inside `exclusively` in this process; the lock is taken by the first and released by the last. */
let holders = 0;
let acquired: Promise<void> | undefined;
/** The lock directory this process holds, if any. */
let owned: string | undefined;
process.on('exit', releaseLockDir);

function lockPath(): string {
  return join(tmpdir(), `wharf-e2e-writes-${createHash('sha256').update(baseUrl()).digest('hex').slice(0, 16)}.lock`);
}

function releaseLockDir(): void {
  if (owned) rmSync(owned, { recursive: true, force: true });
  owned = undefined;
}

async function acquireLockDir(path: string): Promise<void> {
  for (;;) {
    try {
      mkdirSync(path);
      owned = path;
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_LOCK_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Released between mkdir and stat: try again.
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

function toResponse(status: number, headers: Headers, bytes: Buffer): HttpResponse {
  return {
    status,
    headers,
    bytes,
    text: () => bytes.toString('utf8'),
    json<T>(): T {
      try {
        return JSON.parse(bytes.toString('utf8')) as T;
      } catch {
        throw new Error(
          `expected a JSON body, got HTTP ${status} ${headers.get('content-type') ?? ''}: ${excerpt(bytes)}`,
        );
      }
    },
  };
}

function excerpt(bytes: Buffer, max = 300): string {
  const text = bytes.toString('utf8');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Both the mount under `/cnr` (what appr clients call) and the bare root. */
export const cnr = new HttpClient('/cnr');
export const root = new HttpClient('');

/** The error body Wharf renders: the reference's flat fields and Quay's `error` envelope, same content. */
export interface ErrorBody {
  code: string;
  message: string;
  details: Record<string, unknown>;
  error: { code: string; message: string; details: Record<string, unknown> };
}

/**
 * Asserts an error response: status, JSON content type, the code, a non-empty message, object
 * details, and the `error` envelope repeating the same three fields. On a status or code mismatch
 * the failure shows the body, which is what one needs to see first.
 */
export function expectError(res: HttpResponse, status: number, code: string | readonly string[]): ErrorBody {
  const codes = typeof code === 'string' ? [code] : code;
  let body: Partial<ErrorBody> | undefined;
  try {
    body = res.json<Partial<ErrorBody>>();
  } catch {
    body = undefined;
  }
  const received = body?.code;
  const expectedCode = typeof received === 'string' && codes.includes(received) ? received : codes.join(' | ');
  expect({ status: res.status, code: received, body: excerpt(res.bytes) }).toEqual({
    status,
    code: expectedCode,
    body: expect.any(String),
  });
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json\b/);
  const flat = body as ErrorBody;
  expect(Object.keys(flat).sort()).toEqual(['code', 'details', 'error', 'message']);
  expect(flat.message).toEqual(expect.any(String));
  expect(flat.message.length).toBeGreaterThan(0);
  expect(flat.details).toEqual(expect.any(Object));
  expect(Array.isArray(flat.details)).toBe(false);
  expect(flat.error).toEqual({ code: flat.code, message: flat.message, details: flat.details });
  return flat;
}

/**
 * The JSON body of a success response, after asserting its status; on a mismatch the failure
 * shows the start of the body. Typed `any` on purpose: the suites read the fields they check.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expectJson(res: HttpResponse, status: number): any {
  expect({ status: res.status, body: res.text().slice(0, 300) }).toEqual({ status, body: expect.any(String) });
  return res.json();
}

/**
 * The gateway's synchronous transport to the services that own the stores: HTTP/1.1 with
 * keep-alive. A typed error answered by a service is rethrown as the same WireError; a service
 * that cannot be reached, or answers 5xx, is a ServiceUnavailableError naming it, so the client
 * gets 503 with Retry-After, never a hang.
 *
 * JSON calls (every read on the request path: show, list, search, the chart index revision) go
 * through `node:http` (or `node:https`) with a keep-alive agent of this client's own: Node's fetch costs about three
 * times the CPU per call (Request/Response objects, web streams, an AbortSignal each; measured
 * ~1.0-1.3 ms against ~0.3-0.4 ms on this machine, docs/benchmarks.md), and the gateway's share of
 * a distributed show is mostly this call. Streamed bodies (blob bytes) keep fetch (`send`).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { ServiceUnavailableError } from '@wharf/domain';
import { HTTP_STATUS_BY_CODE, WireErrorBody, fromWire } from '@wharf/contracts';

/** Idle pooled connections are closed after this long, well before Fastify's keep-alive timeout (72 s). */
const IDLE_SOCKET_MS = 30_000;

export class InternalHttpClient {
  private readonly base: URL;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(
    private readonly service: string,
    private readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.base = new URL(baseUrl);
    this.transport = this.base.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
  }

  /** The JSON answer of a request whose status is 2xx; typed errors and outages are thrown. */
  async json<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const { status, text } = await this.exchange(method, path, body === undefined ? undefined : JSON.stringify(body));
    if (status >= 200 && status < 300) return JSON.parse(text) as T;
    throw this.failure(status, text);
  }

  /** The raw response of a request whose status is 2xx; typed errors and outages are thrown. */
  async send(
    method: string,
    path: string,
    init: { body?: NonNullable<RequestInit['body']>; headers?: Record<string, string>; duplex?: 'half' } = {},
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl.replace(/\/$/, '') + path, {
        method,
        ...init,
        signal: AbortSignal.timeout(this.timeoutMs),
      } as RequestInit);
    } catch {
      throw new ServiceUnavailableError(`${this.service} service`);
    }
    if (res.ok) return res;
    throw this.failure(res.status, await res.text());
  }

  /** One request and its whole answer, bounded by `timeoutMs`; any transport failure is an outage. */
  private exchange(method: string, path: string, body: string | undefined): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const unavailable = () => reject(new ServiceUnavailableError(`${this.service} service`));
      const req = this.transport.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method,
          path: this.base.pathname.replace(/\/$/, '') + path,
          headers:
            body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res: http.IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', () => {
            clearTimeout(timer);
            unavailable();
          });
        },
      );
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer from the ${this.service} service within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      req.on('error', () => {
        clearTimeout(timer);
        unavailable();
      });
      req.end(body);
    });
  }

  /** A non-2xx answer: Wharf's own typed error crosses over; anything else (a proxy's or framework's 4xx, any 5xx) is an outage. */
  private failure(status: number, text: string): Error {
    if (status < 500) {
      const parsed = safeJson(text) as Partial<WireErrorBody> | null;
      if (parsed && typeof parsed.code === 'string' && Object.hasOwn(HTTP_STATUS_BY_CODE, parsed.code))
        return fromWire(parsed as WireErrorBody);
    }
    return new ServiceUnavailableError(`${this.service} service`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

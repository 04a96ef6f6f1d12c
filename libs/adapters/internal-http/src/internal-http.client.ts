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
 *
 * Replicas: `baseUrl` may list several instances of the service ("http://a:5101,http://b:5101").
 * Calls go round-robin over those not marked down; an instance that cannot be reached is marked
 * down for DOWN_MS, and the call moves to the next one when repeating it is safe: any JSON GET
 * (reads), or any call the instance refused to connect (it received nothing). A streamed body
 * cannot be sent twice, so a `send` that fails is an outage for that call only; the next call
 * goes elsewhere.
 *
 * Each call carries the id of the request it serves (`x-request-id`: the service logs it as its
 * own request id) and, with tracing on, the trace context (`traceparent`).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { ServiceUnavailableError } from '@wharf/domain';
import { HTTP_STATUS_BY_CODE, WireErrorBody, fromWire } from '@wharf/contracts';
import { logContext } from '@wharf/config';
import { injectTraceContext } from '@wharf/tracing';

/** Idle pooled connections are closed after this long, well before Fastify's keep-alive timeout (72 s). */
const IDLE_SOCKET_MS = 30_000;
/** How long an instance that could not be reached is passed over (unless every one is down). */
const DOWN_MS = 2_000;

/** A call that got no answer; `refused`: the connection was refused, so nothing was received. */
class NoAnswer extends Error {
  constructor(readonly refused: boolean) {
    super('no answer');
  }
}

/** One instance of the service, and until when it is passed over. */
interface Instance {
  readonly base: URL;
  downUntil: number;
}

export class InternalHttpClient {
  private readonly instances: Instance[];
  private turn = 0;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(
    private readonly service: string,
    baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.instances = baseUrl.split(',').map((url) => ({ base: new URL(url.trim()), downUntil: 0 }));
    this.transport = this.instances[0]?.base.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
  }

  /** The JSON answer of a request whose status is 2xx; typed errors and outages are thrown. */
  async json<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let answer: { status: number; text: string } | undefined;
    for (let tries = 0; !answer; tries++) {
      const instance = this.pick();
      try {
        answer = await this.exchange(instance.base, method, path, payload);
      } catch (error) {
        instance.downUntil = Date.now() + DOWN_MS;
        const repeatable = method === 'GET' || (error instanceof NoAnswer && error.refused);
        if (!repeatable || tries + 1 >= this.instances.length)
          throw new ServiceUnavailableError(`${this.service} service`);
      }
    }
    const { status, text } = answer;
    if (status >= 200 && status < 300) return JSON.parse(text) as T;
    throw this.failure(status, text);
  }

  /** The raw response of a request whose status is 2xx; typed errors and outages are thrown. */
  async send(
    method: string,
    path: string,
    init: { body?: NonNullable<RequestInit['body']>; headers?: Record<string, string>; duplex?: 'half' } = {},
  ): Promise<Response> {
    let res: Response | undefined;
    for (let tries = 0; !res; tries++) {
      const instance = this.pick();
      try {
        res = await fetch(instance.base.href.replace(/\/$/, '') + path, {
          method,
          ...init,
          headers: { ...callerHeaders(), ...init.headers },
          signal: AbortSignal.timeout(this.timeoutMs),
        } as RequestInit);
      } catch {
        instance.downUntil = Date.now() + DOWN_MS;
        // Without a body the call can go to the next instance; a body may have been read already.
        if (init.body !== undefined || tries + 1 >= this.instances.length)
          throw new ServiceUnavailableError(`${this.service} service`);
      }
    }
    if (res.ok) return res;
    throw this.failure(res.status, await res.text());
  }

  /** The next instance in turn that is not marked down (the next in turn if all are). */
  private pick(): Instance {
    const count = this.instances.length;
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      const index = (this.turn + i) % count;
      const instance = this.instances[index]!;
      if (instance.downUntil <= now) {
        this.turn = index + 1;
        return instance;
      }
    }
    return this.instances[this.turn++ % count]!;
  }

  /** One request and its whole answer, bounded by `timeoutMs`; any transport failure is a NoAnswer. */
  private exchange(
    base: URL,
    method: string,
    path: string,
    body: string | undefined,
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const unavailable = (refused = false) => reject(new NoAnswer(refused));
      const req = this.transport.request(
        {
          agent: this.agent,
          host: base.hostname,
          port: base.port,
          method,
          path: base.pathname.replace(/\/$/, '') + path,
          headers:
            body === undefined
              ? callerHeaders()
              : { ...callerHeaders(), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
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
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        unavailable(error.code === 'ECONNREFUSED');
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

/**
 * What a call carries of the request it serves: its id (`x-request-id`, so the other service's
 * lines have the same one) and, with tracing on, its trace context (`traceparent`).
 */
function callerHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const requestId = logContext.getStore()?.request_id;
  if (requestId) headers['x-request-id'] = requestId;
  injectTraceContext(headers);
  return headers;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * The gateway's synchronous transport to the services that own the stores: HTTP/1.1 with
 * keep-alive (Node's fetch pools connections per origin). A typed error answered by a service
 * is rethrown as the same WireError; a service that cannot be reached, or answers 5xx, is a
 * ServiceUnavailableError naming it, so the client gets 503 with Retry-After, never a hang.
 */
import { ServiceUnavailableError } from '@wharf/domain';
import { HTTP_STATUS_BY_CODE, WireErrorBody, fromWire } from '@wharf/contracts';

export class InternalHttpClient {
  constructor(
    private readonly service: string,
    private readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async json<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return (await res.json()) as T;
  }

  /** The raw response of a request whose status is 2xx; typed errors and outages are thrown. */
  async send(method: string, path: string, init: { body?: NonNullable<RequestInit['body']>; headers?: Record<string, string>; duplex?: 'half' } = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl.replace(/\/$/, '') + path, { method, ...init, signal: AbortSignal.timeout(this.timeoutMs) } as RequestInit);
    } catch {
      throw new ServiceUnavailableError(`${this.service} service`);
    }
    if (res.ok) return res;
    const text = await res.text();
    if (res.status < 500) {
      const parsed = safeJson(text) as Partial<WireErrorBody> | null;
      // Only Wharf's own typed errors cross over; anything else (a proxy's or framework's 4xx) is an outage.
      if (parsed && typeof parsed.code === 'string' && Object.hasOwn(HTTP_STATUS_BY_CODE, parsed.code)) throw fromWire(parsed as WireErrorBody);
    }
    throw new ServiceUnavailableError(`${this.service} service`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

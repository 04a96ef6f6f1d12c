import type { FastifyReply, FastifyRequest } from 'fastify';
import { WharfConfig, loadConfig } from '@wharf/config';
import { ANONYMOUS, RateLimitedError, ServiceUnavailableError, UnauthorizedError } from '@wharf/domain';
import { UiResponder } from './ui-responder';
import { UiSession } from './ui-session';

/** What the responder writes on a reply: status, headers, whether it was sent. */
function reply() {
  const headers: Record<string, unknown> = {};
  const r = {
    statusCode: 200,
    headers,
    sent: undefined as unknown,
    status(code: number) {
      r.statusCode = code;
      return r;
    },
    header(name: string, value: unknown) {
      headers[name.toLowerCase()] = value;
      return r;
    },
    getHeader: (name: string) => headers[name.toLowerCase()],
    send(body?: unknown) {
      r.sent = body ?? null;
      return r;
    },
  };
  return r;
}

function responder(): UiResponder {
  const config: WharfConfig = loadConfig({ WHARF_AUTH_MODE: 'enforced' });
  return new UiResponder(new UiSession(config), config);
}

const request = (method: string) =>
  ({
    method,
    url: '/ui/-/tokens',
    headers: {},
    ip: '192.0.2.1',
    protocol: 'http',
    caller: ANONYMOUS,
  }) as unknown as FastifyRequest;

describe('UiResponder.render', () => {
  it('sends a visitor whose session expired before a form was sent to the login page, never a Basic challenge', async () => {
    for (const method of ['GET', 'POST']) {
      const r = reply();
      await responder().render(request(method), r as unknown as FastifyReply, async () => {
        throw new UnauthorizedError('token expired');
      });
      expect(r.statusCode).toBe(303);
      expect(r.headers['location']).toBe('/ui/-/login');
      expect(r.headers['www-authenticate']).toBeUndefined();
    }
  });

  it('keeps Retry-After on an error page', async () => {
    const r = reply();
    await responder().render(request('GET'), r as unknown as FastifyReply, async () => {
      throw new ServiceUnavailableError('the metadata store', 7);
    });
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.headers['content-security-policy']).toBeDefined();
  });

  it('answers a request the CallerGuard refused for its rate limit with the error page, its status and Retry-After', async () => {
    const r = reply();
    await responder().refused(request('GET'), r as unknown as FastifyReply, new RateLimitedError(12));
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('12');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(String(r.sent)).toContain('<h1>Too many requests</h1>');
  });
});

/**
 * Who is using the UI, and the CSRF check of its forms.
 *
 * The session is an ordinary API token (the one `LogInUseCase` and `SignUpUseCase` issue), kept
 * in an HttpOnly cookie scoped to `/ui` (SameSite=Lax; Secure when the request came over https or
 * WHARF_PUBLIC_URL is https, as behind a TLS-terminating proxy),
 * so the API routes never see it and cannot be driven by a cross-site request with it. A page
 * authenticates it with the gateway's own `Authenticator`, as `Bearer` on the API: an expired or
 * revoked token is an anonymous visitor, and the cookie is cleared. No session store and nothing
 * per process, so any gateway replica serves any page.
 *
 * CSRF: every form carries `_csrf`, the value of a random HttpOnly cookie `wharf_csrf` (a double
 * submit); a POST without the pair is refused (403). A sibling subdomain is the same *site* and
 * may set a cookie for the parent domain, so the pair alone does not prove the form came from
 * Wharf's own pages: a POST is also refused when the browser says it came from elsewhere
 * (`Sec-Fetch-Site` other than `same-origin`, or an `Origin` whose host is not the request's).
 */
import { Inject, Injectable } from '@nestjs/common';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ANONYMOUS, Caller, ForbiddenError, UnauthorizedError } from '@wharf/domain';
import { Authenticator } from '../auth/authenticator';

export const SESSION_COOKIE = 'wharf_session';
export const CSRF_COOKIE = 'wharf_csrf';
export const UI_PATH = '/ui';

export type UiRequest = Pick<FastifyRequest, 'headers' | 'ip' | 'protocol'>;

@Injectable()
export class UiSession {
  constructor(
    private readonly authenticator: Authenticator,
    @Inject(WHARF_CONFIG) private readonly config: Pick<WharfConfig, 'http'>,
  ) {}

  /** The visitor: the session's user, or anonymous (and the stale cookie cleared). */
  async callerOf(request: UiRequest, reply: FastifyReply): Promise<Caller> {
    const token = parseCookies(request.headers.cookie)[SESSION_COOKIE];
    if (!token) return this.authenticator.callerFor(undefined, request.ip);
    try {
      return await this.authenticator.callerFor(`Bearer ${token}`, request.ip);
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      this.end(request, reply);
      return ANONYMOUS;
    }
  }

  begin(request: UiRequest, reply: FastifyReply, token: string): void {
    appendCookie(reply, this.cookie(SESSION_COOKIE, token, request));
  }

  end(request: UiRequest, reply: FastifyReply): void {
    appendCookie(reply, this.cookie(SESSION_COOKIE, '', request, 0));
  }

  private cookie(name: string, value: string, request: UiRequest, maxAge?: number): string {
    const parts = [`${name}=${value}`, `Path=${UI_PATH}`, 'HttpOnly', 'SameSite=Lax'];
    if (request.protocol === 'https' || this.config.http.publicUrl?.startsWith('https:')) parts.push('Secure');
    if (maxAge !== undefined) parts.push(`Max-Age=${maxAge}`);
    return parts.join('; ');
  }

  /** The form token of this visitor, set as a cookie when it has none yet. */
  csrfToken(request: UiRequest, reply: FastifyReply): string {
    const existing = parseCookies(request.headers.cookie)[CSRF_COOKIE];
    if (existing && /^[A-Za-z0-9_-]{32,64}$/.test(existing)) return existing;
    const token = randomBytes(32).toString('base64url');
    appendCookie(reply, this.cookie(CSRF_COOKIE, token, request));
    return token;
  }

  /** Refuses a form POST from another origin, or whose `_csrf` is not the visitor's cookie. */
  assertForm(request: UiRequest, form: URLSearchParams): void {
    if (!fromOwnOrigin(request, this.config.http.publicUrl))
      throw ForbiddenError.because('the form came from another site: open the page on this registry and try again');
    const expected = Buffer.from(parseCookies(request.headers.cookie)[CSRF_COOKIE] ?? '');
    const given = Buffer.from(form.get('_csrf') ?? '');
    if (expected.length === 0 || expected.length !== given.length || !timingSafeEqual(expected, given))
      throw ForbiddenError.because('the form is stale or came from another site: reload the page and try again');
  }
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!(name in cookies)) cookies[name] = part.slice(eq + 1).trim();
  }
  return cookies;
}

/**
 * Whether the browser says the request came from this origin: `Sec-Fetch-Site` (sent by every
 * current browser) is `same-origin`, and an `Origin`, when sent, names the request's own host or
 * WHARF_PUBLIC_URL's (a proxy may forward another Host). A client that sends neither (curl, an
 * old browser) is left to the token pair.
 */
function fromOwnOrigin(request: UiRequest, publicUrl: string | null): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    const host = new URL(origin).host;
    return host === request.headers.host || (publicUrl !== null && host === new URL(publicUrl).host);
  } catch {
    return false;
  }
}

function appendCookie(reply: FastifyReply, value: string): void {
  const current = reply.getHeader('set-cookie');
  const list = current === undefined ? [] : Array.isArray(current) ? current : [String(current)];
  void reply.header('set-cookie', [...list, value]);
}

/**
 * Who is using the UI, and the CSRF check of its forms.
 *
 * The session is an ordinary API token (the one `LogInUseCase` and `SignUpUseCase` issue), kept
 * in an HttpOnly cookie scoped to `/ui` (SameSite=Lax; Secure when the request came over https or
 * WHARF_PUBLIC_URL is https, as behind a TLS-terminating proxy),
 * so the API routes never see it and cannot be driven by a cross-site request with it. The
 * CallerGuard authenticates it on the UI's controllers (`@SessionPages()`, auth/session-cookie.ts)
 * as `Bearer` on the API, with the same rate limits; an expired, revoked or disabled user's token
 * is an anonymous visitor, and the cookie is cleared here. No session store and nothing per
 * process, so any gateway replica serves any page.
 *
 * CSRF: every form carries `_csrf`. A signed-in visitor's is derived from the session token
 * (HMAC-SHA256 keyed by the token), so only pages served to that session know it, and a cookie
 * another site plants cannot stand in for it: a sibling subdomain is the same *site* and may set
 * cookies for the parent domain. A visitor without a session (the log-in and sign-up forms) gets
 * a random HttpOnly cookie `wharf_csrf` whose value the form must repeat (a double submit).
 * Either way a POST is also refused when the browser says it came from elsewhere
 * (`Sec-Fetch-Site` other than `same-origin`, or an `Origin` whose host is not the request's).
 */
import { Inject, Injectable } from '@nestjs/common';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Caller, ForbiddenError } from '@wharf/domain';
import type { RequestWithCaller } from '../auth/caller.guard';
import { SESSION_COOKIE, parseCookies, sessionTokenOf } from '../auth/session-cookie';

export { SESSION_COOKIE, parseCookies };
export const CSRF_COOKIE = 'wharf_csrf';
export const UI_PATH = '/ui';

export type UiRequest = Pick<FastifyRequest, 'headers' | 'ip' | 'protocol'> &
  Pick<RequestWithCaller, 'caller' | 'staleSession'>;

@Injectable()
export class UiSession {
  constructor(@Inject(WHARF_CONFIG) private readonly config: Pick<WharfConfig, 'http'>) {}

  /** The visitor the CallerGuard resolved from the session cookie; a refused session's cookie cleared. */
  callerOf(request: UiRequest, reply: FastifyReply): Caller {
    if (!request.caller) throw new Error('no caller on the request: is the controller marked @SessionPages()?');
    if (request.staleSession) this.end(request, reply);
    return request.caller;
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

  /**
   * The visitor's form token: derived from the session when the page was served to one, else the
   * `wharf_csrf` cookie's value (the cookie set when the visitor has none yet).
   */
  csrfToken(request: UiRequest, reply: FastifyReply): string {
    const session = request.staleSession ? undefined : sessionTokenOf(request.headers);
    if (session !== undefined) return sessionFormToken(session);
    const existing = parseCookies(request.headers.cookie)[CSRF_COOKIE];
    if (existing && /^[A-Za-z0-9_-]{32,64}$/.test(existing)) return existing;
    const token = randomBytes(32).toString('base64url');
    appendCookie(reply, this.cookie(CSRF_COOKIE, token, request));
    return token;
  }

  /**
   * Refuses a form POST from another origin, or whose `_csrf` is not its session's token (the
   * `wharf_csrf` cookie's value when it has no session).
   */
  assertForm(request: UiRequest, form: URLSearchParams): void {
    if (!fromOwnOrigin(request, this.config.http.publicUrl))
      throw ForbiddenError.because('the form came from another site: open the page on this registry and try again');
    const given = Buffer.from(form.get('_csrf') ?? '');
    const matches = (token: string) => {
      const expected = Buffer.from(token);
      return expected.length > 0 && expected.length === given.length && timingSafeEqual(expected, given);
    };
    const session = sessionTokenOf(request.headers);
    // A refused session's visitor is anonymous: the double submit `csrfToken` gave its pages, or the
    // token of a page served while the session held (the caller is anonymous either way).
    const accepted = session !== undefined && !request.staleSession;
    const ok =
      (session !== undefined && matches(sessionFormToken(session))) ||
      (!accepted && matches(parseCookies(request.headers.cookie)[CSRF_COOKIE] ?? ''));
    if (!ok) throw ForbiddenError.because('the form is stale or came from another site: reload the page and try again');
  }
}

/** A session's form token: a MAC of a fixed label under the session token, which only its holder knows. */
function sessionFormToken(session: string): string {
  return createHmac('sha256', session).update('wharf-ui-form').digest('base64url');
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

/**
 * Who is using the UI, and the CSRF check of its forms.
 *
 * The session is an ordinary API token (the one `LogInUseCase` and `SignUpUseCase` issue), kept
 * in an HttpOnly cookie scoped to `/ui` (SameSite=Lax; Secure when the request came over https),
 * so the API routes never see it and cannot be driven by a cross-site request with it. A page
 * authenticates it with the gateway's own `Authenticator`, as `Bearer` on the API: an expired or
 * revoked token is an anonymous visitor, and the cookie is cleared. No session store and nothing
 * per process, so any gateway replica serves any page.
 *
 * CSRF: every form carries `_csrf`, the value of a random HttpOnly cookie `wharf_csrf` (a double
 * submit: another site can neither read nor set it); a POST without the pair is refused (403).
 */
import { Injectable } from '@nestjs/common';
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
  constructor(private readonly authenticator: Authenticator) {}

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
    appendCookie(reply, cookie(SESSION_COOKIE, token, request));
  }

  end(request: UiRequest, reply: FastifyReply): void {
    appendCookie(reply, cookie(SESSION_COOKIE, '', request, 0));
  }

  /** The form token of this visitor, set as a cookie when it has none yet. */
  csrfToken(request: UiRequest, reply: FastifyReply): string {
    const existing = parseCookies(request.headers.cookie)[CSRF_COOKIE];
    if (existing && /^[A-Za-z0-9_-]{32,64}$/.test(existing)) return existing;
    const token = randomBytes(32).toString('base64url');
    appendCookie(reply, cookie(CSRF_COOKIE, token, request));
    return token;
  }

  /** Refuses a form POST whose `_csrf` is not the visitor's cookie. */
  assertForm(request: UiRequest, form: URLSearchParams): void {
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

function cookie(name: string, value: string, request: UiRequest, maxAge?: number): string {
  const parts = [`${name}=${value}`, `Path=${UI_PATH}`, 'HttpOnly', 'SameSite=Lax'];
  if (request.protocol === 'https') parts.push('Secure');
  if (maxAge !== undefined) parts.push(`Max-Age=${maxAge}`);
  return parts.join('; ');
}

function appendCookie(reply: FastifyReply, value: string): void {
  const current = reply.getHeader('set-cookie');
  const list = current === undefined ? [] : Array.isArray(current) ? current : [String(current)];
  void reply.header('set-cookie', [...list, value]);
}

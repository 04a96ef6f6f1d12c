/**
 * The web UI's session, as the CallerGuard reads it: an ordinary API token in the cookie
 * `wharf_session`, honoured only on the controllers marked `@SessionPages()` (the UI's, under
 * `/ui`, where the cookie is scoped). There the cookie is the only credential: an `Authorization`
 * header is ignored, since a browser sends a Basic login it remembers with any request, even one
 * another site started. Every other route ignores the cookie.
 */
import { SetMetadata } from '@nestjs/common';

export const SESSION_COOKIE = 'wharf_session';

/** Metadata key of `@SessionPages()`. */
export const SESSION_PAGES = 'wharf:session-pages';

/** Marks a controller whose callers are resolved from the session cookie (the web UI's). */
export const SessionPages = (): ClassDecorator => SetMetadata(SESSION_PAGES, true);

/**
 * The session token the request's cookies carry, if any. Two `wharf_session` cookies are no
 * session: a sibling subdomain may set one for the parent domain with a longer path, which the
 * browser sends first, to make the visitor act as the planter's account on that page.
 */
export function sessionTokenOf(headers: { cookie?: string }): string | undefined {
  const sent = (headers.cookie ?? '').split(';').filter((part) => part.trim().startsWith(`${SESSION_COOKIE}=`));
  if (sent.length !== 1) return undefined;
  return parseCookies(headers.cookie)[SESSION_COOKIE] || undefined;
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

import type { FastifyReply } from 'fastify';
import { ForbiddenError, UnauthorizedError, type Caller } from '@wharf/domain';
import type { WharfConfig } from '@wharf/config';
import type { Authenticator } from '../auth/authenticator';
import { CSRF_COOKIE, SESSION_COOKIE, UiRequest, UiSession, parseCookies } from './ui-session';

function reply(): FastifyReply & { cookies(): string[] } {
  const headers: Record<string, unknown> = {};
  const r = {
    getHeader: (name: string) => headers[name],
    header: (name: string, value: unknown) => {
      headers[name] = value;
      return r;
    },
    cookies: () => (headers['set-cookie'] as string[] | undefined) ?? [],
  };
  return r as unknown as FastifyReply & { cookies(): string[] };
}

function request(cookie?: string, protocol: 'http' | 'https' = 'http'): UiRequest {
  return { headers: cookie ? { cookie } : {}, ip: '10.0.0.1', protocol };
}

const alice: Caller = {
  kind: 'user',
  name: 'alice',
  siteAdmin: false,
  proof: { by: 'token', tokenId: 't1', expiresAt: null },
};

function session(callerFor: (authorization: string | undefined) => Promise<Caller>, publicUrl: string | null = null) {
  return new UiSession({ callerFor } as unknown as Authenticator, { http: { publicUrl } } as Pick<WharfConfig, 'http'>);
}

describe('UiSession', () => {
  it('authenticates the session cookie as a Bearer token through the Authenticator', async () => {
    const seen: (string | undefined)[] = [];
    const s = session(async (authorization) => {
      seen.push(authorization);
      return alice;
    });
    await expect(s.callerOf(request(`x=1; ${SESSION_COOKIE}=wharf.abc.def.ghi`), reply())).resolves.toBe(alice);
    expect(seen).toEqual(['Bearer wharf.abc.def.ghi']);
  });

  it('treats a refused session token as an anonymous visitor and clears the cookie', async () => {
    const s = session(async () => {
      throw new UnauthorizedError('token expired');
    });
    const r = reply();
    await expect(s.callerOf(request(`${SESSION_COOKIE}=old`), r)).resolves.toEqual({ kind: 'anonymous' });
    expect(r.cookies()).toEqual([`${SESSION_COOKIE}=; Path=/ui; HttpOnly; SameSite=Lax; Max-Age=0`]);
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, scoped to /ui, and Secure over https', () => {
    const s = session(async () => alice);
    const plain = reply();
    s.begin(request(), plain, 'tok');
    expect(plain.cookies()).toEqual([`${SESSION_COOKIE}=tok; Path=/ui; HttpOnly; SameSite=Lax`]);
    const secure = reply();
    s.begin(request(undefined, 'https'), secure, 'tok');
    expect(secure.cookies()).toEqual([`${SESSION_COOKIE}=tok; Path=/ui; HttpOnly; SameSite=Lax; Secure`]);
  });

  it('sets the cookies Secure behind a TLS-terminating proxy: WHARF_PUBLIC_URL is https, the request plain http', () => {
    const r = reply();
    session(async () => alice, 'https://registry.example').begin(request(), r, 'tok');
    expect(r.cookies()).toEqual([`${SESSION_COOKIE}=tok; Path=/ui; HttpOnly; SameSite=Lax; Secure`]);
  });

  it('refuses a form the browser says came from another origin, even with a matching token pair', () => {
    const s = session(async () => alice);
    const token = s.csrfToken(request(), reply());
    const form = new URLSearchParams({ _csrf: token });
    const from = (headers: Record<string, string>) => ({
      ...request(`${CSRF_COOKIE}=${token}`),
      headers: { cookie: `${CSRF_COOKIE}=${token}`, host: 'wharf.example', ...headers },
    });
    expect(() =>
      s.assertForm(from({ 'sec-fetch-site': 'same-origin', origin: 'http://wharf.example' }), form),
    ).not.toThrow();
    expect(() => s.assertForm(from({}), form)).not.toThrow();
    // A sibling subdomain is the same site: it may toss a wharf_csrf cookie for the parent domain.
    expect(() => s.assertForm(from({ 'sec-fetch-site': 'same-site' }), form)).toThrow(ForbiddenError);
    expect(() => s.assertForm(from({ 'sec-fetch-site': 'cross-site' }), form)).toThrow(ForbiddenError);
    expect(() => s.assertForm(from({ origin: 'http://evil.wharf.example' }), form)).toThrow(ForbiddenError);
    expect(() => s.assertForm(from({ origin: 'null' }), form)).toThrow(ForbiddenError);
    // Behind a proxy that forwards another Host, the public URL's origin is Wharf's own.
    const proxied = session(async () => alice, 'https://registry.example');
    const proxiedToken = proxied.csrfToken(request(), reply());
    const viaProxy = {
      ...request(),
      headers: { cookie: `${CSRF_COOKIE}=${proxiedToken}`, host: 'wharf:5000', origin: 'https://registry.example' },
    };
    expect(() => proxied.assertForm(viaProxy, new URLSearchParams({ _csrf: proxiedToken }))).not.toThrow();
  });

  it('gives a visitor one CSRF token (a cookie) and accepts a form only with that same token', () => {
    const s = session(async () => alice);
    const r = reply();
    const token = s.csrfToken(request(), r);
    expect(r.cookies()).toEqual([`${CSRF_COOKIE}=${token}; Path=/ui; HttpOnly; SameSite=Lax`]);
    const withCookie = request(`${CSRF_COOKIE}=${token}`);
    expect(s.csrfToken(withCookie, reply())).toBe(token);
    expect(() => s.assertForm(withCookie, new URLSearchParams({ _csrf: token }))).not.toThrow();
    expect(() => s.assertForm(withCookie, new URLSearchParams({ _csrf: token.replace(/.$/, '_') }))).toThrow(
      ForbiddenError,
    );
    expect(() => s.assertForm(withCookie, new URLSearchParams())).toThrow(ForbiddenError);
    expect(() => s.assertForm(request(), new URLSearchParams({ _csrf: '' }))).toThrow(ForbiddenError);
  });
});

describe('parseCookies', () => {
  it('reads name=value pairs, the first of a repeated name winning', () => {
    expect(parseCookies('a=1; b = 2;c=x=y; a=3; junk')).toEqual({ a: '1', b: '2', c: 'x=y' });
    expect(parseCookies(undefined)).toEqual({});
  });
});

import type { FastifyReply } from 'fastify';
import { ANONYMOUS, ForbiddenError, type Caller } from '@wharf/domain';
import type { WharfConfig } from '@wharf/config';
import { CSRF_COOKIE, SESSION_COOKIE, UiRequest, UiSession } from './ui-session';

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

function request(cookie?: string, protocol: 'http' | 'https' = 'http', caller: Caller = ANONYMOUS): UiRequest {
  return { headers: cookie ? { cookie } : {}, ip: '10.0.0.1', protocol, caller };
}

const alice: Caller = {
  kind: 'user',
  name: 'alice',
  siteAdmin: false,
  proof: { by: 'token', tokenId: 't1', expiresAt: null },
};

function session(publicUrl: string | null = null) {
  return new UiSession({ http: { publicUrl } } as Pick<WharfConfig, 'http'>);
}

describe('UiSession', () => {
  it('gives the visitor the CallerGuard resolved, and clears the cookie of a session it refused', () => {
    const s = session();
    const fine = reply();
    expect(s.callerOf(request(`${SESSION_COOKIE}=tok`, 'http', alice), fine)).toBe(alice);
    expect(fine.cookies()).toEqual([]);
    const stale = reply();
    expect(s.callerOf({ ...request(`${SESSION_COOKIE}=old`), staleSession: true }, stale)).toBe(ANONYMOUS);
    expect(stale.cookies()).toEqual([`${SESSION_COOKIE}=; Path=/ui; HttpOnly; SameSite=Lax; Max-Age=0`]);
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, scoped to /ui, and Secure over https', () => {
    const s = session();
    const plain = reply();
    s.begin(request(), plain, 'tok');
    expect(plain.cookies()).toEqual([`${SESSION_COOKIE}=tok; Path=/ui; HttpOnly; SameSite=Lax`]);
    const secure = reply();
    s.begin(request(undefined, 'https'), secure, 'tok');
    expect(secure.cookies()).toEqual([`${SESSION_COOKIE}=tok; Path=/ui; HttpOnly; SameSite=Lax; Secure`]);
  });

  it('sets the cookies Secure behind a TLS-terminating proxy: WHARF_PUBLIC_URL is https, the request plain http', () => {
    const r = reply();
    session('https://registry.example').begin(request(), r, 'tok');
    expect(r.cookies()).toEqual([`${SESSION_COOKIE}=tok; Path=/ui; HttpOnly; SameSite=Lax; Secure`]);
  });

  it('refuses a form the browser says came from another origin, even with a matching token pair', () => {
    const s = session();
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
    const proxied = session('https://registry.example');
    const proxiedToken = proxied.csrfToken(request(), reply());
    const viaProxy = {
      ...request(),
      headers: { cookie: `${CSRF_COOKIE}=${proxiedToken}`, host: 'wharf:5000', origin: 'https://registry.example' },
    };
    expect(() => proxied.assertForm(viaProxy, new URLSearchParams({ _csrf: proxiedToken }))).not.toThrow();
  });

  it('gives a visitor one CSRF token (a cookie) and accepts a form only with that same token', () => {
    const s = session();
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

  it("ties a signed-in visitor's form token to the session: a planted wharf_csrf cookie and its value are refused", () => {
    const s = session();
    const signedIn = request(`${SESSION_COOKIE}=wharf.alice.session`, 'http', alice);
    const token = s.csrfToken(signedIn, reply());
    expect(() => s.assertForm(signedIn, new URLSearchParams({ _csrf: token }))).not.toThrow();
    // Another session's token, and the double submit a sibling subdomain can plant, are refused.
    const other = s.csrfToken(request(`${SESSION_COOKIE}=wharf.bob.session`, 'http', alice), reply());
    expect(other).not.toBe(token);
    expect(() => s.assertForm(signedIn, new URLSearchParams({ _csrf: other }))).toThrow(ForbiddenError);
    const planted = 'p'.repeat(43);
    const withPlanted = request(`${CSRF_COOKIE}=${planted}; ${SESSION_COOKIE}=wharf.alice.session`, 'http', alice);
    expect(() => s.assertForm(withPlanted, new URLSearchParams({ _csrf: planted }))).toThrow(ForbiddenError);
    // No cookie is set for a session's token: it is derived, not stored.
    const r = reply();
    s.csrfToken(signedIn, r);
    expect(r.cookies()).toEqual([]);
  });

  it('gives a visitor whose session was refused the double-submit token, as any visitor without a session', () => {
    const s = session();
    const stale = { ...request(`${CSRF_COOKIE}=${'c'.repeat(43)}; ${SESSION_COOKIE}=old`), staleSession: true };
    expect(s.csrfToken(stale, reply())).toBe('c'.repeat(43));
    // And its forms are taken with that token (a cookie the browser would not clear must not lock it out).
    expect(() => s.assertForm(stale, new URLSearchParams({ _csrf: 'c'.repeat(43) }))).not.toThrow();
    expect(() => s.assertForm(stale, new URLSearchParams({ _csrf: 'd'.repeat(43) }))).toThrow(ForbiddenError);
  });
});

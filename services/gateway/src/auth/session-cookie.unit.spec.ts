import { SESSION_COOKIE, sessionTokenOf } from './session-cookie';

describe(sessionTokenOf.name, () => {
  it('reads the one session cookie a request carries', () => {
    expect(sessionTokenOf({ cookie: `a=1; ${SESSION_COOKIE}=wharf.alice.tok; b=2` })).toBe('wharf.alice.tok');
    expect(sessionTokenOf({ cookie: 'a=1' })).toBeUndefined();
    expect(sessionTokenOf({})).toBeUndefined();
    expect(sessionTokenOf({ cookie: `${SESSION_COOKIE}=` })).toBeUndefined();
  });

  it('takes two session cookies (one planted for the parent domain by a sibling subdomain) as no session', () => {
    expect(sessionTokenOf({ cookie: `${SESSION_COOKIE}=wharf.mallory.tok; ${SESSION_COOKIE}=wharf.alice.tok` })).toBe(
      undefined,
    );
  });
});

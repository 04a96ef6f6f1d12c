import { SESSION_COOKIE, parseCookies, sessionTokenOf } from './session-cookie';

describe('parseCookies', () => {
  it('reads name=value pairs, the first of a repeated name winning', () => {
    expect(parseCookies('a=1; b = 2;c=x=y; a=3; junk')).toEqual({ a: '1', b: '2', c: 'x=y' });
    expect(parseCookies(undefined)).toEqual({});
  });
});

describe('sessionTokenOf', () => {
  it('reads the session cookie, an empty one being none', () => {
    expect(sessionTokenOf({ cookie: `x=1; ${SESSION_COOKIE}=wharf.abc` })).toBe('wharf.abc');
    expect(sessionTokenOf({ cookie: `${SESSION_COOKIE}=` })).toBeUndefined();
    expect(sessionTokenOf({})).toBeUndefined();
  });
});

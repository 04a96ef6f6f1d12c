import { InvalidUsageError } from '../errors';
import { LOGIN_LABEL } from './account.decider';
import { assertNewPassword, assertTokenLabel, parseTokenLifetime } from './account-inputs';

describe('account inputs', () => {
  it('should take passwords of 8 to 1024 characters, and no other', () => {
    expect(assertNewPassword('x'.repeat(8))).toBe('x'.repeat(8));
    expect(assertNewPassword('x'.repeat(1024))).toHaveLength(1024);
    for (const bad of ['x'.repeat(7), 'x'.repeat(1025), '']) {
      expect(() => assertNewPassword(bad)).toThrow(
        expect.objectContaining({ code: 'invalid-usage', details: { field: 'password' } }),
      );
    }
  });

  it('should take printable labels of at most 100 characters, but not the login label', () => {
    expect(assertTokenLabel('ci deploy #1')).toBe('ci deploy #1');
    expect(assertTokenLabel('x'.repeat(100))).toHaveLength(100);
    for (const bad of ['x'.repeat(101), 'tab\there', 'é', LOGIN_LABEL])
      expect(() => assertTokenLabel(bad)).toThrow(InvalidUsageError);
  });

  it('should read a lifetime: absent is the default, null or 0 never expires, else a minute to ten years', () => {
    expect(parseTokenLifetime(undefined)).toBeUndefined();
    expect(parseTokenLifetime(null)).toBeNull();
    expect(parseTokenLifetime(0)).toBeNull();
    expect(parseTokenLifetime(60)).toBe(60);
    expect(parseTokenLifetime(10 * 365 * 86_400)).toBe(10 * 365 * 86_400);
    for (const bad of [59, 10 * 365 * 86_400 + 1, 60.5, '3600', true, {}]) {
      expect(() => parseTokenLifetime(bad)).toThrow(
        expect.objectContaining({ code: 'invalid-usage', details: { field: 'expires_in' } }),
      );
    }
  });
});

import { sourceAuthorization } from './import-options';
import { UsageError } from './cli/usage-error';

describe('sourceAuthorization', () => {
  const none = { password: null, token: null };

  it('is basic with --username and the password from the environment, bearer with the token, else none', () => {
    expect(sourceAuthorization({ username: 'mirror' }, { ...none, password: 'p:w' })).toBe(
      `Basic ${Buffer.from('mirror:p:w').toString('base64')}`,
    );
    expect(sourceAuthorization({}, { ...none, token: 'tok' })).toBe('Bearer tok');
    expect(sourceAuthorization({}, none)).toBeUndefined();
  });

  it('refuses --username without a password, or with a token too', () => {
    expect(() => sourceAuthorization({ username: 'mirror' }, none)).toThrow(UsageError);
    expect(() => sourceAuthorization({ username: 'mirror' }, { password: 'p', token: 't' })).toThrow(/not both/);
  });
});

import { checkImportOptions, sourceAuthorization } from './import-options';
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

describe('checkImportOptions', () => {
  it('names a bad s3:// source without the credentials or query it carried', () => {
    let message = '';
    try {
      checkImportOptions({ fromChartmuseum: 's3://AKIAKEY:s3cr3t@B/charts?X-Amz-Signature=sig', namespace: ['ns'] });
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/give s3:\/\/<bucket>/);
    expect(message).not.toMatch(/AKIAKEY|s3cr3t|sig/);
  });
});

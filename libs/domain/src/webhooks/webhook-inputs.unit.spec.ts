import { InvalidNameError, InvalidUsageError } from '../errors';
import { parseWebhookEvents, parseWebhookPackage, parseWebhookSecret, parseWebhookUrl } from './webhook';

describe('webhook inputs', () => {
  it('should take http(s) URLs and refuse other schemes, credentials and non-URLs', () => {
    expect(parseWebhookUrl('https://ci.example/hook?x=1')).toBe('https://ci.example/hook?x=1');
    for (const bad of ['ftp://x/', 'file:///etc/passwd', 'https://u:p@x/', 'not a url', '', 42, null])
      expect(() => parseWebhookUrl(bad)).toThrow(InvalidUsageError);
  });

  it('should take known event names, in their canonical order, and refuse unknown or none', () => {
    expect(parseWebhookEvents(['package.deleted', 'release.published'])).toEqual([
      'release.published',
      'package.deleted',
    ]);
    for (const bad of [[], ['push'], 'release.published', null])
      expect(() => parseWebhookEvents(bad)).toThrow(InvalidUsageError);
  });

  it('should take a package of the namespace, short or full, and null for all', () => {
    expect(parseWebhookPackage('acme/web', 'acme')).toBe('web');
    expect(parseWebhookPackage('web', 'acme')).toBe('web');
    expect(parseWebhookPackage(undefined, 'acme')).toBeNull();
    expect(() => parseWebhookPackage('other/web', 'acme')).toThrow(InvalidNameError);
    expect(() => parseWebhookPackage(7, 'acme')).toThrow(InvalidUsageError);
  });

  it('should take secrets of 24 to 128 printable characters only', () => {
    expect(parseWebhookSecret('s'.repeat(24))).toBe('s'.repeat(24));
    for (const bad of ['s'.repeat(23), 's'.repeat(129), `${'s'.repeat(24)} `, undefined])
      expect(() => parseWebhookSecret(bad)).toThrow(InvalidUsageError);
  });
});

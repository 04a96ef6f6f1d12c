import { InvalidMediaTypeError } from './errors';
import {
  AUTO_MEDIA_TYPE,
  DEFAULT_MEDIA_TYPE,
  KNOWN_MEDIA_TYPES,
  contentMediaType,
  manifestMediaType,
  parseMediaType,
} from './media-types';

describe('media type constants', () => {
  it('should use - for auto-detection and kpm as the push default, like the reference server', () => {
    expect(AUTO_MEDIA_TYPE).toBe('-');
    expect(DEFAULT_MEDIA_TYPE).toBe('kpm');
  });

  it('should list the media types the appr CLI knows', () => {
    expect(KNOWN_MEDIA_TYPES).toEqual(['helm', 'kpm', 'kpm-compose', 'docker-compose', 'kubernetes', 'appr']);
  });
});

describe('parseMediaType', () => {
  it.each(['helm', 'kpm', 'kpm-compose', 'docker-compose', 'kubernetes', 'appr'])(
    'should accept the known short name %p',
    (value) => {
      expect(parseMediaType(value)).toBe(value);
    },
  );

  it.each(['ansible', 'my_type', 'x1', '0', 'a'.repeat(64)])(
    'should accept the unknown but well-formed short name %p',
    (value) => {
      expect(parseMediaType(value)).toBe(value);
    },
  );

  it.each([
    ['application/vnd.cnr.package-manifest.helm.v0.json', 'helm'],
    ['application/vnd.appr.package-manifest.kpm.v0.json', 'kpm'],
    ['application/vnd.cnr.package-manifest.docker-compose.v1.json', 'docker-compose'],
  ])('should reduce the long form %p to %p', (value, expected) => {
    expect(parseMediaType(value)).toBe(expected);
  });

  it.each([
    '',
    '-',
    'Helm',
    'HELM',
    '-helm',
    '_helm',
    'he lm',
    'helm/',
    '../helm',
    'helm..x',
    'helm.v0',
    'a'.repeat(65),
    'h\u0435lm', // Cyrillic е
    'helm\n',
    'application/vnd.cnr.package.helm.v0.tar+gzip',
    'application/vnd.cnr.package-manifest..v0.json',
    'application/vnd.cnr.package-manifest.../x.v0.json',
    'application/vnd.cnr.package-manifest.helm.v0.jsonx',
    'application/vnd.docker.package-manifest.helm.v0.json',
    'application/vnd.cnr.package-manifest.Helm.v0.json',
    'application/vnd.cnr.package-manifest.helm.json',
    'xapplication/vnd.cnr.package-manifest.helm.v0.json',
    `application/vnd.cnr.package-manifest.${'a'.repeat(300)}.v0.json`,
  ])('should throw InvalidMediaTypeError for %p', (value) => {
    expect(() => parseMediaType(value)).toThrow(InvalidMediaTypeError);
  });
});

describe('manifestMediaType', () => {
  it('should build the cnr manifest media type', () => {
    expect(manifestMediaType('helm')).toBe('application/vnd.cnr.package-manifest.helm.v0.json');
  });

  it('should accept a long form and rebuild it with the cnr prefix', () => {
    expect(manifestMediaType('application/vnd.appr.package-manifest.kpm.v0.json')).toBe(
      'application/vnd.cnr.package-manifest.kpm.v0.json',
    );
  });

  it('should refuse a malformed short name instead of building a header from it', () => {
    expect(() => manifestMediaType('helm\r\nx')).toThrow(InvalidMediaTypeError);
  });
});

describe('contentMediaType', () => {
  it('should build the cnr content media type', () => {
    expect(contentMediaType('kpm')).toBe('application/vnd.cnr.package.kpm.v0.tar+gzip');
  });

  it('should refuse the auto-detect marker', () => {
    expect(() => contentMediaType('-')).toThrow(InvalidMediaTypeError);
  });
});

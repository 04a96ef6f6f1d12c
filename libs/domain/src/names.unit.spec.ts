import { InvalidNameError } from './errors';
import {
  CHANNEL_NAME_PATTERN,
  PACKAGE_NAME_PATTERN,
  parseChannelName,
  parsePackageRef,
  splitPackageName,
} from './names';

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidNameError);
    return String((error as InvalidNameError).details.reason);
  }
  throw new Error('expected an InvalidNameError');
}

describe('parsePackageRef', () => {
  it('should return both parts and the ns/name form for a valid reference', () => {
    expect(parsePackageRef('titi', 'rocketchat')).toEqual({
      namespace: 'titi',
      name: 'rocketchat',
      full: 'titi/rocketchat',
    });
  });

  it.each(['a', '0', 'my-app', 'my_app', 'my.app', 'a1.b2_c3-d4', '9lives', 'a-', 'a_'])(
    'should accept %p as a package and a namespace',
    (value) => {
      expect(parsePackageRef(value, value).full).toBe(`${value}/${value}`);
    },
  );

  it('should accept names of exactly 255 characters', () => {
    const longest = 'a'.repeat(255);
    expect(parsePackageRef(longest, longest).name).toBe(longest);
  });

  it.each([
    ['', 'must not be empty'],
    ['a'.repeat(256), 'must be at most 255 characters'],
    ['MyApp', 'must be lowercase'],
    ['myApp', 'must be lowercase'],
    ['-app', 'must start with a lowercase letter or digit'],
    ['.app', 'must start with a lowercase letter or digit'],
    ['_app', 'must start with a lowercase letter or digit'],
    ['app.', "must not end with '.'"],
    ['a..b', "must not contain '..'"],
    ['..', "must not contain '..'"],
    ['ns/app', 'must not contain a path separator'],
    ['..%2Fetc', "must not contain '..'"],
    ['app%2fx', "must not contain '%'"],
    ['a\\b', 'must not contain a path separator'],
    ['my app', "must not contain ' '"],
    ['app:1', "must not contain ':'"],
    ['app+x', "must not contain '+'"],
    ['app\u0000', 'must contain only printable ASCII characters'],
    ['app\n', 'must contain only printable ASCII characters'],
    ['\u0430pp', 'must contain only printable ASCII characters'], // Cyrillic а
    ['app\u200b', 'must contain only printable ASCII characters'], // zero-width space
    ['\uff41pp', 'must contain only printable ASCII characters'], // fullwidth a
    ['caf\u00e9', 'must contain only printable ASCII characters'],
  ])('should refuse the package name %p: %s', (value, reason) => {
    expect(reasonOf(() => parsePackageRef('ns', value))).toBe(reason);
  });

  it('should name the namespace as the bad part when the namespace is invalid', () => {
    let caught: unknown;
    try {
      parsePackageRef('Bad', 'good');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidNameError);
    expect((caught as InvalidNameError).details).toMatchObject({
      kind: 'namespace',
      name: 'Bad',
      reason: 'must be lowercase',
    });
  });

  it('should name the package as the bad part when only the package is invalid', () => {
    expect(() => parsePackageRef('good', 'a..b')).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ kind: 'package' }) }),
    );
  });

  it('should refuse a namespace longer than 255 characters', () => {
    expect(reasonOf(() => parsePackageRef('n'.repeat(256), 'app'))).toBe('must be at most 255 characters');
  });

  it('should refuse a value that is not a string', () => {
    expect(reasonOf(() => parsePackageRef(undefined as unknown as string, 'app'))).toBe('must be a string');
  });
});

describe('parseChannelName', () => {
  it.each(['stable', 'Stable', 'dev', '_beta', '1.0', 'release-2.x', 'v1_2', 'a'.repeat(128), 'end.'])(
    'should accept %p unchanged',
    (value) => {
      expect(parseChannelName(value)).toBe(value);
    },
  );

  it.each([
    ['', 'must not be empty'],
    ['a'.repeat(129), 'must be at most 128 characters'],
    ['-beta', 'must start with a letter, digit or underscore'],
    ['.hidden', 'must start with a letter, digit or underscore'],
    ['a..b', "must not contain '..'"],
    ['a/b', 'must not contain a path separator'],
    ['a\\b', 'must not contain a path separator'],
    ['st@ble', "must not contain '@'"],
    ['1.0.0+build', "must not contain '+'"],
    ['st able', "must not contain ' '"],
    ['st\u0430ble', 'must contain only printable ASCII characters'],
  ])('should refuse %p: %s', (value, reason) => {
    const error = (() => {
      try {
        parseChannelName(value);
      } catch (caught) {
        return caught as InvalidNameError;
      }
      throw new Error('expected an InvalidNameError');
    })();
    expect(error).toBeInstanceOf(InvalidNameError);
    expect(error.details).toMatchObject({ kind: 'channel', reason });
  });
});

describe('PACKAGE_NAME_PATTERN and CHANNEL_NAME_PATTERN', () => {
  const accepts = (parse: () => unknown) => {
    try {
      parse();
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    'app',
    'a',
    'my-app_1.2',
    'a'.repeat(255),
    'a'.repeat(256),
    'App',
    'a..b',
    'a.',
    '-a',
    '.a',
    'a/b',
    'a b',
    '\u0430pp',
    '',
  ])('should agree with parsePackageRef on %j', (name) => {
    expect(new RegExp(PACKAGE_NAME_PATTERN).test(name)).toBe(accepts(() => parsePackageRef('ns', name)));
  });

  it.each(['stable', 'Stable', '_beta', 'v1.0', 'a'.repeat(128), 'a'.repeat(129), 'a..b', '-x', 'a b', 'a/b', ''])(
    'should agree with parseChannelName on %j',
    (channel) => {
      expect(new RegExp(CHANNEL_NAME_PATTERN).test(channel)).toBe(accepts(() => parseChannelName(channel)));
    },
  );
});

describe('splitPackageName', () => {
  it('should give back the parts parsePackageRef joined, for every valid pair', () => {
    for (const [namespace, name] of [
      ['acme', 'web'],
      ['a', 'b.c-d_e'],
      ['org-1', 'x'],
    ] as const) {
      expect(splitPackageName(parsePackageRef(namespace, name).full)).toEqual({ namespace, name });
    }
  });
});

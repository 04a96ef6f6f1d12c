import { InvalidReleaseError } from './errors';
import {
  assertRelease,
  compareSemVer,
  parseSemVer,
  releaseSortKey,
  resolveReleaseQuery,
  resolveReleaseQuerySorted,
  sortReleasesDescending,
  type SemVer,
} from './semver';

function semver(text: string): SemVer {
  const parsed = parseSemVer(text);
  if (!parsed) throw new Error(`test fixture ${text} is not semver`);
  return parsed;
}

describe('parseSemVer', () => {
  // The valid and invalid examples published with the semver.org regular expression.
  it.each([
    '0.0.4',
    '1.2.3',
    '10.20.30',
    '1.1.2-prerelease+meta',
    '1.1.2+meta',
    '1.1.2+meta-valid',
    '1.0.0-alpha',
    '1.0.0-beta',
    '1.0.0-alpha.beta',
    '1.0.0-alpha.beta.1',
    '1.0.0-alpha.1',
    '1.0.0-alpha0.valid',
    '1.0.0-alpha.0valid',
    '1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay',
    '1.0.0-rc.1+build.1',
    '2.0.0-rc.1+build.123',
    '1.2.3-beta',
    '10.2.3-DEV-SNAPSHOT',
    '1.2.3-SNAPSHOT-123',
    '2.0.0+build.1848',
    '2.0.1-alpha.1227',
    '1.0.0-alpha+beta',
    '1.2.3----RC-SNAPSHOT.12.9.1--.12+788',
    '1.2.3----R-S.12.9.1--.12+meta',
    '1.2.3----RC-SNAPSHOT.12.9.1--.12',
    '1.0.0+0.build.1-rc.10000aaa-kk-0.1',
    '1.0.0-0A.is.legal',
    '1.0.0+001',
  ])('should accept %p', (text) => {
    expect(parseSemVer(text)?.raw).toBe(text);
  });

  it.each([
    '1',
    '1.2',
    '1.0',
    'v1.2.3',
    '1.2.3-0123',
    '1.2.3-0123.0123',
    '1.1.2+.123',
    '+invalid',
    '-invalid',
    '-invalid+invalid',
    '-invalid.01',
    'alpha',
    'alpha.beta',
    'alpha.beta.1',
    'alpha.1',
    'alpha+beta',
    'alpha_beta',
    'alpha.',
    'alpha..',
    'beta',
    '1.0.0-alpha_beta',
    '-alpha.',
    '1.0.0-alpha..',
    '1.0.0-alpha..1',
    '1.0.0-alpha...1',
    '01.1.1',
    '1.01.1',
    '1.1.01',
    '1.2.3.DEV',
    '1.2.3.4',
    '1.2-SNAPSHOT',
    '1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788',
    '1.2-RC-SNAPSHOT',
    '-1.0.3-gamma+b7718',
    '+justmeta',
    '9.8.7+meta+meta',
    '9.8.7-whatever+meta+meta',
    ' 1.2.3',
    '1.2.3 ',
    '1.2.3\n',
    '１.2.3',
    '',
  ])('should refuse %p', (text) => {
    expect(parseSemVer(text)).toBeNull();
  });

  it('should split the version into numbers, typed pre-release identifiers and build identifiers', () => {
    expect(parseSemVer('1.22.333-rc.1.x-y+build.007')).toEqual({
      major: 1,
      minor: 22,
      patch: 333,
      prerelease: ['rc', 1, 'x-y'],
      build: ['build', '007'],
      raw: '1.22.333-rc.1.x-y+build.007',
    });
  });

  it('should refuse numbers beyond the safe integer range', () => {
    expect(parseSemVer('99999999999999999999999.999999999.99999999')).toBeNull();
    expect(parseSemVer('1.0.0-rc.99999999999999999999')).toBeNull();
    expect(parseSemVer(`${Number.MAX_SAFE_INTEGER}.0.0`)?.major).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('should refuse text longer than 128 characters', () => {
    const at128 = `1.0.0-${'a'.repeat(122)}`;
    expect(parseSemVer(at128)?.raw).toBe(at128);
    expect(parseSemVer(`${at128}a`)).toBeNull();
  });
});

describe('assertRelease', () => {
  it('should return a strict semver release unchanged', () => {
    expect(assertRelease('1.1.0-beta.1')).toBe('1.1.0-beta.1');
  });

  it.each([['1.0'], ['1'], [1], [null], [undefined], [{}], ['v1.0.0'], ['1.0.0-01']])(
    'should throw InvalidReleaseError for %p',
    (value) => {
      expect(() => assertRelease(value)).toThrow(InvalidReleaseError);
    },
  );

  it('should carry the release in the error details', () => {
    expect(() => assertRelease('1.0')).toThrow(
      expect.objectContaining({ code: 'invalid-release', details: expect.objectContaining({ version: '1.0' }) }),
    );
  });
});

describe('compareSemVer', () => {
  it('should order the semver.org §11 precedence example', () => {
    const ascending = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '2.0.0',
      '2.1.0',
      '2.1.1',
    ];
    for (let i = 0; i + 1 < ascending.length; i++) {
      expect(compareSemVer(semver(ascending[i]!), semver(ascending[i + 1]!))).toBeLessThan(0);
      expect(compareSemVer(semver(ascending[i + 1]!), semver(ascending[i]!))).toBeGreaterThan(0);
    }
  });

  it('should compare numbers numerically, not as text', () => {
    expect(compareSemVer(semver('1.10.0'), semver('1.9.0'))).toBeGreaterThan(0);
    expect(compareSemVer(semver('10.0.0'), semver('9.0.0'))).toBeGreaterThan(0);
  });

  it('should rank numeric pre-release identifiers below alphanumeric ones', () => {
    expect(compareSemVer(semver('1.0.0-1'), semver('1.0.0-a'))).toBeLessThan(0);
  });

  it('should compare alphanumeric identifiers in ASCII order', () => {
    expect(compareSemVer(semver('1.0.0-RC'), semver('1.0.0-rc'))).toBeLessThan(0);
  });

  it('should break precedence ties between build variants by their text, consistently', () => {
    expect(compareSemVer(semver('1.0.0+a'), semver('1.0.0+b'))).toBeLessThan(0);
    expect(compareSemVer(semver('1.0.0+b'), semver('1.0.0+a'))).toBeGreaterThan(0);
    expect(compareSemVer(semver('1.0.0'), semver('1.0.0+a'))).toBeLessThan(0);
  });

  it('should return 0 only for identical text', () => {
    expect(compareSemVer(semver('1.0.0-rc.1'), semver('1.0.0-rc.1'))).toBe(0);
  });
});

describe('sortReleasesDescending', () => {
  it('should put the highest release first, pre-releases below their release', () => {
    expect(sortReleasesDescending(['0.0.1', '1.0.1', '2.0.1', '1.1.0-beta.1', '1.0.0', '1.10.0'])).toEqual([
      '2.0.1',
      '1.10.0',
      '1.1.0-beta.1',
      '1.0.1',
      '1.0.0',
      '0.0.1',
    ]);
    expect(sortReleasesDescending(['0.9.0', '1.1.0-beta.1', '1.0.0'])).toEqual(['1.1.0-beta.1', '1.0.0', '0.9.0']);
  });

  it('should order numerically across digit counts', () => {
    expect(sortReleasesDescending(['1.9.0', '1.10.0', '1.2.0'])).toEqual(['1.10.0', '1.9.0', '1.2.0']);
  });

  it('should not modify its input', () => {
    const input = ['1.0.0', '2.0.0'];
    sortReleasesDescending(input);
    expect(input).toEqual(['1.0.0', '2.0.0']);
  });

  it('should sort strings that are not semver last instead of throwing', () => {
    expect(sortReleasesDescending(['zzz', '1.0.0', 'aaa', '2.0.0'])).toEqual(['2.0.0', '1.0.0', 'aaa', 'zzz']);
  });
});

describe('releaseSortKey', () => {
  const releases = [
    '0.0.1',
    '0.0.10',
    '0.0.9',
    '1.0.0',
    '1.0.0+build.2',
    '1.0.0+build.10',
    '1.0.0-0',
    '1.0.0-1',
    '1.0.0-2',
    '1.0.0-10',
    '1.0.0-9007199254740991',
    '1.0.0-a',
    '1.0.0-A',
    '1.0.0-a-b',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.1.0',
    '1.0.0-alpha.beta',
    '1.0.0-alpha-1',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0-rc.1+b',
    '1.2.3',
    '1.10.0',
    '2.0.0',
    '10.0.0',
    '100.0.0-rc.1',
    '9007199254740991.0.0',
  ];

  it('should order keys as releases ascend (the reverse of sortReleasesDescending), for every pair', () => {
    const byKey = [...releases].sort((a, b) => (releaseSortKey(a) < releaseSortKey(b) ? -1 : 1));
    expect(byKey).toEqual(sortReleasesDescending(releases).reverse());
    for (const a of releases)
      for (const b of releases)
        expect({ a, b, order: Math.sign(compareKeys(releaseSortKey(b), releaseSortKey(a))) }).toEqual({
          a,
          b,
          order: Math.sign(compareSemVer(semver(b), semver(a))),
        });
  });

  it('should put strings that are not semver below every release', () => {
    expect(releaseSortKey('zzz') < releaseSortKey('0.0.0')).toBe(true);
  });
});

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

describe('resolveReleaseQuery', () => {
  // The releases of titi/rocketchat in the reference suite's backup1.json, plus a pre-release.
  const releases = ['0.0.1', '1.0.1', '2.0.1', '1.1.0-beta.1', '1.0.0'];

  it.each([[undefined], [''], ['default']])('should select the highest release for %p', (query) => {
    expect(resolveReleaseQuery(query, ['0.9.0', '1.0.0'])).toBe('1.0.0');
  });

  it('should include pre-releases in the default selection', () => {
    expect(resolveReleaseQuery('default', ['1.0.0', '1.1.0-beta.1', '0.9.0'])).toBe('1.1.0-beta.1');
  });

  it.each([
    ['>=1.0.0', '2.0.1'],
    ['>=1.0.0-0', '2.0.1'],
    ['==1.0.1', '1.0.1'],
    ['=1.0.1', '1.0.1'],
    ['1.0.1', '1.0.1'],
    ['1.0.0', '1.0.0'],
    ['>1.2', '2.0.1'],
    ['<2.0.0', '1.0.1'],
    ['<=1.0.1', '1.0.1'],
    ['>1.0.0,<2.0.0', '1.0.1'],
    ['>=1.5,<2.0', null],
    ['>=0.0.1,<1.0.0', '0.0.1'],
    ['^1.0.0', '1.0.1'],
    ['~1.0.0', '1.0.1'],
    ['!=2.0.1', '1.0.1'],
    ['1.1.0-beta.1', '1.1.0-beta.1'],
    ['==1.1.0-beta.1', '1.1.0-beta.1'],
    ['>=1.0.0, <2.0.0', '1.0.1'],
    ['*', '2.0.1'],
    ['==10.0.0', null],
  ])('should resolve %p against the reference releases to %p', (query, expected) => {
    expect(resolveReleaseQuery(query, releases)).toBe(expected);
  });

  it('should leave pre-releases out of spec matches unless the query contains "-"', () => {
    const withBeta = ['1.0.0', '1.1.0-beta.1'];
    expect(resolveReleaseQuery('>=1.0.0', withBeta)).toBe('1.0.0');
    expect(resolveReleaseQuery('>=1.0.0-0', withBeta)).toBe('1.1.0-beta.1');
    expect(resolveReleaseQuery('>=1.1.0', withBeta)).toBeNull();
  });

  // appr tests/test_semver.py test_select_version.
  it.each([
    ['==0.5.0', '0.5.0'],
    ['>=0.1.0', '0.7.0'],
    ['<0.4.0', '0.3.0'],
    ['>=0.3.0,<0.6.0', '0.5.0'],
    ['>=0.1.0-', '0.8.0-rc'],
    ['<0.4.0-', '0.3.2-rc'],
    ['>=0.3.0-,<0.6.0', '0.5.2-rc'],
    ['>=0.3.0,<0.6.0-', '0.5.2-rc'],
    ['==10.0.0', null],
  ])('should resolve %p like the reference select_version (-> %p)', (query, expected) => {
    expect(resolveReleaseQuery(query, ['0.1.0', '0.3.0', '0.3.2-rc', '0.5.0', '0.5.2-rc', '0.7.0', '0.8.0-rc'])).toBe(
      expected,
    );
  });

  describe('partial versions', () => {
    const many = [
      '0.0.3',
      '0.0.4',
      '0.2.3',
      '0.2.9',
      '0.3.0',
      '1.0.0',
      '1.2.0',
      '1.4.9',
      '1.5.0',
      '1.5.7',
      '1.6.0',
      '2.0.0',
      '2.2.0',
      '3.0.0',
    ];

    it.each([
      ['1', '1.6.0'],
      ['==1', '1.6.0'],
      ['1.5', '1.5.7'],
      ['==1.5', '1.5.7'],
      ['>1.5', '3.0.0'],
      ['>1', '3.0.0'],
      ['>1,<3', '2.2.0'],
      ['>1.5,<2', '1.6.0'],
      ['>=1.5,<1.6', '1.5.7'],
      ['<=1.5', '1.5.7'],
      ['<=1', '1.6.0'],
      ['<1.5', '1.4.9'],
      ['<1', '0.3.0'],
      ['!=1.5,<1.6', '1.4.9'],
      ['!=1,<2.1', '2.0.0'],
      ['1.3', null],
    ])('should resolve %p to %p', (query, expected) => {
      expect(resolveReleaseQuery(query, many)).toBe(expected);
    });
  });

  describe('caret and tilde', () => {
    const many = [
      '0.0.3',
      '0.0.4',
      '0.2.3',
      '0.2.9',
      '0.3.0',
      '1.2.3',
      '1.2.9',
      '1.3.0',
      '1.9.9',
      '2.0.0',
      '2.2.0',
      '2.9.0',
      '3.0.0',
    ];

    it.each([
      ['^1.2.3', '1.9.9'],
      ['^1.2', '1.9.9'],
      ['^1', '1.9.9'],
      ['^0.2.3', '0.2.9'],
      ['^0.2', '0.2.9'],
      ['^0.0.3', '0.0.3'],
      ['~1.2.3', '1.2.9'],
      ['~1.2', '1.2.9'],
      ['~1', '1.9.9'],
      ['~0.2.3', '0.2.9'],
      ['~=1.2.3', '1.2.9'],
      ['~=1.2', '1.9.9'],
      ['~=2', '2.9.0'],
      ['^3.1.0', null],
    ])('should resolve %p to %p', (query, expected) => {
      expect(resolveReleaseQuery(query, many)).toBe(expected);
    });

    it('should keep pre-releases of the upper bound out of a caret range', () => {
      expect(resolveReleaseQuery('^1.0.0-0', ['1.0.0-rc.1', '1.5.0', '2.0.0-rc.1'])).toBe('1.5.0');
    });
  });

  describe('pre-release bounds', () => {
    const withRcs = ['1.0.0', '1.2.3-rc.1', '1.2.3', '2.0.0-rc.1'];

    it('should exclude pre-releases of X.Y.Z from <X.Y.Z and include them with <X.Y.Z-', () => {
      expect(resolveReleaseQuery('<2.0.0,>=1.2.3-0', withRcs)).toBe('1.2.3');
      expect(resolveReleaseQuery('<2.0.0-', withRcs)).toBe('2.0.0-rc.1');
    });

    it('should treat != X.Y.Z as also excluding pre-releases of X.Y.Z unless written !=X.Y.Z-', () => {
      expect(resolveReleaseQuery('!=1.2.3,<2.0.0-', ['1.0.0', '1.2.3-rc.1', '1.2.3'])).toBe('1.0.0');
      expect(resolveReleaseQuery('!=1.2.3-,<1.2.3', ['1.0.0', '1.2.3-rc.1', '1.2.3'])).toBe('1.0.0');
      expect(resolveReleaseQuery('!=1.2.3-', ['1.0.0', '1.2.3-rc.1', '1.2.3'])).toBe('1.2.3-rc.1');
    });

    it('should select a pre-release only when asked for exactly', () => {
      expect(resolveReleaseQuery('1.2.3', withRcs)).toBe('1.2.3');
      expect(resolveReleaseQuery('1.2.3-rc.1', withRcs)).toBe('1.2.3-rc.1');
    });
  });

  describe('build metadata', () => {
    it('should match any build of X.Y.Z for ==X.Y.Z, picking the highest text', () => {
      expect(resolveReleaseQuery('1.0.0', ['1.0.0+b', '1.0.0+a', '1.0.1'])).toBe('1.0.0+b');
    });

    it('should match the exact build when one is given, and no build for X.Y.Z+', () => {
      const builds = ['1.0.0', '1.0.0+a', '1.0.0+b'];
      expect(resolveReleaseQuery('==1.0.0+a', builds)).toBe('1.0.0+a');
      expect(resolveReleaseQuery('==1.0.0+', builds)).toBe('1.0.0');
      expect(resolveReleaseQuery('!=1.0.0+b,<1.0.1', builds)).toBe('1.0.0+a');
    });

    it('should treat a release whose build contains "-" as a normal release', () => {
      expect(resolveReleaseQuery('>=1.0.0', ['1.0.0+git-abc'])).toBe('1.0.0+git-abc');
    });
  });

  it('should answer a release named in full exactly as its == clause does', () => {
    const stored = [
      '1.0.1',
      '1.0.10',
      '11.0.1',
      '1.0.1-rc.1',
      '1.0.1+b',
      '1.0.1+a',
      '2.0.0+x',
      '2.0.0-rc.1+x',
      'latest',
      '1.0.1x',
    ];
    const queries = ['1.0.1', '1.0.10', '11.0.1', '1.0.1-rc.1', '2.0.0', '2.0.0-rc.1', '1.0.0', '0.1.0', '1.0.1-rc.2'];
    for (const query of queries) {
      expect({ query, answer: resolveReleaseQuery(query, stored) }).toEqual({
        query,
        answer: resolveReleaseQuery(`==${query}`, stored),
      });
    }
    expect(resolveReleaseQuery('1.0.1', stored)).toBe('1.0.1+b');
    expect(resolveReleaseQuery('2.0.0-rc.1', stored)).toBe('2.0.0-rc.1+x');
    expect(resolveReleaseQuery('1.0.0', stored)).toBeNull();
  });

  it('should return null when there are no releases', () => {
    expect(resolveReleaseQuery('default', [])).toBeNull();
    expect(resolveReleaseQuery('>=1.0.0', [])).toBeNull();
  });

  it('should ignore stored strings that are not semver', () => {
    expect(resolveReleaseQuery('default', ['latest', '1.0.0'])).toBe('1.0.0');
  });

  it.each([
    'abc',
    '>=',
    '1.2.3.4',
    'latest',
    '>=1.0.0,',
    ',',
    '>>1.0.0',
    '=>1.0.0',
    'v1.0.0',
    '01.0.0',
    '1.02',
    '1.0-rc.1',
    '1-rc',
    '1.0+build',
    '>=1.0.0+build',
    '^1.0.0+build',
    '1.0.0-01',
    '1.0.0-a..b',
    '1.x',
    '~>1.0',
    '>=1.0.0 || <0.1.0',
    `>=${'9'.repeat(20)}.0.0`,
    `>=1.0.0${',>=1.0.0'.repeat(100)}`,
  ])('should throw InvalidReleaseError for the unparsable query %p', (query) => {
    expect(() => resolveReleaseQuery(query, releases)).toThrow(InvalidReleaseError);
  });

  it('should throw for an unparsable query even when there are no releases', () => {
    expect(() => resolveReleaseQuery('abc', [])).toThrow(InvalidReleaseError);
  });
});

describe('resolveReleaseQuerySorted', () => {
  /** Releases with pre-releases and build metadata that tie on precedence, and one text that is not SemVer. */
  function releases(seed: number): string[] {
    let x = seed;
    const next = (n: number) => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x % n;
    };
    return Array.from({ length: 1 + next(40) }, () => {
      const core = `${next(3)}.${next(3)}.${next(3)}`;
      const pre = next(3) === 0 ? `-${['rc.1', 'alpha', '1', 'rc.10'][next(4)]}` : '';
      const build = next(4) === 0 ? `+${['b1', 'a', '7'][next(3)]}` : '';
      return `${core}${pre}${build}`;
    });
  }

  it('should answer what resolveReleaseQuery answers, for every kind of query, over the releases sorted highest first', () => {
    const queries = [
      undefined,
      '',
      'default',
      '1.1.1',
      '0.0.0',
      '2.2.2-rc.1',
      '1.0.0-alpha',
      '9.9.9',
      '1.1.1+b1',
      '>1.0.0',
      '~1.1',
      '1',
    ];
    let answered = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const all = [...new Set(releases(seed))];
      const sorted = sortReleasesDescending(all);
      for (const query of queries) {
        const expected = resolveReleaseQuery(query, all);
        expect([seed, query, resolveReleaseQuerySorted(query, sorted)]).toEqual([seed, query, expected]);
        if (expected !== null) answered++;
      }
    }
    expect(answered).toBeGreaterThan(1000);
  });
});

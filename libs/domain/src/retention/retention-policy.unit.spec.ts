import { InvalidUsageError } from '../errors';
import {
  SITE_DEFAULT_POLICY_ID,
  parseRetentionPolicyId,
  parseRetentionSettings,
  policiesInForce,
  policyCovers,
  siteDefaultOf,
} from './retention-policy';

describe('retention policy input', () => {
  it('should read every field and fill the defaults', () => {
    expect(parseRetentionSettings({ keep_last: 3 })).toEqual({
      packagePattern: null,
      keepLast: 3,
      keepPushedWithinDays: null,
      keepChannelReleases: 'current',
      prereleases: 'count',
    });
    expect(
      parseRetentionSettings({
        package: 'web-*',
        keep_pushed_within_days: 30,
        keep_channel_releases: 'all',
        prereleases: 'drop',
      }),
    ).toEqual({
      packagePattern: 'web-*',
      keepLast: null,
      keepPushedWithinDays: 30,
      keepChannelReleases: 'all',
      prereleases: 'drop',
    });
    expect(parseRetentionSettings({ keep_pulled_within_days: 90 })).toMatchObject({
      keepLast: null,
      keepPushedWithinDays: null,
      keepPulledWithinDays: 90,
    });
  });

  it.each([
    [{}, 'keep_last'],
    [{ keep_last: -1 }, 'keep_last'],
    [{ keep_last: 1.5 }, 'keep_last'],
    [{ keep_last: '3' }, 'keep_last'],
    [{ keep_pushed_within_days: 0 }, 'keep_pushed_within_days'],
    [{ keep_pulled_within_days: 0 }, 'keep_pulled_within_days'],
    [{ keep_pulled_within_days: 36_501 }, 'keep_pulled_within_days'],
    [{ keep_last: 1, prereleases: 'maybe' }, 'prereleases'],
    [{ keep_last: 1, keep_channel_releases: 'none' }, 'keep_channel_releases'],
    [{ keep_last: 1, package: 'a/b' }, 'package'],
    [{ keep_last: 1, colour: 'red' }, 'colour'],
  ])('should refuse %j naming the field %s', (values, field) => {
    expect(() => parseRetentionSettings(values)).toThrow(InvalidUsageError);
    try {
      parseRetentionSettings(values);
    } catch (e) {
      expect((e as InvalidUsageError).details).toMatchObject({ field });
    }
  });

  it("should run a namespace's own policies, else the site's default, else none", () => {
    const own = [{ id: 'mine', ...parseRetentionSettings({ keep_last: 3 }), createdAt: 'c', updatedAt: 'u' }];
    const site = siteDefaultOf(null, parseRetentionSettings({ keep_last: 10 })).policy;
    expect(policiesInForce(own, site)).toEqual(own);
    expect(policiesInForce([], site)).toEqual([site]);
    expect(policiesInForce([], null)).toEqual([]);
    expect(() => parseRetentionPolicyId(SITE_DEFAULT_POLICY_ID)).toThrow(InvalidUsageError);
  });

  it("should take the site's default from the API once set or deleted there, else from the configuration", () => {
    const configured = parseRetentionSettings({ keep_last: 10 });
    const viaApi = {
      id: SITE_DEFAULT_POLICY_ID,
      ...parseRetentionSettings({ keep_last: 2 }),
      createdAt: 'c',
      updatedAt: 'u',
    };
    expect(siteDefaultOf(null, configured)).toEqual({
      source: 'configuration',
      policy: {
        id: SITE_DEFAULT_POLICY_ID,
        ...configured,
        createdAt: '1970-01-01T00:00:00.000Z',
        updatedAt: '1970-01-01T00:00:00.000Z',
      },
    });
    expect(siteDefaultOf(null, null)).toEqual({ source: 'none', policy: null });
    expect(siteDefaultOf([viaApi], configured)).toEqual({ source: 'api', policy: viaApi });
    // Deleted through the API: none, though the configuration names one.
    expect(siteDefaultOf([], configured)).toEqual({ source: 'none', policy: null });
  });

  it('should accept ids of lowercase letters, digits and inner hyphens only', () => {
    expect(parseRetentionPolicyId('keep-10')).toBe('keep-10');
    for (const bad of ['', '-a', 'a-', 'A', 'a_b', 'x'.repeat(65), 3])
      expect(() => parseRetentionPolicyId(bad)).toThrow(InvalidUsageError);
  });
});

describe('policyCovers (the package pattern)', () => {
  const covers = (pattern: string | null, name: string) => policyCovers({ packagePattern: pattern }, name);

  it('should match * as any run and ? as one character, the whole name', () => {
    expect(covers(null, 'anything')).toBe(true);
    expect(covers('web-*', 'web-api')).toBe(true);
    expect(covers('web-*', 'web-')).toBe(true);
    expect(covers('web-*', 'api-web-x')).toBe(false);
    expect(covers('*-api', 'web-api')).toBe(true);
    expect(covers('we?', 'web')).toBe(true);
    expect(covers('we?', 'we')).toBe(false);
    expect(covers('w*b*i', 'webapi')).toBe(true);
    expect(covers('w*b*x', 'webapi')).toBe(false);
    expect(covers('web.api', 'webxapi')).toBe(false);
    expect(covers('**', '')).toBe(true);
  });

  it('should agree with the glob read as an anchored regular expression, on every short case', () => {
    const alphabet = ['a', 'b', '*', '?'];
    const patterns: string[] = [''];
    for (let len = 1; len <= 4; len++)
      for (const prev of patterns.filter((x) => x.length === len - 1))
        for (const c of alphabet) patterns.push(prev + c);
    const names = ['', 'a', 'b', 'ab', 'ba', 'aab', 'abab', 'bbba'];
    for (const pattern of patterns) {
      const reference = new RegExp(`^${pattern.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      for (const name of names)
        expect([pattern, name, covers(pattern, name)]).toEqual([pattern, name, reference.test(name)]);
    }
  });

  it('should answer a pattern of many stars against the longest name (a backtracking RegExp would not finish)', () => {
    const name = 'a'.repeat(255);
    expect(covers(`${'*'.repeat(60)}x`, name)).toBe(false);
    expect(covers(`${'*a'.repeat(60)}*`, name)).toBe(true);
  });
});

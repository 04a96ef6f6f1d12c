import { InvalidUsageError } from '../errors';
import { parseRetentionPolicyId, parseRetentionSettings } from './retention-policy';

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
  });

  it.each([
    [{}, 'keep_last'],
    [{ keep_last: -1 }, 'keep_last'],
    [{ keep_last: 1.5 }, 'keep_last'],
    [{ keep_last: '3' }, 'keep_last'],
    [{ keep_pushed_within_days: 0 }, 'keep_pushed_within_days'],
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

  it('should accept ids of lowercase letters, digits and inner hyphens only', () => {
    expect(parseRetentionPolicyId('keep-10')).toBe('keep-10');
    for (const bad of ['', '-a', 'a-', 'A', 'a_b', 'x'.repeat(65), 3])
      expect(() => parseRetentionPolicyId(bad)).toThrow(InvalidUsageError);
  });
});

import { addedToChannel, foldEvents, published } from '@wharf/testing';
import type { PackageEvent, PackageView } from '../package';
import type { RetentionPolicy } from './retention-policy';
import { retentionDeletions, retentionPlan } from './retention.rule';

const NOW = '2026-06-01T00:00:00.000Z';
const daysAgo = (days: number) => new Date(Date.parse(NOW) - days * 86_400_000).toISOString();

function policy(overrides: Partial<RetentionPolicy> = {}): RetentionPolicy {
  return {
    id: 'p1',
    packagePattern: null,
    keepLast: null,
    keepPushedWithinDays: null,
    keepChannelReleases: 'current',
    prereleases: 'count',
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

/** A package holding `releases` (helm), pushed in the order given, each `pushedDaysAgo` old (default 100 days). */
function pkg(
  releases: string[],
  extra: PackageEvent[] = [],
  pushedDaysAgo: Record<string, number> = {},
  name = 'ns/app',
) {
  const view = foldEvents(name, [...releases.map((release) => published({ release })), ...extra]);
  return withPushTimes(view, pushedDaysAgo);
}

function withPushTimes(view: PackageView, pushedDaysAgo: Record<string, number>): PackageView {
  return {
    ...view,
    manifests: view.manifests.map((m) => ({ ...m, createdAt: daysAgo(pushedDaysAgo[m.release] ?? 100) })),
  };
}

const deletedReleases = (view: PackageView, policies: RetentionPolicy[]) =>
  retentionDeletions(view, policies, NOW).map((d) => d.release);

describe('retention rule', () => {
  it('should keep the last N releases by SemVer precedence, not by push order or text', () => {
    const view = pkg(['1.10.0', '1.2.0', '1.9.0', '2.0.0', '1.0.0']);
    expect(deletedReleases(view, [policy({ keepLast: 2 })])).toEqual(['1.9.0', '1.2.0', '1.0.0']);
    expect(deletedReleases(view, [policy({ keepLast: 5 })])).toEqual([]);
    expect(deletedReleases(view, [policy({ keepLast: 0 })])).toEqual(['2.0.0', '1.10.0', '1.9.0', '1.2.0', '1.0.0']);
  });

  it('should rank pre-releases below their release, and build metadata not at all beyond ties', () => {
    const view = pkg(['1.0.0-rc.1', '1.0.0', '1.0.0-rc.10', '1.0.0-rc.2', '0.9.0']);
    expect(deletedReleases(view, [policy({ keepLast: 2 })])).toEqual(['1.0.0-rc.2', '1.0.0-rc.1', '0.9.0']);
  });

  it("should never delete pre-releases under 'keep', nor count them in keep_last", () => {
    const view = pkg(['1.0.0', '1.1.0', '2.0.0-beta.1', '2.0.0-beta.2']);
    expect(deletedReleases(view, [policy({ keepLast: 1, prereleases: 'keep' })])).toEqual(['1.0.0']);
  });

  it("should delete pre-releases under 'drop' even when recent or among the highest, but not a channel's current", () => {
    const view = pkg(
      ['1.0.0', '2.0.0-beta.1', '2.0.0-beta.2'],
      [addedToChannel({ channel: 'beta', release: '2.0.0-beta.2' })],
      { '2.0.0-beta.1': 0, '2.0.0-beta.2': 0 },
    );
    expect(deletedReleases(view, [policy({ keepLast: 1, keepPushedWithinDays: 30, prereleases: 'drop' })])).toEqual([
      '2.0.0-beta.1',
    ]);
  });

  it('should keep releases pushed within the period, judged by their newest manifest', () => {
    const view = pkg(['1.0.0', '1.1.0', '1.2.0'], [], { '1.0.0': 40, '1.1.0': 29, '1.2.0': 31 });
    expect(deletedReleases(view, [policy({ keepPushedWithinDays: 30 })])).toEqual(['1.2.0', '1.0.0']);
  });

  it('should keep releases pulled within the period, by the last pulls it is given, but not dropped pre-releases', () => {
    const view = pkg(['1.0.0', '1.1.0', '1.2.0', '1.3.0', '2.0.0-rc.1']);
    const pulls = new Map([
      ['1.0.0', daysAgo(29)],
      ['1.1.0', daysAgo(31)],
      ['2.0.0-rc.1', daysAgo(1)],
    ]);
    const deleted = (p: RetentionPolicy) =>
      retentionDeletions(view, [p], NOW, { lastPulls: pulls, recordedSince: null }).map((d) => d.release);
    expect(deleted(policy({ keepPulledWithinDays: 30 }))).toEqual(['1.3.0', '1.2.0', '1.1.0']);
    expect(deleted(policy({ keepPulledWithinDays: 30, prereleases: 'drop' }))).toEqual([
      '2.0.0-rc.1',
      '1.3.0',
      '1.2.0',
      '1.1.0',
    ]);
    expect(deleted(policy({ keepPulledWithinDays: 30, keepLast: 2 }))).toEqual(['1.2.0', '1.1.0']);
    // Records as old as the registry, none for these: nothing was pulled, and nothing is kept by it.
    expect(deletedReleases(view, [policy({ keepPulledWithinDays: 30 })])).toHaveLength(5);
  });

  it('should count a release as used at its push: one never pulled goes only a whole period after its push', () => {
    const view = pkg(['1.0.0', '1.1.0', '1.2.0'], [], { '1.0.0': 40, '1.1.0': 29, '1.2.0': 1 });
    const plan = retentionPlan(view, [policy({ keepLast: 0, keepPulledWithinDays: 30 })], NOW);
    expect(plan.deleted.map((d) => d.release)).toEqual(['1.0.0']);
    // Held by the grace alone: each goes a period after its push unless pulled, under the policy named.
    expect(plan.held.map((h) => [h.release, h.policy, h.until])).toEqual([
      ['1.2.0', 'p1', daysAgo(1 - 30)],
      ['1.1.0', 'p1', daysAgo(29 - 30)],
    ]);
    // A pull after the push moves the instant on; a pull before it does not bring it back.
    const pulls = new Map([
      ['1.1.0', daysAgo(2)],
      ['1.2.0', daysAgo(50)],
    ]);
    const pulled = retentionPlan(view, [policy({ keepLast: 0, keepPulledWithinDays: 30 })], NOW, {
      lastPulls: pulls,
      recordedSince: null,
    });
    expect(pulled.deleted.map((d) => d.release)).toEqual(['1.0.0']);
    expect(pulled.held.map((h) => [h.release, h.until])).toEqual([['1.2.0', daysAgo(1 - 30)]]);
  });

  it('should delete nothing for want of pulls before the records cover a whole period', () => {
    const view = pkg(['1.0.0', '1.1.0']); // pushed 100 days ago, no pull record
    const p = policy({ keepLast: 0, keepPulledWithinDays: 30 });
    const young = retentionPlan(view, [p], NOW, { lastPulls: new Map(), recordedSince: daysAgo(5) });
    expect(young.deleted).toEqual([]);
    expect(young.held.map((h) => [h.release, h.until])).toEqual([
      ['1.1.0', daysAgo(5 - 30)],
      ['1.0.0', daysAgo(5 - 30)],
    ]);
    const covered = retentionPlan(view, [p], NOW, { lastPulls: new Map(), recordedSince: daysAgo(31) });
    expect(covered.deleted.map((d) => d.release)).toEqual(['1.1.0', '1.0.0']);
    expect(covered.held).toEqual([]);
  });

  it('should hold only what the grace alone keeps, until the longest holding period, naming the first deleting policy', () => {
    const view = pkg(['1.0.0', '1.1.0', '2.0.0-rc.1'], [], { '1.0.0': 10, '1.1.0': 10, '2.0.0-rc.1': 10 });
    const plan = retentionPlan(
      view,
      [
        policy({ id: 'b-long', keepLast: 1, keepPulledWithinDays: 60, prereleases: 'drop' }),
        policy({ id: 'a-short', keepPulledWithinDays: 30, prereleases: 'drop' }),
      ],
      NOW,
    );
    // 1.1.0 is kept by keep_last, not held; the dropped pre-release goes; 1.0.0 is held by both periods.
    expect(plan.deleted.map((d) => [d.release, d.policy])).toEqual([['2.0.0-rc.1', 'a-short']]);
    expect(plan.held.map((h) => [h.release, h.policy, h.until])).toEqual([['1.0.0', 'a-short', daysAgo(10 - 60)]]);
  });

  it('should keep a release kept by either rule of one policy (keep_last or pushed within)', () => {
    const view = pkg(['1.0.0', '1.1.0', '1.2.0', '1.3.0'], [], { '1.0.0': 1 });
    expect(deletedReleases(view, [policy({ keepLast: 2, keepPushedWithinDays: 7 })])).toEqual(['1.1.0']);
  });

  it("should always keep each channel's current release, and any channel release under 'all'", () => {
    const view = pkg(
      ['1.0.0', '1.1.0', '1.2.0', '1.3.0'],
      [
        addedToChannel({ channel: 'stable', release: '1.0.0' }),
        addedToChannel({ channel: 'stable', release: '1.1.0' }),
      ],
    );
    expect(deletedReleases(view, [policy({ keepLast: 1 })])).toEqual(['1.2.0', '1.0.0']);
    expect(deletedReleases(view, [policy({ keepLast: 1, keepChannelReleases: 'all' })])).toEqual(['1.2.0']);
  });

  it('should delete every media type of a release, and count releases, not manifests', () => {
    const view = foldEvents('ns/app', [
      published({ release: '1.0.0', mediaType: 'helm' }),
      published({ release: '1.0.0', mediaType: 'kpm' }),
      published({ release: '1.1.0', mediaType: 'helm' }),
      published({ release: '1.1.0', mediaType: 'docker-compose' }),
      published({ release: '1.2.0', mediaType: 'kpm' }),
    ]);
    const digestOf = (mediaType: string) =>
      view.manifests.find((m) => m.release === '1.0.0' && m.mediaType === mediaType)!.blobDigest;
    expect(retentionDeletions(withPushTimes(view, {}), [policy({ keepLast: 2 })], NOW)).toEqual([
      { package: 'ns/app', release: '1.0.0', mediaType: 'helm', blobDigest: digestOf('helm'), policy: 'p1' },
      { package: 'ns/app', release: '1.0.0', mediaType: 'kpm', blobDigest: digestOf('kpm'), policy: 'p1' },
    ]);
  });

  it("should cover only packages whose name matches the policy's pattern", () => {
    const releases = ['1.0.0', '1.1.0'];
    const only = [policy({ keepLast: 1, packagePattern: 'web-*' })];
    expect(deletedReleases(pkg(releases, [], {}, 'ns/web-api'), only)).toEqual(['1.0.0']);
    expect(deletedReleases(pkg(releases, [], {}, 'ns/api'), only)).toEqual([]);
    expect(deletedReleases(pkg(releases, [], {}, 'ns/web'), [policy({ keepLast: 1, packagePattern: 'we?' })])).toEqual([
      '1.0.0',
    ]);
    expect(
      deletedReleases(pkg(releases, [], {}, 'ns/webxapi'), [policy({ keepLast: 1, packagePattern: 'web.api' })]),
    ).toEqual([]);
  });

  it('should let keeping win across policies, and name the first deleting policy by id', () => {
    const view = pkg(['1.0.0', '1.1.0', '1.2.0', '1.3.0']);
    const policies = [policy({ id: 'z-last-3', keepLast: 3 }), policy({ id: 'a-last-1', keepLast: 1 })];
    expect(retentionDeletions(view, policies, NOW)).toEqual([
      expect.objectContaining({ package: 'ns/app', release: '1.0.0', mediaType: 'helm', policy: 'a-last-1' }),
    ]);
  });

  it('should delete nothing without a covering policy or from an empty package', () => {
    expect(deletedReleases(pkg(['1.0.0', '1.1.0']), [])).toEqual([]);
    expect(deletedReleases(pkg([]), [policy({ keepLast: 0 })])).toEqual([]);
  });
});

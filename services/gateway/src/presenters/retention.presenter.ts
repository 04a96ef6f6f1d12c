import type { RetentionDeletion, RetentionPolicy } from '@wharf/domain';

export function retentionPolicyJson(p: RetentionPolicy) {
  return {
    id: p.id,
    package: p.packagePattern,
    keep_last: p.keepLast,
    keep_pushed_within_days: p.keepPushedWithinDays,
    keep_channel_releases: p.keepChannelReleases,
    prereleases: p.prereleases,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

/** A dry run's or a run's answer: the manifests (to be) deleted, each with its policy. */
export function retentionRunJson(deletions: readonly RetentionDeletion[], dryRun: boolean) {
  return {
    dry_run: dryRun,
    deleted: deletions.map((d) => ({
      package: d.package,
      release: d.release,
      media_type: d.mediaType,
      policy: d.policy,
    })),
  };
}

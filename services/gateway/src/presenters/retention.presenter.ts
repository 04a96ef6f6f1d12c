import type { RetentionDeletion, RetentionHold, RetentionPolicy, SiteDefault } from '@wharf/domain';

export function retentionPolicyJson(p: RetentionPolicy) {
  return {
    id: p.id,
    package: p.packagePattern,
    keep_last: p.keepLast,
    keep_pushed_within_days: p.keepPushedWithinDays,
    keep_pulled_within_days: p.keepPulledWithinDays ?? null,
    keep_channel_releases: p.keepChannelReleases,
    prereleases: p.prereleases,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

/** The site's default and where it comes from (`api`, `configuration` or `none`). */
export function siteDefaultJson(site: SiteDefault) {
  return { source: site.source, policy: site.policy ? retentionPolicyJson(site.policy) : null };
}

const deletionJson = (d: RetentionDeletion) => ({
  package: d.package,
  release: d.release,
  media_type: d.mediaType,
  policy: d.policy,
});

/**
 * A dry run's or a run's answer: the manifests (to be) deleted, each with its policy, those a run
 * skipped with the reason (`gone`, `superseded`; a dry run skips none), and those the grace of
 * `keep_pulled_within_days` holds, each with the policy that deletes it `until` unless pulled.
 */
export function retentionRunJson(
  run: {
    deleted: readonly RetentionDeletion[];
    skipped: readonly (RetentionDeletion & { reason: string; message: string })[];
    held: readonly RetentionHold[];
  },
  dryRun: boolean,
) {
  return {
    dry_run: dryRun,
    deleted: run.deleted.map(deletionJson),
    skipped: run.skipped.map((s) => ({ ...deletionJson(s), reason: s.reason, message: s.message })),
    held: run.held.map((h) => ({ ...deletionJson(h), until: h.until })),
  };
}

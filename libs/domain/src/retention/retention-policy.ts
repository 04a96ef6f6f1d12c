/**
 * Retention policies: which releases of a namespace's packages a namespace admin lets the
 * registry delete on its own. A policy is a fact of the namespace's account stream
 * (`RetentionPolicySet`, `RetentionPolicyDeleted`), so the audit trail records who set it; the
 * rule that applies it to a package is `retention.rule.ts`.
 */
import { InvalidUsageError } from '../errors';

/** How a policy treats pre-releases (SemVer `1.0.0-rc.1`). */
export type PrereleaseHandling =
  /** Like any release: counted in `keepLast`, kept by `keepPushedWithinDays`. */
  | 'count'
  /** Never deleted by the policy, and not counted in `keepLast`. */
  | 'keep'
  /** Deleted unless a channel keeps them: not counted in `keepLast`, not kept by `keepPushedWithinDays`. */
  | 'drop';

/** Which channel releases a policy never deletes: always each channel's current release, optionally every release on a channel. */
export type ChannelProtection = 'current' | 'all';

/** What an admin sets: at least one of `keepLast` and `keepPushedWithinDays`. */
export interface RetentionSettings {
  /** `*` any run of characters, `?` one, over the package's name (without the namespace); null: every package. */
  packagePattern: string | null;
  /** Keep the N highest releases by SemVer precedence; null: no such rule. */
  keepLast: number | null;
  /** Keep releases pushed within this many days (a release's newest manifest counts); null: no such rule. */
  keepPushedWithinDays: number | null;
  /**
   * Keep releases pulled within this many days (any media type, any protocol that records pulls);
   * absent or null: no such rule. Optional, added after the others: policies set before have none.
   */
  keepPulledWithinDays?: number | null;
  keepChannelReleases: ChannelProtection;
  prereleases: PrereleaseHandling;
}

export interface RetentionPolicy extends RetentionSettings {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export const MAX_RETENTION_POLICIES = 20;
/** The id of the site's default policy (configured by the operator); no namespace policy may take it. */
export const SITE_DEFAULT_POLICY_ID = 'site-default';
export const MAX_KEEP_LAST = 10_000;
export const MAX_KEEP_DAYS = 36_500;
const ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const PATTERN = /^[A-Za-z0-9._\-*?]{1,128}$/;
const FIELDS: Record<string, true> = {
  package: true,
  keep_last: true,
  keep_pushed_within_days: true,
  keep_pulled_within_days: true,
  keep_channel_releases: true,
  prereleases: true,
};

/** A policy id the admin chooses: lowercase letters, digits and inner hyphens, at most 64. */
export function parseRetentionPolicyId(value: unknown): string {
  if (typeof value !== 'string' || !ID.test(value))
    throw new InvalidUsageError('a retention policy id is 1 to 64 lowercase letters, digits and inner hyphens', {
      field: 'id',
    });
  if (value === SITE_DEFAULT_POLICY_ID)
    throw new InvalidUsageError(`'${SITE_DEFAULT_POLICY_ID}' names the site's default policy: choose another id`, {
      field: 'id',
    });
  return value;
}

/** Where the site's default comes from: set through the API (the site's stream), the configuration, or nowhere. */
export type SiteDefaultSource = 'api' | 'configuration' | 'none';

export interface SiteDefault {
  source: SiteDefaultSource;
  /** The policy `site-default`, or null when there is none. */
  policy: RetentionPolicy | null;
}

/**
 * The site's default policy, one rule for its precedence: once a site admin has set or deleted
 * the default through the API (`fromApi`, the site stream's policies: the view exists), the
 * stream decides, and a deleted default means none, whatever the configuration says; before
 * that, the operator's configuration (`WHARF_RETENTION_DEFAULT_POLICY`), if any.
 */
export function siteDefaultOf(
  fromApi: readonly RetentionPolicy[] | null,
  configured: RetentionSettings | null,
  since = '1970-01-01T00:00:00.000Z',
): SiteDefault {
  if (fromApi !== null) {
    const policy = fromApi.find((p) => p.id === SITE_DEFAULT_POLICY_ID) ?? null;
    return { source: policy ? 'api' : 'none', policy };
  }
  if (configured === null) return { source: 'none', policy: null };
  return {
    source: 'configuration',
    policy: { id: SITE_DEFAULT_POLICY_ID, ...configured, createdAt: since, updatedAt: since },
  };
}

/**
 * The policies that run in a namespace: its own, or, when it has none, the site's default
 * (`siteDefault`, siteDefaultOf's policy); none when neither exists. A namespace policy
 * overrides the default whole, whatever packages it covers.
 */
export function policiesInForce(
  own: readonly RetentionPolicy[],
  siteDefault: RetentionPolicy | null,
): RetentionPolicy[] {
  if (own.length > 0 || siteDefault === null) return [...own];
  return [siteDefault];
}

/**
 * Reads a policy's settings from a JSON object (`package`, `keep_last`,
 * `keep_pushed_within_days`, `keep_channel_releases`, `prereleases`); every field but one keep
 * rule is optional. Refuses unknown fields and any value out of range with InvalidUsageError(field).
 */
export function parseRetentionSettings(values: Record<string, unknown>): RetentionSettings {
  for (const key of Object.keys(values))
    if (!FIELDS[key])
      throw new InvalidUsageError(
        `unknown field '${key.slice(0, 64)}': give ${Object.keys(FIELDS)
          .map((f) => `'${f}'`)
          .join(', ')}`,
        { field: key.slice(0, 64) },
      );
  const settings: RetentionSettings = {
    packagePattern: pattern(values.package),
    keepLast: count(values.keep_last, 'keep_last', 0, MAX_KEEP_LAST),
    keepPushedWithinDays: count(values.keep_pushed_within_days, 'keep_pushed_within_days', 1, MAX_KEEP_DAYS),
    keepChannelReleases: oneOf(values.keep_channel_releases, 'keep_channel_releases', ['current', 'all'], 'current'),
    prereleases: oneOf(values.prereleases, 'prereleases', ['count', 'keep', 'drop'], 'count'),
  };
  const pulled = count(values.keep_pulled_within_days, 'keep_pulled_within_days', 1, MAX_KEEP_DAYS);
  if (pulled !== null) settings.keepPulledWithinDays = pulled;
  if (settings.keepLast === null && settings.keepPushedWithinDays === null && pulled === null)
    throw new InvalidUsageError(
      "a retention policy needs 'keep_last', 'keep_pushed_within_days' or 'keep_pulled_within_days'",
      { field: 'keep_last' },
    );
  return settings;
}

function pattern(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !PATTERN.test(value))
    throw new InvalidUsageError(
      "'package' must be a package name pattern: letters, digits, '.', '_', '-', '*' and '?', at most 128",
      { field: 'package' },
    );
  return value;
}

function count(value: unknown, field: string, min: number, max: number): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new InvalidUsageError(`'${field}' must be an integer from ${min} to ${max}`, { field });
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw new InvalidUsageError(`'${field}' must be ${allowed.map((a) => `'${a}'`).join(' or ')}`, { field });
  return value as T;
}

/**
 * Whether the policy covers the package named `name` (the part after the namespace): `*` is any
 * run of characters, `?` one character. Matched with one backtrack point (the last `*`), in at
 * most the pattern's length times the name's steps, never through a RegExp: a pattern of many stars must not let a namespace admin stall the
 * gateway (a backtracking `.*.*.*…x` takes seconds on a 60-character name).
 */
export function policyCovers(policy: Pick<RetentionSettings, 'packagePattern'>, name: string): boolean {
  const pattern = policy.packagePattern;
  if (pattern === null) return true;
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === name[n])) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

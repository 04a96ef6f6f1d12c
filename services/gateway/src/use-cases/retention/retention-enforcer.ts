import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import {
  AccountView,
  OPERATOR_ACTOR,
  RetentionDeletion,
  RetentionHold,
  RetentionPolicy,
  SITE_ACCOUNT,
  SiteDefault,
  policiesInForce,
  retentionPoliciesOf,
  siteDefaultOf,
  isNamespaceAccount,
} from '@wharf/domain';
import { ACCOUNT_STORE, AccountStore, PACKAGE_COMMANDS, PackageCommands } from '@wharf/ports';
import { AccountWriter } from '../../auth/account-writer';
import { RetentionPlanner } from './retention-planner';

/** The audit trail's actor for a scheduled run: the registry itself, as for the operator. */
const AUDIT_CHUNK = 500;
const ACCOUNT_PAGE = 200;

/**
 * Why a planned delete was skipped: `gone`, another delete removed the manifest first;
 * `superseded`, its release changed since the plan (RetentionSupersededError). Anything else,
 * a writer conflict (`resource-in-use`) or an outage, is a failure of the run, not a skip.
 */
export type RetentionSkipReason = 'gone' | 'superseded';

export interface RetentionSkip extends RetentionDeletion {
  reason: RetentionSkipReason;
  /** The writer's refusal, for the operator. */
  message: string;
}

/** What a run did: deleted (and audited), skipped with the reason, and what the grace of `keep_pulled_within_days` held. */
export interface RetentionRun {
  deleted: RetentionDeletion[];
  skipped: RetentionSkip[];
  held: RetentionHold[];
}

/** The codes of a skip (typed in-process, a wire error over the bus) and their reasons. */
const SKIP_REASONS: Readonly<Record<string, RetentionSkipReason>> = {
  'package-not-found': 'gone',
  'package-release-not-found': 'gone',
  'retention-superseded': 'superseded',
};

const skipReasonOf = (error: unknown): RetentionSkipReason | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(SKIP_REASONS, code) ? SKIP_REASONS[code] : undefined;
};

export interface RetentionSchedule {
  /** Seconds between runs over every namespace; 0: never. */
  intervalSeconds: number;
  /** Where a failed run is reported. */
  onError: (error: unknown) => void;
}

/**
 * Runs retention: plans a namespace, sends each deletion to the package's writer as an ordinary
 * `DeleteRelease` with the reason (`retention`, the policy), and records what was deleted in the
 * namespace's audit trail (`RetentionApplied`). A manifest another delete removed first is
 * skipped (`gone`) and not recorded, and so is one whose release changed since the plan
 * (`superseded`: pushed again, or made a channel's current release; the writer checks the run's
 * guard); the run's answer lists both with their reason. The writer decides each delete once, so two runs at the same time
 * (two gateways) delete each manifest once between them. Blobs follow through the blob
 * collector, as for any delete.
 */
@Injectable()
export class RetentionEnforcer implements OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly planner: RetentionPlanner,
    private readonly writer: AccountWriter,
    @Inject(ACCOUNT_STORE) private readonly accounts: AccountStore,
    @Inject(PACKAGE_COMMANDS) private readonly commands: PackageCommands,
    @Inject(WHARF_CONFIG) private readonly config: Pick<WharfConfig, 'retention'>,
  ) {}

  /** The site's default now: set through the API (the site's stream), else configured, else none (siteDefaultOf). */
  async siteDefault(): Promise<SiteDefault> {
    const site = await this.accounts.get(SITE_ACCOUNT);
    return siteDefaultOf(site ? retentionPoliciesOf(site) : null, this.config.retention.siteDefault);
  }

  /** The policies that run in `account`'s namespace: its own, else the site's default. */
  async policiesOf(account: AccountView, site?: SiteDefault): Promise<RetentionPolicy[]> {
    return policiesInForce(retentionPoliciesOf(account), (site ?? (await this.siteDefault())).policy);
  }

  /** One namespace, now; `actor` is who asked (the audit trail's actor). Returns what it deleted and skipped. */
  async enforce(namespace: string, actor: string, now: Date = new Date()): Promise<RetentionRun> {
    const account = await this.accounts.get(namespace);
    if (!isNamespaceAccount(account)) return { deleted: [], skipped: [], held: [] };
    const { deleted: planned, held } = await this.planner.plan(
      namespace,
      await this.policiesOf(account),
      now.toISOString(),
    );
    const correlationId = `retention-${randomUUID()}`;
    const deleted: RetentionDeletion[] = [];
    const skipped: RetentionSkip[] = [];
    // A delete that fails (an outage) ends the run, but what was deleted before it is audited first.
    let failure: { error: unknown } | null = null;
    for (const d of planned) {
      try {
        await this.commands.execute({
          type: 'DeleteRelease',
          package: d.package,
          release: d.release,
          mediaType: d.mediaType,
          reason: { kind: 'retention', policy: d.policy },
          guard: { blobDigest: d.blobDigest },
          meta: { commandId: randomUUID(), correlationId, issuedAt: new Date().toISOString() },
        });
        deleted.push(d);
      } catch (error) {
        const reason = skipReasonOf(error);
        if (reason === undefined) {
          failure = { error };
          break;
        }
        skipped.push({ ...d, reason, message: (error as Error).message });
      }
    }
    for (let i = 0; i < deleted.length; i += AUDIT_CHUNK)
      await this.writer.execute(
        namespace,
        { type: 'RecordRetention', deleted: deleted.slice(i, i + AUDIT_CHUNK) },
        actor,
      );
    if (failure) throw failure.error;
    return { deleted, skipped, held };
  }

  /** Every namespace that has policies in force, one after another; concurrent calls share the run in progress. */
  enforceAll(now: Date = new Date()): Promise<void> {
    this.running ??= this.everyNamespace(now).finally(() => (this.running = null));
    return this.running;
  }

  schedule({ intervalSeconds, onError }: RetentionSchedule): void {
    if (intervalSeconds === 0 || this.timer) return;
    this.timer = setInterval(() => void this.enforceAll().catch(onError), intervalSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** A namespace whose run fails does not stop the others; the first failure is thrown at the end. */
  private async everyNamespace(now: Date): Promise<void> {
    let failure: { error: unknown } | null = null;
    const site = await this.siteDefault();
    for (let after: string | undefined; ;) {
      const page = await this.accounts.list({ after, limit: ACCOUNT_PAGE });
      for (const entry of page) {
        try {
          const account = await this.accounts.get(entry.namespace);
          if (isNamespaceAccount(account) && (await this.policiesOf(account, site)).length > 0)
            await this.enforce(entry.namespace, OPERATOR_ACTOR, now);
        } catch (error) {
          failure ??= { error };
        }
      }
      if (page.length < ACCOUNT_PAGE) break;
      after = page[page.length - 1]!.namespace;
    }
    if (failure) throw failure.error;
  }
}

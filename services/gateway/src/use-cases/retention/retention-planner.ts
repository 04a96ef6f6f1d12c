import { Inject, Injectable } from '@nestjs/common';
import { PackageSummary, PullHistory, RetentionPlan, RetentionPolicy, retentionPlan } from '@wharf/domain';
import { PACKAGE_READER, PackageReader } from '@wharf/ports';
import { PullRecorder } from './pull-recorder';

const PAGE = 500;

/**
 * What retention would delete in a namespace at an instant: the domain's rule over every
 * package of the namespace, as the metadata projection holds it now. The dry run answers this;
 * a run deletes exactly this, computed the same way at the moment it starts. Last-pull times
 * are read (a page of packages at a time), with the instant pull records began, only when a
 * policy keeps releases by them. Also answers what the grace of `keep_pulled_within_days` holds
 * (retentionPlan's `held`), so a preview shows what goes later unless pulled.
 */
@Injectable()
export class RetentionPlanner {
  constructor(
    @Inject(PACKAGE_READER) private readonly packages: PackageReader,
    private readonly pulls: PullRecorder,
  ) {}

  async plan(namespace: string, policies: readonly RetentionPolicy[], now: string): Promise<RetentionPlan> {
    const plan: RetentionPlan = { deleted: [], held: [] };
    if (policies.length === 0) return plan;
    const byPulls = policies.some((p) => p.keepPulledWithinDays);
    const recordedSince = byPulls ? await this.pulls.recordedSince() : null;
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.packages.list({ namespace, visibleNamespaces: 'all', limit: PAGE, offset });
      const pulls = byPulls ? await this.lastPulls(page) : new Map<string, Map<string, string>>();
      for (const summary of page) {
        const view = await this.packages.get(summary.package);
        if (!view) continue;
        const history: PullHistory = { lastPulls: pulls.get(summary.package) ?? new Map(), recordedSince };
        const { deleted, held } = retentionPlan(view, policies, now, history);
        plan.deleted.push(...deleted);
        plan.held.push(...held);
      }
      if (page.length < PAGE) return plan;
    }
  }

  /** package → (release → last pull), for the page. */
  private async lastPulls(page: readonly PackageSummary[]): Promise<Map<string, Map<string, string>>> {
    const byPackage = new Map<string, Map<string, string>>();
    if (page.length === 0) return byPackage;
    for (const r of await this.pulls.lastPulls(page.map((s) => s.package))) {
      let releases = byPackage.get(r.package);
      if (!releases) byPackage.set(r.package, (releases = new Map()));
      releases.set(r.release, r.pulledAt);
    }
    return byPackage;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { PackageSummary, RetentionDeletion, RetentionPolicy, retentionDeletions } from '@wharf/domain';
import { PACKAGE_READER, PackageReader } from '@wharf/ports';
import { PullRecorder } from './pull-recorder';

const PAGE = 500;

/**
 * What retention would delete in a namespace at an instant: the domain's rule over every
 * package of the namespace, as the metadata projection holds it now. The dry run answers this;
 * a run deletes exactly this, computed the same way at the moment it starts. Last-pull times
 * are read (a page of packages at a time) only when a policy keeps releases by them.
 */
@Injectable()
export class RetentionPlanner {
  constructor(
    @Inject(PACKAGE_READER) private readonly packages: PackageReader,
    private readonly pulls: PullRecorder,
  ) {}

  async plan(namespace: string, policies: readonly RetentionPolicy[], now: string): Promise<RetentionDeletion[]> {
    if (policies.length === 0) return [];
    const deletions: RetentionDeletion[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.packages.list({ namespace, visibleNamespaces: 'all', limit: PAGE, offset });
      const pulls = await this.lastPulls(page, policies);
      for (const summary of page) {
        const view = await this.packages.get(summary.package);
        if (view) deletions.push(...retentionDeletions(view, policies, now, pulls.get(summary.package)));
      }
      if (page.length < PAGE) return deletions;
    }
  }

  /** package → (release → last pull), for the page; empty unless a policy keeps by pulls. */
  private async lastPulls(
    page: readonly PackageSummary[],
    policies: readonly RetentionPolicy[],
  ): Promise<Map<string, Map<string, string>>> {
    const byPackage = new Map<string, Map<string, string>>();
    if (page.length === 0 || !policies.some((p) => p.keepPulledWithinDays)) return byPackage;
    for (const r of await this.pulls.lastPulls(page.map((s) => s.package))) {
      let releases = byPackage.get(r.package);
      if (!releases) byPackage.set(r.package, (releases = new Map()));
      releases.set(r.release, r.pulledAt);
    }
    return byPackage;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { RetentionDeletion, RetentionPolicy, retentionDeletions } from '@wharf/domain';
import { PACKAGE_READER, PackageReader } from '@wharf/ports';

const PAGE = 500;

/**
 * What retention would delete in a namespace at an instant: the domain's rule over every
 * package of the namespace, as the metadata projection holds it now. The dry run answers this;
 * a run deletes exactly this, computed the same way at the moment it starts.
 */
@Injectable()
export class RetentionPlanner {
  constructor(@Inject(PACKAGE_READER) private readonly packages: PackageReader) {}

  async plan(namespace: string, policies: readonly RetentionPolicy[], now: string): Promise<RetentionDeletion[]> {
    if (policies.length === 0) return [];
    const deletions: RetentionDeletion[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.packages.list({ namespace, visibleNamespaces: 'all', limit: PAGE, offset });
      for (const summary of page) {
        const view = await this.packages.get(summary.package);
        if (view) deletions.push(...retentionDeletions(view, policies, now));
      }
      if (page.length < PAGE) return deletions;
    }
  }
}

/**
 * The access rules (libs/domain/src/accounts/access-policy.ts) applied to what the gateway
 * serves: the caller's role on a namespace, the namespaces whose private packages it may list,
 * and the one check every read of a package goes through, which answers a private package the
 * caller may not read exactly as a missing one.
 */
import { Injectable } from '@nestjs/common';
import {
  Caller,
  PackageNotFoundError,
  PackageView,
  Role,
  canRead,
  isUnrestricted,
  readableNamespaces,
  requireRole,
  roleIn,
} from '@wharf/domain';
import { AccountDirectory } from './account-directory';
import type { ChartReadAccess } from './chart-read-access';

@Injectable()
export class AccessControl {
  constructor(private readonly directory: AccountDirectory) {}

  async roleOn(caller: Caller, namespace: string): Promise<Role | null> {
    // Only a user or a robot needs the namespace's account: the rules decide the others alone.
    const needsAccount = !isUnrestricted(caller) && caller.kind !== 'anonymous';
    return roleIn(caller, namespace, needsAccount ? await this.directory.get(namespace) : null);
  }

  /** Throws 401/403 unless the caller holds `needed` on the namespace. */
  async require(caller: Caller, namespace: string, needed: Role): Promise<void> {
    requireRole(caller, namespace, await this.roleOn(caller, namespace), needed);
  }

  /** Throws package-not-found when the caller may not read the package. */
  async assertReadable(caller: Caller, view: Pick<PackageView, 'package' | 'namespace' | 'visibility'>): Promise<void> {
    if (view.visibility === 'public') return;
    if (!canRead(await this.roleOn(caller, view.namespace), view.visibility))
      throw new PackageNotFoundError(view.package);
  }

  /** What the Helm routes of `namespace` may show the caller: public charts, and private ones with `read`. */
  async chartAccess(caller: Caller, namespace: string): Promise<ChartReadAccess> {
    const role = await this.roleOn(caller, namespace);
    return { canRead: (ns, visibility) => visibility === 'public' || (ns === namespace && canRead(role, visibility)) };
  }

  async readableNamespaces(caller: Caller): Promise<readonly string[] | 'all'> {
    const memberships =
      caller.kind === 'user' && !caller.siteAdmin ? await this.directory.memberships(caller.name) : [];
    return readableNamespaces(
      caller,
      memberships.map((m) => m.namespace),
    );
  }
}

import { Inject, Injectable } from '@nestjs/common';
import {
  AccountExistsError,
  AccountNotFoundError,
  AccountView,
  Caller,
  ForbiddenError,
  Role,
  UnauthorizedError,
  isUnrestricted,
  isNamespaceAccount,
} from '@wharf/domain';
import { PACKAGE_READER, PackageReader } from '@wharf/ports';
import { AccessControl } from '../../auth/access-control';
import { AccountDirectory } from '../../auth/account-directory';

/** The user a `/user/...` route acts for: 401 for an anonymous caller, 403 for anyone but a user. */
export function requireUser(caller: Caller): string {
  if (caller.kind === 'user') return caller.name;
  if (caller.kind === 'anonymous') throw new UnauthorizedError();
  throw ForbiddenError.because('this endpoint is for user accounts');
}

/** The guards the account use cases share: the account a route names, and whether a name is free. */
@Injectable()
export class AccountLookup {
  constructor(
    private readonly directory: AccountDirectory,
    private readonly access: AccessControl,
    @Inject(PACKAGE_READER) private readonly packages: PackageReader,
  ) {}

  /** The namespace's account (a user or an organisation); account-not-found otherwise (the site's stream is no namespace). */
  async account(namespace: string): Promise<AccountView> {
    const view = await this.directory.get(namespace);
    if (!isNamespaceAccount(view)) throw new AccountNotFoundError('organization', namespace);
    return view;
  }

  /** The organisation, once the caller is known to hold `needed` on it (401/403 first). */
  async organization(caller: Caller, org: string, needed: Role): Promise<AccountView> {
    await this.access.require(caller, org, needed);
    const view = await this.account(org);
    if (view.kind !== 'organization') throw new AccountNotFoundError('organization', org);
    return view;
  }

  /**
   * A namespace that already holds packages (pushed in open mode, before accounts) is not handed
   * to whoever signs up first under its name; a site admin may create the account for it.
   */
  async assertUnclaimed(namespace: string, caller: Caller): Promise<void> {
    if (isUnrestricted(caller)) return;
    const packages = await this.packages.list({ namespace, visibleNamespaces: 'all', limit: 1 });
    if (packages.length > 0) throw new AccountExistsError(namespace);
  }
}

import { Injectable } from '@nestjs/common';
import { Caller } from '@wharf/domain';
import { AccountDirectory } from '../../auth/account-directory';
import { requireUser } from './account-lookup';

/** The calling user, whether a site admin, and its organisations with its role in each. */
@Injectable()
export class WhoamiUseCase {
  constructor(private readonly directory: AccountDirectory) {}

  async execute(caller: Caller) {
    const user = requireUser(caller);
    const memberships = await this.directory.memberships(user);
    const view = await this.directory.get(user);
    return {
      username: user,
      site_admin: view?.siteAdmin ?? false,
      organizations: memberships.map((m) => ({ name: m.namespace, role: m.role })),
    };
  }
}

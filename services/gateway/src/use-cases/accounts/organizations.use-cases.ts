import { Injectable } from '@nestjs/common';
import { AccountNotFoundError, Caller, Role, callerName, parseAccountName } from '@wharf/domain';
import { AccountDirectory } from '../../auth/account-directory';
import { AccountWriter } from '../../auth/account-writer';
import { organizationJson } from '../../presenters/accounts.presenter';
import type { RequestInput } from '../request-input';
import { AccountLookup, requireUser } from './account-lookup';

/** Organisations and their members: create one (its creator is its admin), show it, set or remove a member's role. */
@Injectable()
export class OrganizationsUseCases {
  constructor(
    private readonly writer: AccountWriter,
    private readonly directory: AccountDirectory,
    private readonly lookup: AccountLookup,
  ) {}

  /** `name` as the body gives it ('' when absent); the naming rules are checked here. */
  async create(caller: Caller, name: RequestInput<string>) {
    const owner = requireUser(caller);
    const org = parseAccountName(name());
    await this.lookup.assertUnclaimed(org, caller);
    return organizationJson(await this.writer.execute(org, { type: 'CreateOrganization', owner }, owner));
  }

  async show(caller: Caller, org: string) {
    return organizationJson(await this.lookup.organization(caller, org, 'read'));
  }

  async setMemberRole(caller: Caller, org: string, user: string, input: RequestInput<Role>) {
    await this.lookup.organization(caller, org, 'admin');
    const role = input();
    const member = await this.directory.get(parseAccountName(user));
    if (member?.kind !== 'user') throw new AccountNotFoundError('user', user);
    return organizationJson(await this.writer.execute(org, { type: 'SetMemberRole', user, role }, callerName(caller)));
  }

  async removeMember(caller: Caller, org: string, user: string) {
    await this.lookup.organization(caller, org, 'admin');
    return organizationJson(await this.writer.execute(org, { type: 'RemoveMember', user }, callerName(caller)));
  }
}

import { Injectable } from '@nestjs/common';
import { AccountNotFoundError, AccountView, Caller, Role, callerName, parseAccountName } from '@wharf/domain';
import { AccountDirectory } from '../../auth/account-directory';
import { AccountWriter } from '../../auth/account-writer';
import { TokenUseRecorder } from '../../auth/token-use-recorder';
import { organizationJson, robotName } from '../../presenters/accounts.presenter';
import type { RequestInput } from '../request-input';
import { AccountLookup, requireUser } from './account-lookup';

/** Organisations and their members: create one (its creator is its admin), show it, set or remove a member's role. */
@Injectable()
export class OrganizationsUseCases {
  constructor(
    private readonly writer: AccountWriter,
    private readonly directory: AccountDirectory,
    private readonly lookup: AccountLookup,
    private readonly tokenUses: TokenUseRecorder,
  ) {}

  /** `name` as the body gives it ('' when absent); the naming rules are checked here. */
  async create(caller: Caller, name: RequestInput<string>) {
    const owner = requireUser(caller);
    const org = parseAccountName(name());
    await this.lookup.assertUnclaimed(org, caller);
    return this.json(await this.writer.execute(org, { type: 'CreateOrganization', owner }, owner));
  }

  async show(caller: Caller, org: string) {
    return this.json(await this.lookup.organization(caller, org, 'read'));
  }

  async setMemberRole(caller: Caller, org: string, user: string, input: RequestInput<Role>) {
    await this.lookup.organization(caller, org, 'admin');
    const role = input();
    const member = await this.directory.get(parseAccountName(user));
    if (member?.kind !== 'user') throw new AccountNotFoundError('user', user);
    return this.json(await this.writer.execute(org, { type: 'SetMemberRole', user, role }, callerName(caller)));
  }

  async removeMember(caller: Caller, org: string, user: string) {
    await this.lookup.organization(caller, org, 'admin');
    return this.json(await this.writer.execute(org, { type: 'RemoveMember', user }, callerName(caller)));
  }

  /** The organisation with its robots' token last uses. */
  private async json(view: AccountView) {
    const robots = view.robots.map((r) => robotName(view.namespace, r.name));
    return organizationJson(view, robots.length > 0 ? await this.tokenUses.lastUses(robots) : new Map());
  }
}

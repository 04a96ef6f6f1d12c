import { Injectable } from '@nestjs/common';
import { Caller, ForbiddenError, NamespaceLimits, UnauthorizedError, callerName, isUnrestricted } from '@wharf/domain';
import { AccessControl } from '../../auth/access-control';
import { AccountWriter } from '../../auth/account-writer';
import { limitsJson } from '../../presenters/accounts.presenter';
import type { RequestInput } from '../request-input';
import { AccountLookup } from './account-lookup';

/** A namespace's limits: shown to its admins, set by the operator. */
@Injectable()
export class NamespaceLimitsUseCases {
  constructor(
    private readonly writer: AccountWriter,
    private readonly access: AccessControl,
    private readonly lookup: AccountLookup,
  ) {}

  async show(caller: Caller, namespace: string) {
    await this.access.require(caller, namespace, 'admin');
    return limitsJson((await this.lookup.account(namespace)).limits);
  }

  /** Limits are the operator's: only a site admin sets them. */
  async set(caller: Caller, namespace: string, input: RequestInput<NamespaceLimits>) {
    if (!isUnrestricted(caller)) {
      if (caller.kind === 'anonymous') throw new UnauthorizedError();
      throw ForbiddenError.because('only a site admin may set namespace limits', { namespace });
    }
    await this.lookup.account(namespace);
    const limits = input();
    return limitsJson((await this.writer.execute(namespace, { type: 'SetLimits', limits }, callerName(caller))).limits);
  }
}

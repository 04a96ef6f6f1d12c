import { Inject, Injectable } from '@nestjs/common';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import {
  Caller,
  ForbiddenError,
  RetentionSettings,
  SITE_ACCOUNT,
  UnauthorizedError,
  callerName,
  isUnrestricted,
} from '@wharf/domain';
import { AccountWriter } from '../../auth/account-writer';
import { siteDefaultJson } from '../../presenters/retention.presenter';
import type { RequestInput } from '../request-input';
import { RetentionEnforcer } from './retention-enforcer';

/**
 * The site's default retention policy, run in every namespace without a policy of its own: site
 * admins only (namespace admins get 403). Set and deleted as events of the site's stream
 * (SITE_ACCOUNT), so the change is audited with its actor; once set or deleted here, it takes
 * the place of the configuration's default (siteDefaultOf).
 */
@Injectable()
export class SiteRetentionDefaultUseCases {
  constructor(
    private readonly writer: AccountWriter,
    private readonly enforcer: RetentionEnforcer,
    @Inject(WHARF_CONFIG) private readonly config: Pick<WharfConfig, 'retention'>,
  ) {}

  async show(caller: Caller) {
    requireSiteAdmin(caller);
    return siteDefaultJson(await this.enforcer.siteDefault());
  }

  async set(caller: Caller, input: RequestInput<RetentionSettings>) {
    requireSiteAdmin(caller);
    const settings = input();
    await this.writer.execute(SITE_ACCOUNT, { type: 'SetSiteRetentionDefault', settings }, callerName(caller));
    return siteDefaultJson(await this.enforcer.siteDefault());
  }

  async delete(caller: Caller) {
    requireSiteAdmin(caller);
    const configured = this.config.retention.siteDefault !== null;
    await this.writer.execute(SITE_ACCOUNT, { type: 'DeleteSiteRetentionDefault', configured }, callerName(caller));
    return siteDefaultJson(await this.enforcer.siteDefault());
  }
}

function requireSiteAdmin(caller: Caller): void {
  if (isUnrestricted(caller)) return;
  if (caller.kind === 'anonymous') throw new UnauthorizedError();
  throw ForbiddenError.because("only a site admin may read or change the site's default retention policy");
}

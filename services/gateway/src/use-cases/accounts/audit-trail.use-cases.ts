import { Injectable } from '@nestjs/common';
import { Caller, Visibility, callerName } from '@wharf/domain';
import { AccessControl } from '../../auth/access-control';
import { AccountDirectory } from '../../auth/account-directory';
import { AccountWriter } from '../../auth/account-writer';
import { auditJson } from '../../presenters/accounts.presenter';
import type { RequestInput } from '../request-input';

/** A page of the audit trail: at most `limit` events, those before version `before` when given. */
export interface AuditPage {
  limit: number;
  before: number | undefined;
}

/** A namespace's audit trail (its account's events): read by its admins, and what the package writes add to it. */
@Injectable()
export class AuditTrailUseCases {
  constructor(
    private readonly writer: AccountWriter,
    private readonly directory: AccountDirectory,
    private readonly access: AccessControl,
  ) {}

  async list(caller: Caller, namespace: string, page: RequestInput<AuditPage>) {
    await this.access.require(caller, namespace, 'admin');
    const events = await this.directory.history(namespace, page());
    return events.map(auditJson);
  }

  /** Records a package's visibility change in its namespace's audit trail, when the namespace has an account. */
  async recordVisibility(caller: Caller, pkg: string, namespace: string, visibility: Visibility): Promise<void> {
    if (!(await this.directory.get(namespace))) return;
    await this.writer.execute(namespace, { type: 'RecordVisibility', package: pkg, visibility }, callerName(caller));
  }
}

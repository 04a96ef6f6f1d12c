import { Injectable } from '@nestjs/common';
import { Caller, RetentionSettings, callerName, findRetentionPolicy, retentionPoliciesOf } from '@wharf/domain';
import { AccessControl } from '../../auth/access-control';
import { AccountWriter } from '../../auth/account-writer';
import { retentionPolicyJson, retentionRunJson } from '../../presenters/retention.presenter';
import { AccountLookup } from '../accounts/account-lookup';
import type { RequestInput } from '../request-input';
import { RetentionEnforcer } from './retention-enforcer';
import { RetentionPlanner } from './retention-planner';

/**
 * A namespace's retention policies, its dry run and an on-demand run, for the namespace's
 * admins only (site admins hold admin everywhere). Policies are account events, so the audit
 * trail records each change with its actor.
 */
@Injectable()
export class RetentionPoliciesUseCases {
  constructor(
    private readonly writer: AccountWriter,
    private readonly access: AccessControl,
    private readonly lookup: AccountLookup,
    private readonly planner: RetentionPlanner,
    private readonly enforcer: RetentionEnforcer,
  ) {}

  async list(caller: Caller, namespace: string) {
    await this.access.require(caller, namespace, 'admin');
    return retentionPoliciesOf(await this.lookup.account(namespace)).map(retentionPolicyJson);
  }

  async get(caller: Caller, namespace: string, id: RequestInput<string>) {
    await this.access.require(caller, namespace, 'admin');
    return retentionPolicyJson(findRetentionPolicy(await this.lookup.account(namespace), id()));
  }

  async set(caller: Caller, namespace: string, input: RequestInput<{ id: string; settings: RetentionSettings }>) {
    await this.access.require(caller, namespace, 'admin');
    await this.lookup.account(namespace);
    const { id, settings } = input();
    const view = await this.writer.execute(namespace, { type: 'SetRetentionPolicy', id, settings }, callerName(caller));
    return retentionPolicyJson(findRetentionPolicy(view, id));
  }

  async delete(caller: Caller, namespace: string, id: RequestInput<string>) {
    await this.access.require(caller, namespace, 'admin');
    await this.lookup.account(namespace);
    await this.writer.execute(namespace, { type: 'DeleteRetentionPolicy', id: id() }, callerName(caller));
    return { status: 'ok' };
  }

  /** The dry run: what a run would delete now, deleting nothing. */
  async preview(caller: Caller, namespace: string, now: Date = new Date()) {
    await this.access.require(caller, namespace, 'admin');
    const policies = await this.enforcer.policiesOf(await this.lookup.account(namespace));
    return retentionRunJson(
      { ...(await this.planner.plan(namespace, policies, now.toISOString())), skipped: [] },
      true,
    );
  }

  /** A run now, as the schedule would make it, recorded under the caller's name. */
  async run(caller: Caller, namespace: string) {
    await this.access.require(caller, namespace, 'admin');
    await this.lookup.account(namespace);
    return retentionRunJson(await this.enforcer.enforce(namespace, callerName(caller)), false);
  }
}

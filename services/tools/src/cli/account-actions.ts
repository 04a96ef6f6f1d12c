/**
 * The account commands of `wharf` (users, orgs, tokens, limits): the same domain commands the
 * HTTP API sends, decided and appended by the gateway's AccountWriter to the account store of
 * the configured profile (embedded: <data>/accounts.db, also while the server runs; distributed:
 * MongoDB, WHARF_MONGO_URL). Every change is an event of the namespace's stream, its audit trail,
 * with the actor `-` (the operator: the configuration or this CLI). Passwords are hashed here and
 * never printed; the output is the account as the API shows it, one JSON object on stdout.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { MongoAccountStore } from '@wharf/adapters/account-store-mongo';
import { SqliteAccountStore } from '@wharf/adapters/account-store-sqlite';
import { WharfConfig, requireSettings } from '@wharf/config';
import {
  AccountCommand,
  AccountNotFoundError,
  AccountView,
  NamespaceLimits,
  OPERATOR_ACTOR,
  assertNewPassword,
  splitRobotAccount,
} from '@wharf/domain';
import { AccountDirectory, AccountWriter, hashPassword, limitsJson, organizationJson, tokenJson } from '@wharf/gateway';
import type { AccountEntry, AccountStore } from '@wharf/ports';
import type { LimitsChange } from './program';

const LIST_PAGE = 500;

export class AccountAdmin {
  private readonly writer: AccountWriter;
  private readonly directory: AccountDirectory;

  constructor(
    private readonly store: AccountStore,
    private readonly out: (json: object) => void,
  ) {
    this.directory = new AccountDirectory(store);
    this.writer = new AccountWriter(store, this.directory);
  }

  static async open(config: WharfConfig, out: (json: object) => void): Promise<AccountAdmin> {
    if (config.profile !== 'distributed') {
      mkdirSync(config.dataDir, { recursive: true });
      const store = new SqliteAccountStore({
        path: join(config.dataDir, 'accounts.db'),
        synchronous: config.sqlite.synchronous,
      });
      return new AccountAdmin(store, out);
    }
    requireSettings(config, 'mongo');
    const mongo = config.distributed.mongo!;
    return new AccountAdmin(await MongoAccountStore.connect({ url: mongo.url, database: mongo.database }), out);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  async list(kind: AccountEntry['kind']): Promise<number> {
    for (let after: string | undefined; ;) {
      const page = await this.store.list({ ...(after === undefined ? {} : { after }), limit: LIST_PAGE });
      for (const entry of page) if (entry.kind === kind) this.out({ name: entry.namespace, kind });
      if (page.length < LIST_PAGE) return 0;
      after = page[page.length - 1]!.namespace;
    }
  }

  async showUser(user: string): Promise<number> {
    const view = await this.store.get(user);
    if (view?.kind !== 'user') throw new AccountNotFoundError('user', user);
    return this.show(view);
  }

  async createUser(user: string, password: string, admin: boolean): Promise<number> {
    const passwordHash = await hashPassword(assertNewPassword(password));
    return this.show(await this.execute(user, { type: 'RegisterUser', passwordHash, siteAdmin: admin }));
  }

  async resetPassword(user: string, password: string): Promise<number> {
    const passwordHash = await hashPassword(assertNewPassword(password));
    return this.show(await this.execute(user, { type: 'ChangePassword', passwordHash }));
  }

  async makeAdmin(user: string, siteAdmin: boolean): Promise<number> {
    return this.show(await this.execute(user, { type: 'SetSiteAdmin', siteAdmin }));
  }

  async disable(user: string, disabled: boolean): Promise<number> {
    return this.show(await this.execute(user, { type: 'SetUserDisabled', disabled }));
  }

  async createOrganization(org: string, owner: string): Promise<number> {
    const view = await this.store.get(owner);
    if (view?.kind !== 'user') throw new AccountNotFoundError('user', owner);
    return this.show(await this.execute(org, { type: 'CreateOrganization', owner }));
  }

  async showOrganization(org: string): Promise<number> {
    const view = await this.store.get(org);
    if (view?.kind !== 'organization') throw new AccountNotFoundError('organization', org);
    return this.show(view);
  }

  async revokeToken(account: string, tokenId: string): Promise<number> {
    const robot = splitRobotAccount(account);
    const namespace = robot ? robot.org : account;
    return this.show(await this.execute(namespace, { type: 'RevokeToken', robot: robot?.robot ?? null, tokenId }));
  }

  async showLimits(namespace: string): Promise<number> {
    this.out({ namespace, limits: limitsJson((await this.account(namespace)).limits) });
    return 0;
  }

  async setLimits(namespace: string, change: LimitsChange): Promise<number> {
    const limits: NamespaceLimits = { ...(await this.account(namespace)).limits, ...change };
    const view = await this.execute(namespace, { type: 'SetLimits', limits });
    this.out({ namespace, limits: limitsJson(view.limits) });
    return 0;
  }

  private async account(namespace: string): Promise<AccountView> {
    const view = await this.store.get(namespace);
    if (!view) throw new AccountNotFoundError('organization', namespace);
    return view;
  }

  private execute(namespace: string, command: AccountCommand): Promise<AccountView> {
    return this.writer.execute(namespace, command, OPERATOR_ACTOR);
  }

  private show(view: AccountView): number {
    if (view.kind === 'organization') this.out({ kind: 'organization', ...organizationJson(view) });
    else
      this.out({
        kind: 'user',
        name: view.namespace,
        site_admin: view.siteAdmin,
        disabled: view.disabled ?? false,
        tokens: view.tokens.map((t) => tokenJson(t)),
      });
    return 0;
  }
}

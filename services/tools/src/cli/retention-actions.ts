/**
 * The retention commands of `wharf` (`wharf retention show|set|delete|preview|run`, `wharf
 * retention default show|set|delete`): the
 * gateway's own use cases over the configured profile's stores, so the CLI answers what the API
 * answers. `show`, `set` and `delete` write the namespace's account stream (the
 * site's default: the site's stream) through the
 * AccountWriter (actor `-`, the operator), as `wharf limits` does, also while the server runs.
 * `preview` reads the package views and last pulls (embedded: the data directory's files, also
 * while the server runs; distributed: MongoDB). `run` deletes through the package writers:
 * embedded, in this process on the locked data directory (refused while a server holds it: use
 * `POST .../retention/run` then); distributed, over the command bus to the metadata service.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MongoAccountStore } from '@wharf/adapters/account-store-mongo';
import { SqliteAccountStore } from '@wharf/adapters/account-store-sqlite';
import { MongoMetadataStore } from '@wharf/adapters/metadata-mongo';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { MongoPullRecordStore } from '@wharf/adapters/pull-records-mongo';
import { SqlitePullRecordStore } from '@wharf/adapters/pull-records-sqlite';
import { WharfConfig, requireSettings } from '@wharf/config';
import {
  AccountNotFoundError,
  AccountView,
  OPERATOR_ACTOR,
  RetentionSettings,
  SITE_ACCOUNT,
  SITE_DEFAULT_POLICY_ID,
  findRetentionPolicy,
  retentionPoliciesOf,
  isNamespaceAccount,
} from '@wharf/domain';
import {
  AccountDirectory,
  AccountWriter,
  PullRecorder,
  RetentionEnforcer,
  RetentionPlanner,
  retentionPolicyJson,
  retentionRunJson,
  siteDefaultJson,
} from '@wharf/gateway';
import type { AccountStore, PackageCommands, PackageReader, PullRecordStore } from '@wharf/ports';
import { openImportTarget } from '../import-targets';

interface Closable {
  close(): Promise<void>;
}

/** The stores a retention command reads; `commands` only for a run. */
interface RetentionStores {
  accounts: AccountStore;
  packages: PackageReader & Closable;
  pulls: PullRecordStore;
  commands: PackageCommands | null;
  close(): Promise<void>;
}

const NO_COMMANDS: PackageCommands = {
  execute: () => Promise.reject(new Error('a preview sends no command')),
};

async function openStores(config: WharfConfig, forRun: boolean): Promise<RetentionStores> {
  const opened: Closable[] = [];
  try {
    // The writers first: an embedded run takes the data directory's lock before anything else.
    const target = forRun ? await openImportTarget(config) : null;
    if (target) opened.push({ close: async () => (await target.settle(), await target.close()) });
    let stores: Omit<RetentionStores, 'commands' | 'close'>;
    if (config.profile !== 'distributed') {
      mkdirSync(config.dataDir, { recursive: true });
      const file = (name: string) => join(config.dataDir, name);
      const sync = config.sqlite.synchronous;
      stores = {
        accounts: new SqliteAccountStore({ path: file('accounts.db'), synchronous: sync }),
        packages: new SqliteMetadataStore({ path: file('metadata.db'), viewCacheBytes: 0 }),
        pulls: new SqlitePullRecordStore({ path: file('pulls.db'), synchronous: sync }),
      };
    } else {
      requireSettings(config, 'mongo');
      const mongo = { url: config.distributed.mongo!.url, database: config.distributed.mongo!.database };
      stores = {
        accounts: await MongoAccountStore.connect(mongo),
        packages: await MongoMetadataStore.connectReader(mongo),
        pulls: await MongoPullRecordStore.connect(mongo),
      };
    }
    opened.unshift(stores.accounts, stores.packages, stores.pulls);
    return {
      ...stores,
      commands: target?.commands ?? null,
      close: async () => {
        for (const c of opened) await c.close();
      },
    };
  } catch (error) {
    for (const c of opened) await c.close().catch(() => undefined);
    throw error;
  }
}

export class RetentionAdmin {
  private constructor(
    private readonly config: WharfConfig,
    private readonly stores: RetentionStores,
    private readonly out: (json: object) => void,
  ) {}

  static async open(config: WharfConfig, out: (json: object) => void, forRun = false): Promise<RetentionAdmin> {
    return new RetentionAdmin(config, await openStores(config, forRun), out);
  }

  close(): Promise<void> {
    return this.stores.close();
  }

  /** The namespace's own policies, the site's default, and which of them runs. */
  async show(namespace: string): Promise<number> {
    const own = retentionPoliciesOf(await this.account(namespace));
    const site = (await this.enforcer().siteDefault()).policy;
    this.out({
      namespace,
      policies: own.map(retentionPolicyJson),
      in_force: own.length > 0 ? 'own' : site ? SITE_DEFAULT_POLICY_ID : 'none',
    });
    return 0;
  }

  async set(namespace: string, id: string, settings: RetentionSettings): Promise<number> {
    await this.account(namespace);
    const view = await this.writer().execute(namespace, { type: 'SetRetentionPolicy', id, settings }, OPERATOR_ACTOR);
    this.out({ namespace, policy: retentionPolicyJson(findRetentionPolicy(view, id)) });
    return 0;
  }

  async delete(namespace: string, id: string): Promise<number> {
    await this.account(namespace);
    await this.writer().execute(namespace, { type: 'DeleteRetentionPolicy', id }, OPERATOR_ACTOR);
    this.out({ namespace, deleted: id });
    return 0;
  }

  /** What a run would delete now: the API's preview. */
  async preview(namespace: string, now = new Date()): Promise<number> {
    const enforcer = this.enforcer();
    const policies = await enforcer.policiesOf(await this.account(namespace));
    const plan = await this.planner().plan(namespace, policies, now.toISOString());
    this.out({ namespace, ...retentionRunJson({ ...plan, skipped: [] }, true) });
    return 0;
  }

  /** A run now, recorded under the operator; exit 0 (what it skipped is in the answer, not a failure). */
  async run(namespace: string): Promise<number> {
    await this.account(namespace);
    this.out({ namespace, ...retentionRunJson(await this.enforcer().enforce(namespace, OPERATOR_ACTOR), false) });
    return 0;
  }

  /** The site's default and where it comes from (the API's GET /api/v1/retention/default). */
  async siteDefault(): Promise<number> {
    this.out({ site_default: siteDefaultJson(await this.enforcer().siteDefault()) });
    return 0;
  }

  /** Sets the site's default on the site's stream (actor `-`): from then on it takes the configuration's place. */
  async setSiteDefault(settings: RetentionSettings): Promise<number> {
    await this.writer().execute(SITE_ACCOUNT, { type: 'SetSiteRetentionDefault', settings }, OPERATOR_ACTOR);
    return this.siteDefault();
  }

  /** Deletes the site's default: none runs from then on, the configuration's included. */
  async deleteSiteDefault(): Promise<number> {
    const configured = this.config.retention.siteDefault !== null;
    await this.writer().execute(SITE_ACCOUNT, { type: 'DeleteSiteRetentionDefault', configured }, OPERATOR_ACTOR);
    return this.siteDefault();
  }

  private writer(): AccountWriter {
    return new AccountWriter(this.stores.accounts, new AccountDirectory(this.stores.accounts));
  }

  private planner(): RetentionPlanner {
    return new RetentionPlanner(this.stores.packages, new PullRecorder(this.stores.pulls, this.config));
  }

  private enforcer(): RetentionEnforcer {
    return new RetentionEnforcer(
      this.planner(),
      this.writer(),
      this.stores.accounts,
      this.stores.commands ?? NO_COMMANDS,
      this.config,
    );
  }

  private async account(namespace: string): Promise<AccountView> {
    const view = await this.stores.accounts.get(namespace);
    if (!isNamespaceAccount(view)) throw new AccountNotFoundError('organization', namespace);
    return view;
  }
}

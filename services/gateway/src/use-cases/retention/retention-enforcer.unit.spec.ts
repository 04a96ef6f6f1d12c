import { SqlitePullRecordStore } from '@wharf/adapters/pull-records-sqlite';
import type { WharfConfig } from '@wharf/config';
import { SqliteAccountStore } from '@wharf/adapters/account-store-sqlite';
import { WireError } from '@wharf/contracts';
import {
  PackageCommand,
  PackageEvent,
  RetentionSettings,
  ConcurrencyConflictError,
  ServiceUnavailableError,
  decide,
  emptyPackageView,
  evolve,
} from '@wharf/domain';
import type { PackageCommands } from '@wharf/ports';
import { InMemoryMetadataStore, addedToChannel, foldEvents, published } from '@wharf/testing';
import { AccountDirectory } from '../../auth/account-directory';
import { AccountWriter } from '../../auth/account-writer';
import { RetentionEnforcer } from './retention-enforcer';
import { PullRecorder } from './pull-recorder';
import { RetentionPlanner } from './retention-planner';

const KEEP_ONE: RetentionSettings = {
  packagePattern: null,
  keepLast: 1,
  keepPushedWithinDays: null,
  keepChannelReleases: 'current',
  prereleases: 'count',
};

/** A package writer in miniature: decide over the stored view, fold, store; records every event. */
function writerOver(
  store: InMemoryMetadataStore,
  appended: PackageEvent[],
  refuse?: (c: PackageCommand) => boolean,
  outage?: (c: PackageCommand) => boolean,
  conflict?: (c: PackageCommand) => boolean,
) {
  const commands: PackageCommands = {
    async execute(command) {
      if (refuse?.(command)) throw new WireError('package-release-not-found', 'gone', {});
      if (outage?.(command)) throw new ServiceUnavailableError('metadata service');
      if (conflict?.(command)) throw new ConcurrencyConflictError(command.package, 3, 4);
      const view = (await store.get(command.package)) ?? emptyPackageView(command.package);
      const events = decide(command, view);
      const next = events.reduce(
        (v, e, i) =>
          evolve(v, {
            ...e,
            package: command.package,
            sequence: view.sequence + i + 1,
            occurredAt: command.meta.issuedAt,
            causationId: command.meta.commandId,
          } as never),
        view,
      );
      await store.put(next, view.sequence);
      appended.push(...events);
      return { sequences: [], visibility: next.visibility };
    },
  };
  return commands;
}

async function world(
  refuse?: (c: PackageCommand) => boolean,
  options: {
    outage?: (c: PackageCommand) => boolean;
    conflict?: (c: PackageCommand) => boolean;
    extra?: boolean;
    siteDefault?: RetentionSettings;
  } = {},
) {
  const accounts = new SqliteAccountStore({ path: ':memory:' });
  const writer = new AccountWriter(accounts, new AccountDirectory(accounts));
  const packages = new InMemoryMetadataStore();
  const appended: PackageEvent[] = [];
  for (const [pkg, releases] of [
    ['acme/app', ['1.0.0', '1.1.0', '1.2.0']],
    ['other/app', ['1.0.0', '1.1.0']],
    ...(options.extra ? ([['acme/api', ['1.0.0', '2.0.0', '3.0.0']]] as const) : []),
  ] as const) {
    const view = foldEvents(pkg, [
      ...releases.map((release) => published({ release })),
      addedToChannel({ channel: 'stable', release: '1.0.0' }),
    ]);
    await packages.put(view, 0);
  }
  for (const ns of ['acme', 'other']) await writer.execute(ns, { type: 'CreateOrganization', owner: 'alice' }, 'alice');
  await writer.execute('acme', { type: 'SetRetentionPolicy', id: 'keep-one', settings: KEEP_ONE }, 'alice');
  const config = {
    retention: { intervalSeconds: 0, pullRecordIntervalSeconds: 60, siteDefault: options.siteDefault ?? null },
  } as WharfConfig;
  const planner = new RetentionPlanner(
    packages,
    new PullRecorder(new SqlitePullRecordStore({ path: ':memory:' }), config),
  );
  const enforcer = new RetentionEnforcer(
    planner,
    writer,
    accounts,
    writerOver(packages, appended, refuse, options.outage, options.conflict),
    config,
  );
  return { accounts, packages, appended, planner, enforcer };
}

describe('RetentionEnforcer', () => {
  it('should delete what the plan names through the writer, with the policy as the reason, and record it in the audit trail', async () => {
    const { accounts, appended, planner, enforcer } = await world();
    const now = new Date('2026-06-01T00:00:00Z');
    const plan = await planner.plan('acme', (await accounts.get('acme'))!.retention!, now.toISOString());
    const { deleted, skipped } = await enforcer.enforce('acme', 'alice', now);
    expect(deleted).toEqual(plan.deleted);
    expect(skipped).toEqual([]);
    expect(deleted.map((d) => d.release)).toEqual(['1.1.0']);
    expect(appended).toEqual([
      expect.objectContaining({
        type: 'ReleaseDeleted',
        data: expect.objectContaining({ release: '1.1.0', reason: { kind: 'retention', policy: 'keep-one' } }),
      }),
    ]);
    const [last] = await accounts.history('acme', { limit: 1 });
    expect(last).toMatchObject({ type: 'RetentionApplied', actor: 'alice', data: { deleted } });
    expect(await planner.plan('acme', (await accounts.get('acme'))!.retention!, now.toISOString())).toEqual({
      deleted: [],
      held: [],
    });
  });

  it('should skip as gone, and not record, a manifest another delete removed first', async () => {
    const { accounts, enforcer } = await world(() => true);
    expect(await enforcer.enforce('acme', 'alice')).toEqual({
      deleted: [],
      skipped: [expect.objectContaining({ package: 'acme/app', release: '1.1.0', reason: 'gone', message: 'gone' })],
      held: [],
    });
    const [last] = await accounts.history('acme', { limit: 1 });
    expect(last!.type).toBe('RetentionPolicySet');
  });

  it("should skip as superseded, and not record, a release that became a channel's current after the plan", async () => {
    const { accounts, packages, appended, planner, enforcer } = await world();
    const view = (await packages.get('acme/app'))!;
    const plan = planner.plan.bind(planner);
    // The plan is made, then a channel moves onto 1.1.0 before the delete reaches the writer.
    jest.spyOn(planner, 'plan').mockImplementation(async (...args) => {
      const planned = await plan(...args);
      const beta = { name: 'beta', current: '1.1.0', releases: ['1.1.0'] };
      await packages.put({ ...view, sequence: view.sequence + 1, channels: [beta, ...view.channels] }, view.sequence);
      return planned;
    });
    expect(await enforcer.enforce('acme', 'alice')).toEqual({
      deleted: [],
      skipped: [
        {
          package: 'acme/app',
          release: '1.1.0',
          mediaType: expect.any(String),
          policy: 'keep-one',
          blobDigest: expect.any(String),
          reason: 'superseded',
          message: expect.stringContaining('superseded'),
        },
      ],
      held: [],
    });
    expect(appended).toEqual([]);
    expect((await accounts.history('acme', { limit: 1 }))[0]!.type).toBe('RetentionPolicySet');
  });

  it('should run every namespace that has policies, and only those, as the operator', async () => {
    const { accounts, packages, enforcer } = await world();
    await enforcer.enforceAll();
    expect((await packages.get('acme/app'))!.manifests.map((m) => m.release)).toEqual(['1.0.0', '1.2.0']);
    expect((await packages.get('other/app'))!.manifests.map((m) => m.release)).toEqual(['1.0.0', '1.1.0']);
    expect((await accounts.history('acme', { limit: 1 }))[0]!.actor).toBe('-');
  });

  it("should run the site's default in a namespace without policies, and a namespace's own policies instead of it", async () => {
    const { accounts, packages, appended, enforcer } = await world(undefined, {
      siteDefault: { ...KEEP_ONE, keepLast: 0 },
    });
    await enforcer.enforceAll();
    // other has no policy: the default (keep none but the channel's current) deleted 1.1.0.
    expect((await packages.get('other/app'))!.manifests.map((m) => m.release)).toEqual(['1.0.0']);
    // acme's own keep-one overrides it: 1.2.0 is kept.
    expect((await packages.get('acme/app'))!.manifests.map((m) => m.release)).toEqual(['1.0.0', '1.2.0']);
    expect(
      appended.map((e) => [(e.data as { release: string }).release, (e.data as { reason?: unknown }).reason]),
    ).toEqual(
      expect.arrayContaining([
        ['1.1.0', { kind: 'retention', policy: 'keep-one' }],
        ['1.1.0', { kind: 'retention', policy: 'site-default' }],
      ]),
    );
    expect((await accounts.history('other', { limit: 1 }))[0]!.type).toBe('RetentionApplied');
  });

  it('should audit what it deleted before a delete failed, and pass the failure on', async () => {
    const failing = (c: PackageCommand) => c.package === 'acme/app';
    const { accounts, appended, enforcer } = await world(undefined, { outage: failing, extra: true });
    await expect(enforcer.enforce('acme', 'alice')).rejects.toThrow(ServiceUnavailableError);
    expect(appended.map((e) => e.type)).toEqual(['ReleaseDeleted']);
    const [last] = await accounts.history('acme', { limit: 1 });
    expect(last).toMatchObject({
      type: 'RetentionApplied',
      data: { deleted: [{ package: 'acme/api', release: '2.0.0' }] },
    });
  });

  it('should fail on a writer conflict, not skip it as superseded, after auditing what it deleted', async () => {
    const conflict = (c: PackageCommand) => c.package === 'acme/app';
    const { accounts, appended, enforcer } = await world(undefined, { conflict, extra: true });
    await expect(enforcer.enforce('acme', 'alice')).rejects.toThrow(ConcurrencyConflictError);
    expect(appended.map((e) => e.type)).toEqual(['ReleaseDeleted']);
    const [last] = await accounts.history('acme', { limit: 1 });
    expect(last).toMatchObject({ type: 'RetentionApplied', data: { deleted: [{ package: 'acme/api' }] } });
  });

  it('should go on to the other namespaces when one fails, then report the failure', async () => {
    const { accounts, packages, enforcer } = await world(undefined, { outage: (c) => c.package.startsWith('acme/') });
    await packages.put(
      foldEvents(
        'other/api',
        ['1.0.0', '2.0.0'].map((release) => published({ release })),
      ),
      0,
    );
    const writer = new AccountWriter(accounts, new AccountDirectory(accounts));
    await writer.execute('other', { type: 'SetRetentionPolicy', id: 'keep-one', settings: KEEP_ONE }, 'alice');
    await expect(enforcer.enforceAll()).rejects.toThrow(ServiceUnavailableError);
    expect((await packages.get('other/api'))!.manifests.map((m) => m.release)).toEqual(['2.0.0']);
    expect((await accounts.history('other', { limit: 1 }))[0]!.type).toBe('RetentionApplied');
  });
});

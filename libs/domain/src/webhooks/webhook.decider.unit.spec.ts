import { WebhookNotFoundError } from '../errors';
import { AccountCommand, decideAccount, evolveAccount } from '../accounts/account.decider';
import type { RecordedAccountEvent } from '../accounts/account.events';
import { AccountView, webhooksOf } from '../accounts/account.view';
import { SECRET_ROTATION_OVERLAP_MS, WebhookSettings, signingSecrets, webhookWants } from './webhook';

const T0 = Date.UTC(2026, 0, 1);
const at = (version: number) => new Date(T0 + version * 1000).toISOString();

/** given(commands) / when(command) / then(view): each command decided on the fold so far, one second apart. */
function run(commands: AccountCommand[]): AccountView {
  return commands.reduce<AccountView | null>(
    (view, command) =>
      decideAccount(view, 'acme', command).reduce<AccountView | null>((v, e) => {
        const version = (v?.version ?? 0) + 1;
        const recorded = { namespace: 'acme', version, ...e, actor: 'alice', occurredAt: at(version) };
        return evolveAccount(v, recorded as RecordedAccountEvent);
      }, view),
    null,
  )!;
}

const settings = (over: Partial<WebhookSettings> = {}): WebhookSettings => ({
  url: 'https://ci.example/hook',
  events: ['release.published'],
  package: null,
  ...over,
});
const org: AccountCommand = { type: 'CreateOrganization', owner: 'alice' };
const create = (id = 'w1', over: Partial<WebhookSettings> = {}): AccountCommand => ({
  type: 'CreateWebhook',
  id,
  settings: settings(over),
  sealedSecret: `sealed-${id}`,
});

describe('webhook subscriptions in the account stream', () => {
  it('should create an active subscription with its sealed secret, created at the event time', () => {
    const [webhook] = webhooksOf(run([org, create()]));
    expect(webhook).toEqual({
      id: 'w1',
      ...settings(),
      active: true,
      secrets: [{ sealed: 'sealed-w1', until: null }],
      createdAt: at(2),
      updatedAt: at(2),
    });
  });

  it('should keep the replaced secret signing for the rotation overlap after a new one is set', () => {
    const now = at(3);
    const view = run([
      org,
      create(),
      { type: 'ChangeWebhook', id: 'w1', settings: settings({ url: 'https://cd.example/' }), sealedSecret: 'new', now },
    ]);
    const [webhook] = webhooksOf(view);
    const until = new Date(Date.parse(now) + SECRET_ROTATION_OVERLAP_MS).toISOString();
    expect(webhook!.url).toBe('https://cd.example/');
    expect(webhook!.secrets).toEqual([
      { sealed: 'new', until: null },
      { sealed: 'sealed-w1', until },
    ]);
    expect(signingSecrets(webhook!, now).map((s) => s.sealed)).toEqual(['new', 'sealed-w1']);
    expect(signingSecrets(webhook!, until).map((s) => s.sealed)).toEqual(['new']);
  });

  it('should keep the secrets when a change sets none', () => {
    const view = run([
      org,
      create(),
      {
        type: 'ChangeWebhook',
        id: 'w1',
        settings: settings({ events: ['release.deleted'] }),
        sealedSecret: null,
        now: at(3),
      },
    ]);
    expect(webhooksOf(view)[0]!.secrets).toEqual([{ sealed: 'sealed-w1', until: null }]);
    expect(webhooksOf(view)[0]!.events).toEqual(['release.deleted']);
  });

  it('should pause, resume and delete, and record nothing for a pause of a paused subscription', () => {
    const paused = run([org, create(), { type: 'SetWebhookActive', id: 'w1', active: false }]);
    expect(webhooksOf(paused)[0]!.active).toBe(false);
    expect(decideAccount(paused, 'acme', { type: 'SetWebhookActive', id: 'w1', active: false })).toEqual([]);
    const deleted = run([org, create(), create('w2'), { type: 'DeleteWebhook', id: 'w1' }]);
    expect(webhooksOf(deleted).map((w) => w.id)).toEqual(['w2']);
  });

  it('should refuse changes to a subscription that does not exist', () => {
    const view = run([org, create()]);
    for (const command of [
      { type: 'DeleteWebhook', id: 'nope' },
      { type: 'SetWebhookActive', id: 'nope', active: false },
      { type: 'ChangeWebhook', id: 'nope', settings: settings(), sealedSecret: null, now: at(9) },
    ] as AccountCommand[]) {
      expect(() => decideAccount(view, 'acme', command)).toThrow(WebhookNotFoundError);
    }
  });
});

describe('webhookWants', () => {
  const [webhook] = webhooksOf(run([org, create('w1', { package: 'web', events: ['release.published'] })]));
  it('should want only its kinds, its package, events after its creation, and nothing while paused', () => {
    expect(webhookWants(webhook!, 'release.published', 'acme/web', at(5))).toBe(true);
    expect(webhookWants(webhook!, 'release.deleted', 'acme/web', at(5))).toBe(false);
    expect(webhookWants(webhook!, 'release.published', 'acme/api', at(5))).toBe(false);
    expect(webhookWants(webhook!, 'release.published', 'acme/web', at(1))).toBe(false);
    expect(webhookWants({ ...webhook!, active: false }, 'release.published', 'acme/web', at(5))).toBe(false);
    expect(webhookWants({ ...webhook!, package: null }, 'release.published', 'acme/api', at(5))).toBe(true);
  });
});

/**
 * Webhooks end to end: an embedded Wharf (authentication enforced, 127.0.0.1 allowed as a
 * target by configuration, short backoff) and a receiver that is a process of its own
 * (test/support/webhook-receiver-server.mjs). Every delivery is checked as a receiver would: the Standard
 * Webhooks signature with the subscription's secret, webhook-id equal to the CloudEvent id, and
 * no id twice once acknowledged. A second Wharf without that permission shows the SSRF guard.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartArchive, eventually } from '@wharf/testing';
import { Receiver, acknowledged, startReceiver, verifiedBy } from '../support/webhook-receiver';
import { WharfProcess, startWharf } from '../support/wharf-process';

jest.setTimeout(120_000);

const ADMIN = 'root';
const PASSWORD = 'root-secret-0a1b2c3d';
const SECRET = 'whsec-e2e-0123456789abcdef';
const AUTH = `Basic ${Buffer.from(`${ADMIN}:${PASSWORD}`).toString('base64')}`;
const WAIT = 30_000;
const verified = verifiedBy(SECRET);

async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<WharfProcess> {
  return startWharf({
    WHARF_DATA_DIR: dataDir,
    WHARF_AUTH_MODE: 'enforced',
    WHARF_ADMIN_USERNAME: ADMIN,
    WHARF_ADMIN_PASSWORD: PASSWORD,
    WHARF_WEBHOOK_ALLOW_PRIVATE: 'true',
    WHARF_WEBHOOK_BACKOFF_BASE_MS: '100',
    WHARF_WEBHOOK_BACKOFF_MAX_MS: '400',
    WHARF_WEBHOOK_MAX_ATTEMPTS: '4',
    WHARF_WEBHOOK_TIMEOUT_SECONDS: '5',
    // Debug logging: the secret must not be in the log at any level.
    WHARF_LOG_LEVEL: 'debug',
    ...env,
  });
}

function client(base: () => string) {
  return async (method: string, path: string, body?: unknown, authorization: string | null = AUTH) => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(authorization ? { authorization } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, text, json: (): any => JSON.parse(text) };
  };
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('webhooks (embedded)', () => {
  let dataDir: string;
  let wharf: WharfProcess;
  let receiver: Receiver;
  const http = client(() => wharf.url);
  const hooks = `/api/v1/namespaces/${ADMIN}/webhooks`;

  const push = async (name: string, release: string, archive = chartArchive({ name, version: release })) => {
    const res = await http('POST', `/cnr/api/v1/packages/${ADMIN}/${name}`, {
      release,
      media_type: 'helm',
      blob: archive.toString('base64'),
    });
    expect([res.status, res.text]).toEqual([200, expect.any(String)]);
    return archive;
  };
  const subscribe = async (path: string, body: Record<string, unknown>) => {
    const res = await http('POST', hooks, { url: `${receiver.url}${path}`, secret: SECRET, ...body });
    expect([res.status, res.text]).toEqual([201, expect.any(String)]);
    return res.json() as { id: string };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-webhooks-'));
    receiver = await startReceiver();
    wharf = await startServer(dataDir);
  });

  afterAll(async () => {
    await wharf?.kill('SIGTERM');
    receiver?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should refuse bad subscriptions with 400 and write nothing, let only namespace admins in, and never return the secret', async () => {
    const bad: Record<string, unknown>[] = [
      { url: 'ftp://x/', events: ['release.published'], secret: SECRET },
      { url: `${receiver.url}/x`, events: ['push'], secret: SECRET },
      { url: `${receiver.url}/x`, events: ['release.published'], secret: 'short' },
      { url: `${receiver.url}/x`, events: ['release.published'], secret: SECRET, package: 'other/pkg' },
      { url: `${receiver.url}/x`, events: ['release.published'], secret: SECRET, extra: 1 },
    ];
    for (const body of bad) {
      const res = await http('POST', hooks, body);
      expect([res.status, res.json().code]).toEqual([400, expect.stringMatching(/^invalid-/)]);
      expect(res.json().error.code).toBe(res.json().code);
    }
    expect((await http('GET', hooks)).json()).toEqual([]);

    expect(
      (await http('POST', '/api/v1/users', { user: { username: 'mallory', password: 'mallory-pw-123456' } })).status,
    ).toBe(201);
    const mallory = `Basic ${Buffer.from('mallory:mallory-pw-123456').toString('base64')}`;
    expect((await http('GET', hooks, undefined, mallory)).status).toBe(403);
    expect(
      (await http('POST', hooks, { url: `${receiver.url}/m`, events: ['release.published'], secret: SECRET }, mallory))
        .status,
    ).toBe(403);
    expect((await http('GET', hooks, undefined, null)).status).toBe(401);

    const created = await http('POST', hooks, {
      url: `${receiver.url}/never`,
      events: ['release.deleted'],
      package: 'nothing-here',
      secret: SECRET,
    });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(SECRET);
    expect(created.json()).toMatchObject({ package: `${ADMIN}/nothing-here`, active: true, failing: false });
    const id = created.json().id;
    expect((await http('GET', `${hooks}/${id}`)).text).not.toContain(SECRET);
    const audit = await http('GET', `/api/v1/namespaces/${ADMIN}/audit`);
    expect(audit.text).not.toContain(SECRET);
    expect(audit.json()[0]).toMatchObject({ type: 'WebhookCreated', actor: ADMIN, data: { id, secret_set: true } });
    expect((await http('PATCH', `${hooks}/${id}`, { events: [] })).status).toBe(400);
    expect((await http('GET', `${hooks}/${id}`)).json().events).toEqual(['release.deleted']);
    expect((await http('DELETE', `${hooks}/${id}`)).status).toBe(200);
    expect((await http('GET', `${hooks}/${id}`)).status).toBe(404);
    expect(wharf.output()).toContain('WebhooksController');
    expect(wharf.output()).not.toContain(SECRET);
  });

  it('should deliver every event type of a package, signed, in log order, with digests and pull URLs', async () => {
    await subscribe('/all-types', {
      package: 'kinds',
      events: [
        'release.published',
        'release.deleted',
        'channel.changed',
        'package.visibility_changed',
        'package.deleted',
      ],
    });
    const archive = await push('kinds', '1.0.0');
    expect((await http('POST', `/cnr/api/v1/packages/${ADMIN}/kinds/channels/stable/1.0.0`)).status).toBe(200);
    expect(
      (await http('PUT', `/cnr/api/v1/packages/${ADMIN}/kinds/visibility`, { visibility: 'private' })).status,
    ).toBe(200);
    expect((await http('DELETE', `/cnr/api/v1/packages/${ADMIN}/kinds/1.0.0/helm`)).status).toBe(200);
    await push('other', '1.0.0');

    const expected = [
      ['io.wharf.release.published', `${ADMIN}/kinds@1.0.0`],
      ['io.wharf.channel.changed', `${ADMIN}/kinds`],
      ['io.wharf.package.visibility_changed', `${ADMIN}/kinds`],
      // Deleting the last manifest: the release, hence the package, then its channel's release and the channel.
      ['io.wharf.release.deleted', `${ADMIN}/kinds@1.0.0`],
      ['io.wharf.package.deleted', `${ADMIN}/kinds`],
      ['io.wharf.channel.changed', `${ADMIN}/kinds`],
      ['io.wharf.channel.changed', `${ADMIN}/kinds`],
    ];
    await eventually(
      async () => expect(acknowledged(await receiver.received('/all-types'))).toHaveLength(expected.length),
      WAIT,
    );
    const events = (await receiver.received('/all-types')).map(verified);
    expect(events.map((e) => [e.type, e.subject])).toEqual(expected);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events[0]).toMatchObject({
      source: `${wharf.url}/${ADMIN}`,
      data: {
        package: `${ADMIN}/kinds`,
        release: '1.0.0',
        mediaType: 'helm',
        digest: `sha256:${sha256(archive)}`,
        size: archive.length,
        pullUrls: {
          appr: `${wharf.url}/cnr/api/v1/packages/${ADMIN}/kinds/1.0.0/helm/pull`,
          helm: `${wharf.url}/helm/${ADMIN}/charts/kinds-1.0.0.tgz`,
        },
      },
    });
    expect(events.map((e) => e.data.change ?? null).filter(Boolean)).toEqual([
      'release-added',
      'release-removed',
      'deleted',
    ]);
  });

  it("should keep each package's order under 8 concurrent pushers to a slow receiver, and send no acknowledged id twice", async () => {
    await receiver.control('/order', { delayMs: 40, random: true });
    await subscribe('/order', { events: ['release.published'] });
    const packages = ['ord-a', 'ord-b', 'ord-c', 'ord-d'];
    const releases = Array.from({ length: 6 }, (_, i) => `1.${i}.0`);
    const jobs = packages.flatMap((name) => releases.map((release) => ({ name, release })));
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = worker; i < jobs.length; i += 8) await push(jobs[i]!.name, jobs[i]!.release);
      }),
    );
    await eventually(
      async () => expect(acknowledged(await receiver.received('/order'))).toHaveLength(jobs.length),
      WAIT,
    );
    const events = (await receiver.received('/order')).map(verified);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const name of packages) {
      const sequences = events
        .filter((e) => e.data.package === `${ADMIN}/${name}`)
        .map((e) => e.data.sequence as number);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      expect(sequences).toHaveLength(releases.length);
    }
  });

  it('should retry after 500s with the same id, log every attempt, and redeliver on request', async () => {
    await receiver.control('/flaky', { fail: 2 });
    const { id } = await subscribe('/flaky', { package: 'flaky', events: ['release.published'] });
    await push('flaky', '1.0.0');
    await eventually(async () => expect(acknowledged(await receiver.received('/flaky'))).toHaveLength(1), WAIT);
    const arrivals = await receiver.received('/flaky');
    expect(arrivals.map((r) => r.status)).toEqual([500, 500, 204]);
    expect(new Set(arrivals.map((r) => verified(r).id)).size).toBe(1);

    const log = await http('GET', `${hooks}/${id}/deliveries`);
    expect(log.status).toBe(200);
    const [delivery] = log.json();
    expect(delivery).toMatchObject({ event_id: verified(arrivals[0]!).id, state: 'delivered', tries: 3 });
    expect(delivery.attempts.map((a: { status: number }) => a.status)).toEqual([204, 500, 500]);
    expect(delivery.attempts[1]).toMatchObject({ response: 'receiver says no', latency_ms: expect.any(Number) });
    expect((await http('GET', `${hooks}/${id}/deliveries/${delivery.id}`)).json().payload.id).toBe(delivery.event_id);

    expect((await http('POST', `${hooks}/${id}/deliveries/${delivery.id}/redeliver`)).status).toBe(202);
    await eventually(async () => expect(acknowledged(await receiver.received('/flaky'))).toHaveLength(2), WAIT);
    const again = acknowledged(await receiver.received('/flaky')).map(verified);
    expect(again[1]!.id).toBe(again[0]!.id);
    expect((await http('POST', `${hooks}/${id}/deliveries/999999/redeliver`)).status).toBe(404);
  });

  it('should mark a subscription failing when its retries are used up, hold its later events, and deliver them in order once resumed', async () => {
    await receiver.control('/down', { status: 503 });
    const { id } = await subscribe('/down', { package: 'down', events: ['release.published'] });
    await push('down', '1.0.0');
    await push('down', '1.1.0');
    await eventually(
      async () =>
        expect((await http('GET', `${hooks}/${id}`)).json()).toMatchObject({ failing: true, pending_deliveries: 2 }),
      WAIT,
    );
    expect((await receiver.received('/down')).map((r) => r.status)).toEqual([503, 503, 503, 503]);

    await receiver.control('/down', { status: 200 });
    expect((await http('POST', `${hooks}/${id}/resume`)).json()).toMatchObject({ failing: false });
    await eventually(async () => expect(acknowledged(await receiver.received('/down'))).toHaveLength(2), WAIT);
    expect(acknowledged(await receiver.received('/down')).map((r) => verified(r).data.release)).toEqual([
      '1.0.0',
      '1.1.0',
    ]);
  });

  it("should deliver an organisation's membership changes and a user's token changes, signed and in order, to namespace subscriptions that ask", async () => {
    const org = 'hooks-org';
    expect((await http('POST', '/api/v1/organizations', { name: org })).status).toBe(201);
    const members = await http('POST', `/api/v1/namespaces/${org}/webhooks`, {
      url: `${receiver.url}/members`,
      secret: SECRET,
      events: ['member.changed'],
    });
    expect([members.status, members.text]).toEqual([201, expect.any(String)]);
    await subscribe('/tokens', { events: ['token.changed'] });
    await subscribe('/tokens-of-one-package', { package: 'kinds', events: ['token.changed'] });
    const carol = { user: { username: 'carol', password: 'carol-pw-12345678' } };
    expect((await http('POST', '/api/v1/users', carol)).status).toBe(201);
    expect((await http('PUT', `/api/v1/organizations/${org}/members/carol`, { role: 'write' })).status).toBe(200);
    expect((await http('PUT', `/api/v1/organizations/${org}/members/carol`, { role: 'admin' })).status).toBe(200);
    expect((await http('DELETE', `/api/v1/organizations/${org}/members/carol`)).status).toBeLessThan(300);
    const token = await http('POST', '/api/v1/user/tokens', { label: 'ci' });
    expect(token.status).toBe(201);
    const tokenId = token.json().id as string;
    expect((await http('DELETE', `/api/v1/user/tokens/${tokenId}`)).status).toBeLessThan(300);

    await eventually(async () => expect(acknowledged(await receiver.received('/members'))).toHaveLength(3), WAIT);
    await eventually(async () => expect(acknowledged(await receiver.received('/tokens'))).toHaveLength(2), WAIT);
    const memberEvents = acknowledged(await receiver.received('/members')).map(verified);
    expect(memberEvents.map((e) => [e.type, e.source, e.data.member, e.data.change, e.data.role])).toEqual([
      ['io.wharf.member.changed', `${wharf.url}/${org}`, 'carol', 'role-set', 'write'],
      ['io.wharf.member.changed', `${wharf.url}/${org}`, 'carol', 'role-set', 'admin'],
      ['io.wharf.member.changed', `${wharf.url}/${org}`, 'carol', 'removed', null],
    ]);
    expect(memberEvents.every((e) => e.data.actor === ADMIN)).toBe(true);
    const tokenEvents = (await receiver.received('/tokens')).map((r) => [verified(r), r.body] as const);
    expect(tokenEvents.map(([e]) => [e.type, e.data.change, e.data.tokenId])).toEqual([
      ['io.wharf.token.changed', 'issued', tokenId],
      ['io.wharf.token.changed', 'revoked', tokenId],
    ]);
    const secretText = Object.values(token.json()).find((v) => typeof v === 'string' && v.length > 30) as string;
    expect(tokenEvents.some(([, body]) => body.includes('secretHash') || body.includes(secretText))).toBe(false);
    expect(await receiver.received('/tokens-of-one-package')).toEqual([]);
  });

  it('should deliver nothing while paused', async () => {
    const { id } = await subscribe('/paused', { package: 'paused', events: ['release.published'] });
    expect((await http('POST', `${hooks}/${id}/pause`)).json().active).toBe(false);
    await push('paused', '1.0.0');
    await push('kinds', '9.0.0');
    // The log is in order: once a later event reached another subscription, the paused one had its turn.
    const { id: witness } = await subscribe('/witness', { package: 'paused', events: ['release.published'] });
    await push('paused', '2.0.0');
    await eventually(async () => expect(acknowledged(await receiver.received('/witness'))).toHaveLength(1), WAIT);
    expect(await receiver.received('/paused')).toEqual([]);
    expect((await http('GET', `${hooks}/${witness}`)).json().active).toBe(true);
  });
});

describe('webhooks (embedded): SSRF guard', () => {
  let dataDir: string;
  let wharf: WharfProcess;
  let receiver: Receiver;
  const http = client(() => wharf.url);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-webhooks-ssrf-'));
    receiver = await startReceiver();
    wharf = await startServer(dataDir, {
      WHARF_WEBHOOK_ALLOW_PRIVATE: 'false',
      WHARF_WEBHOOK_MAX_ATTEMPTS: '1',
      WHARF_WEBHOOK_WHEN_FAILING: 'drop',
    });
  });

  afterAll(async () => {
    await wharf?.kill('SIGTERM');
    receiver?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should refuse loopback targets, by address and by a name that resolves to one, and say so in the delivery log', async () => {
    const port = new URL(receiver.url).port;
    const targets = [
      `http://127.0.0.1:${port}/ssrf-ip`,
      `http://localhost:${port}/ssrf-name`,
      `http://[::1]:${port}/ssrf-v6`,
    ];
    const ids: string[] = [];
    for (const url of targets) {
      const res = await http('POST', `/api/v1/namespaces/${ADMIN}/webhooks`, {
        url,
        events: ['release.published'],
        secret: SECRET,
      });
      expect(res.status).toBe(201);
      ids.push(res.json().id);
    }
    await http('POST', `/cnr/api/v1/packages/${ADMIN}/ssrf`, {
      release: '1.0.0',
      media_type: 'helm',
      blob: chartArchive({ name: 'ssrf', version: '1.0.0' }).toString('base64'),
    });
    for (const id of ids) {
      await eventually(async () => {
        const [delivery] = (await http('GET', `/api/v1/namespaces/${ADMIN}/webhooks/${id}/deliveries`)).json();
        expect(delivery.attempts[0]).toMatchObject({
          status: null,
          error: expect.stringMatching(/^refused: .* non-public address/),
        });
      }, WAIT);
      expect((await http('GET', `/api/v1/namespaces/${ADMIN}/webhooks/${id}`)).json().failing).toBe(true);
    }
    for (const path of ['/ssrf-ip', '/ssrf-name', '/ssrf-v6']) expect(await receiver.received(path)).toEqual([]);
  });

  it('should drop what a failing subscription is owed under the drop policy, and queue nothing new for it', async () => {
    const hooks = `/api/v1/namespaces/${ADMIN}/webhooks`;
    const push = async (release: string) =>
      expect(
        (
          await http('POST', `/cnr/api/v1/packages/${ADMIN}/dropped`, {
            release,
            media_type: 'helm',
            blob: chartArchive({ name: 'dropped', version: release }).toString('base64'),
          })
        ).status,
      ).toBe(200);
    const subscribe = async () => {
      const res = await http('POST', hooks, {
        url: 'http://127.0.0.1:9/x',
        events: ['release.published'],
        package: 'dropped',
        secret: SECRET,
      });
      expect(res.status).toBe(201);
      return res.json().id as string;
    };
    const deliveries = async (id: string) => (await http('GET', `${hooks}/${id}/deliveries`)).json();
    const failing = await subscribe();
    await push('1.0.0');
    await eventually(async () => expect((await http('GET', `${hooks}/${failing}`)).json().failing).toBe(true), WAIT);
    const witness = await subscribe();
    await push('2.0.0');
    // The log is in order: once the witness has 2.0.0, the failing subscription had its turn at it.
    await eventually(async () => expect((await deliveries(witness))[0]?.attempts).toHaveLength(1), WAIT);
    expect((await deliveries(failing)).map((d: { state: string }) => d.state)).toEqual(['dropped']);
  });

  it('should record a secret sealed under another key as a failed attempt, saying so', async () => {
    const res = await http('POST', `/api/v1/namespaces/${ADMIN}/webhooks`, {
      url: 'https://hooks.example/rekeyed',
      events: ['release.published'],
      secret: SECRET,
    });
    expect(res.status).toBe(201);
    await wharf.kill('SIGTERM');
    wharf = await startServer(dataDir, {
      WHARF_WEBHOOK_MAX_ATTEMPTS: '1',
      WHARF_WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
    });
    await http('POST', `/cnr/api/v1/packages/${ADMIN}/rekeyed`, {
      release: '1.0.0',
      media_type: 'helm',
      blob: chartArchive({ name: 'rekeyed', version: '1.0.0' }).toString('base64'),
    });
    await eventually(async () => {
      const [delivery] = (await http('GET', `/api/v1/namespaces/${ADMIN}/webhooks/${res.json().id}/deliveries`)).json();
      expect(delivery.attempts[0]).toMatchObject({
        status: null,
        error: expect.stringMatching(/secret cannot be opened/),
      });
    }, WAIT);
  });
});

describe('webhooks (embedded): killed mid-delivery', () => {
  let dataDir: string;
  let wharf: WharfProcess;
  let receiver: Receiver;
  const http = client(() => wharf.url);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-webhooks-kill-'));
    receiver = await startReceiver();
    wharf = await startServer(dataDir);
  });

  afterAll(async () => {
    await wharf?.kill('SIGKILL');
    receiver?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const push = async (release: string) => {
    const res = await http('POST', `/cnr/api/v1/packages/${ADMIN}/crash`, {
      release,
      media_type: 'helm',
      blob: chartArchive({ name: 'crash', version: release }).toString('base64'),
    });
    expect(res.status).toBe(200);
  };

  it('should deliver every event after SIGKILL during a send and a restart, and never resend what was acknowledged', async () => {
    const created = await http('POST', `/api/v1/namespaces/${ADMIN}/webhooks`, {
      url: `${receiver.url}/crash`,
      events: ['release.published'],
      secret: SECRET,
    });
    expect(created.status).toBe(201);
    await push('1.0.0');
    await eventually(async () => expect(acknowledged(await receiver.received('/crash'))).toHaveLength(1), WAIT);

    await receiver.control('/crash', { delayMs: 60_000 });
    await push('1.1.0');
    await push('1.2.0');
    await eventually(async () => expect(await receiver.received('/crash')).toHaveLength(2), WAIT);
    await wharf.kill('SIGKILL');
    await receiver.control('/crash', { delayMs: 0 });
    wharf = await startServer(dataDir);

    await eventually(async () => expect(acknowledged(await receiver.received('/crash'))).toHaveLength(3), WAIT);
    const arrivals = await receiver.received('/crash');
    const releases = arrivals.map((r) => verified(r).data.release);
    // 1.1.0 arrived while the process died (never answered), then again after the restart.
    expect(releases).toEqual(['1.0.0', '1.1.0', '1.1.0', '1.2.0']);
    expect(arrivals.map((r) => r.answered)).toEqual([true, false, true, true]);
    expect(verified(arrivals[1]!).id).toBe(verified(arrivals[2]!).id);
  });
});

/**
 * Webhooks in the distributed profile: the webhook service follows the events topic as consumer
 * group `webhooks`, keeps its outbox in MongoDB and sends to a receiver process on 127.0.0.1
 * (allowed by configuration). Killed with SIGKILL while the receiver holds a request and started
 * again, it delivers every event, the interrupted one again under the same id, and nothing the
 * receiver acknowledged twice.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartArchive, eventually } from '@wharf/testing';
import { Receiver, acknowledged, startReceiver, verifiedBy } from '../support/webhook-receiver';
import { DistributedStack } from './support/distributed-stack';

jest.setTimeout(300_000);

const ADMIN = 'root';
const PASSWORD = 'root-secret-0a1b2c3d';
const AUTH = `Basic ${Buffer.from(`${ADMIN}:${PASSWORD}`).toString('base64')}`;
const SECRET = 'whsec-distributed-0123456789';
const PUBLIC_URL = 'http://registry.example';
const verified = verifiedBy(SECRET);
const runId = `w${Date.now().toString(36)}`;
const stack = new DistributedStack({
  runId,
  logDir: mkdtempSync(join(tmpdir(), `wharf-webhooks-${runId}-`)),
  overrides: {
    WHARF_AUTH_MODE: 'enforced',
    WHARF_ADMIN_USERNAME: ADMIN,
    WHARF_ADMIN_PASSWORD: PASSWORD,
    WHARF_PUBLIC_URL: PUBLIC_URL,
    WHARF_WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
    WHARF_WEBHOOK_ALLOW_PRIVATE: 'true',
    WHARF_WEBHOOK_BACKOFF_BASE_MS: '100',
    WHARF_WEBHOOK_BACKOFF_MAX_MS: '400',
  },
});
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  await stack.up();
  await stack.start('webhooks');
});

afterAll(async () => {
  await stack.down();
  receiver?.child.kill('SIGKILL');
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.url('gateway')}${path}`, {
    method,
    headers: { authorization: AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text };
}

async function push(release: string) {
  const res = await call('POST', `/cnr/api/v1/packages/${ADMIN}/hooked`, {
    release,
    media_type: 'helm',
    blob: chartArchive({ name: 'hooked', version: release, salt: runId }).toString('base64'),
  });
  expect([res.status, res.text]).toEqual([200, expect.any(String)]);
}

it('should deliver signed CloudEvents from the events topic, and every one of them after a SIGKILL mid-send', async () => {
  const created = await call('POST', `/api/v1/namespaces/${ADMIN}/webhooks`, {
    url: `${receiver.url}/dist`,
    events: ['release.published'],
    secret: SECRET,
  });
  expect([created.status, created.text]).toEqual([201, expect.not.stringContaining(SECRET)]);
  await push('1.0.0');
  await eventually(async () => expect(acknowledged(await receiver.received('/dist'))).toHaveLength(1), 60_000);
  expect(verified((await receiver.received('/dist'))[0]!)).toMatchObject({
    type: 'io.wharf.release.published',
    source: `${PUBLIC_URL}/${ADMIN}`,
    subject: `${ADMIN}/hooked@1.0.0`,
  });

  await receiver.control('/dist', { delayMs: 120_000 });
  await push('1.1.0');
  await push('1.2.0');
  await eventually(async () => expect(await receiver.received('/dist')).toHaveLength(2), 60_000);
  await stack.kill('webhooks');
  await receiver.control('/dist', { delayMs: 0 });
  await stack.start('webhooks');

  await eventually(async () => expect(acknowledged(await receiver.received('/dist'))).toHaveLength(3), 60_000);
  const arrivals = await receiver.received('/dist');
  expect(arrivals.map((r) => verified(r).data.release)).toEqual(['1.0.0', '1.1.0', '1.1.0', '1.2.0']);
  expect(arrivals.map((r) => r.answered)).toEqual([true, false, true, true]);
  expect(new Set(acknowledged(arrivals).map((r) => verified(r).id)).size).toBe(3);

  const id = JSON.parse(created.text).id;
  const log = JSON.parse((await call('GET', `/api/v1/namespaces/${ADMIN}/webhooks/${id}/deliveries`)).text);
  expect(log.map((d: { state: string }) => d.state)).toEqual(['delivered', 'delivered', 'delivered']);
});

it("should deliver an organisation's membership changes, enqueued by the gateway that appended them and sent by the webhook service", async () => {
  const org = `${runId}-org`;
  expect((await call('POST', '/api/v1/organizations', { name: org })).status).toBe(201);
  const created = await call('POST', `/api/v1/namespaces/${org}/webhooks`, {
    url: `${receiver.url}/members`,
    events: ['member.changed'],
    secret: SECRET,
  });
  expect([created.status, created.text]).toEqual([201, expect.any(String)]);
  const user = `${runId}-dave`;
  expect((await call('POST', '/api/v1/users', { user: { username: user, password: 'dave-pw-12345678' } })).status).toBe(
    201,
  );
  expect((await call('PUT', `/api/v1/organizations/${org}/members/${user}`, { role: 'read' })).status).toBe(200);
  expect((await call('DELETE', `/api/v1/organizations/${org}/members/${user}`)).status).toBeLessThan(300);
  await eventually(async () => expect(acknowledged(await receiver.received('/members'))).toHaveLength(2), 60_000);
  expect(
    acknowledged(await receiver.received('/members'))
      .map(verified)
      .map((e) => [e.type, e.source, e.data.member, e.data.change]),
  ).toEqual([
    ['io.wharf.member.changed', `${PUBLIC_URL}/${org}`, user, 'role-set'],
    ['io.wharf.member.changed', `${PUBLIC_URL}/${org}`, user, 'removed'],
  ]);
});

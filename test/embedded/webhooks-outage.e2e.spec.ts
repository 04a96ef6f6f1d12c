/**
 * A receiver that is down while pushes happen (issue 20, "after it is down for 30 s"): the
 * receiver process stops listening for OUTAGE_MS (connections refused), pushes go on meanwhile,
 * then it listens again on the same port. The retry schedule is set so that the attempts span
 * the outage (WHARF_WEBHOOK_BACKOFF_BASE_MS=200, _MAX_MS=2000, WHARF_WEBHOOK_MAX_ATTEMPTS=60:
 * at least ~55 s of retries with the jitter at its lowest); with the defaults (10 s doubling to an
 * hour, 8 attempts) the same outage is ridden out with hours to spare. Checked as a receiver
 * would: every event acknowledged, signed, once, in log order per package; the delivery log
 * shows the refused attempts; /metrics counts the retries and ends with nothing pending.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartArchive, eventually, parsePrometheusText, sumOfSamples } from '@wharf/testing';
import { Receiver, acknowledged, startReceiver, verifiedBy } from '../support/webhook-receiver';
import { WharfProcess, startWharf } from '../support/wharf-process';

const OUTAGE_MS = 30_000;
jest.setTimeout(OUTAGE_MS + 150_000);

const ADMIN = 'root';
const AUTH = `Basic ${Buffer.from(`${ADMIN}:root-secret-0a1b2c3d`).toString('base64')}`;
const SECRET = 'whsec-outage-0123456789abcdef';
const verified = verifiedBy(SECRET);

describe('webhooks (embedded): a receiver down for a while', () => {
  let dataDir: string;
  let wharf: WharfProcess;
  let receiver: Receiver;

  const http = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${wharf.url}${path}`, {
      method,
      headers: { authorization: AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) };
  };
  const push = async (name: string, release: string) => {
    const res = await http('POST', `/cnr/api/v1/packages/${ADMIN}/${name}`, {
      release,
      media_type: 'helm',
      blob: chartArchive({ name, version: release }).toString('base64'),
    });
    expect([res.status, res.text]).toEqual([200, expect.any(String)]);
  };
  const metric = async (name: string) => sumOfSamples(parsePrometheusText((await http('GET', '/metrics')).text), name);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-webhooks-outage-'));
    receiver = await startReceiver();
    wharf = await startWharf({
      WHARF_DATA_DIR: dataDir,
      WHARF_AUTH_MODE: 'enforced',
      WHARF_ADMIN_USERNAME: ADMIN,
      WHARF_ADMIN_PASSWORD: 'root-secret-0a1b2c3d',
      WHARF_WEBHOOK_ALLOW_PRIVATE: 'true',
      WHARF_WEBHOOK_BACKOFF_BASE_MS: '200',
      WHARF_WEBHOOK_BACKOFF_MAX_MS: '2000',
      WHARF_WEBHOOK_MAX_ATTEMPTS: '60',
      WHARF_WEBHOOK_TIMEOUT_SECONDS: '5',
    });
  });

  afterAll(async () => {
    await wharf?.kill('SIGTERM');
    receiver?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should deliver every event pushed during the outage once it is back, in order per package, none lost, none twice', async () => {
    const created = await http('POST', `/api/v1/namespaces/${ADMIN}/webhooks`, {
      url: `${receiver.url}/outage`,
      secret: SECRET,
      events: ['release.published'],
    });
    expect([created.status, created.text]).toEqual([201, expect.any(String)]);
    const hook = created.json().id as string;
    await push('out-a', '0.1.0');
    await eventually(async () => expect(acknowledged(await receiver.received('/outage'))).toHaveLength(1), 30_000);

    await receiver.outage(OUTAGE_MS);
    await expect(fetch(`${receiver.url}/_received/outage`)).rejects.toThrow();
    const packages = ['out-a', 'out-b', 'out-c'];
    const releases = ['1.0.0', '1.1.0', '1.2.0', '1.3.0'];
    const jobs = packages.flatMap((name) => releases.map((release) => ({ name, release })));
    await Promise.all(
      [0, 1, 2].map(async (worker) => {
        for (let i = worker; i < jobs.length; i += 3) await push(jobs[i]!.name, jobs[i]!.release);
      }),
    );
    // The receiver is still down: the delivery log shows refused attempts, and nothing is failing yet.
    const refused = await eventually(async () => {
      const log = (await http('GET', `/api/v1/namespaces/${ADMIN}/webhooks/${hook}/deliveries`)).json();
      const attempts = log.flatMap((d: { attempts: { status: number | null; error: string | null }[] }) => d.attempts);
      expect(attempts.filter((a: { status: number | null }) => a.status === null).length).toBeGreaterThan(0);
      return attempts.filter((a: { status: number | null }) => a.status === null);
    }, 30_000);
    expect(refused[0].error).toMatch(/ECONNREFUSED/);

    const total = 1 + jobs.length;
    await eventually(
      async () => expect(acknowledged(await receiver.received('/outage'))).toHaveLength(total),
      OUTAGE_MS + 90_000,
    );
    const events = acknowledged(await receiver.received('/outage')).map(verified);
    expect(new Set(events.map((e) => e.id)).size).toBe(total);
    for (const name of packages) {
      const delivered = events.filter((e) => e.data.package === `${ADMIN}/${name}`);
      const sequences = delivered.map((e) => e.data.sequence as number);
      expect([name, sequences]).toEqual([name, [...sequences].sort((a, b) => a - b)]);
      expect(delivered.map((e) => e.data.release).sort()).toEqual(
        [...(name === 'out-a' ? ['0.1.0'] : []), ...releases].sort(),
      );
    }
    expect((await http('GET', `/api/v1/namespaces/${ADMIN}/webhooks/${hook}`)).json()).toMatchObject({
      failing: false,
      pending_deliveries: 0,
    });
    expect(await metric('wharf_webhook_delivered_total')).toBe(total);
    expect(await metric('wharf_webhook_retried_total')).toBeGreaterThan(0);
    expect(await metric('wharf_webhook_failed_total')).toBe(0);
    expect(await metric('wharf_webhook_pending_deliveries')).toBe(0);
  });
});

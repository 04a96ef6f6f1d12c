/**
 * Issue 20: what webhooks cost pushes, and how soon a push reaches a receiver. For each case a
 * fresh embedded Wharf (enforced, a site admin, 127.0.0.1 allowed as a target) gets its
 * subscriptions, then 8 clients push PUSHES small charts into 8 packages; reported: pushes per
 * second, and from each push's acknowledgement to its CloudEvent's arrival at the first
 * subscription's receiver, p50 and p99. Cases: 0, 1 and 10 subscriptions, and 10 plus one dead
 * endpoint (accepts the connection, never answers: every attempt waits for the timeout).
 *
 *   node -r ./scripts/dist-paths.js <build>/bench/webhook-delivery.js [wharfRoot] [pushes]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { chartArchive } from '../libs/testing/src/factories/chart-archive.factory';
import { startBuild } from './lib/build-server';

const ROOT = resolve(process.argv[2] ?? join(__dirname, '..', '..'));
const PUSHES = Number(process.argv[3] ?? 400);
const CLIENTS = 8;
const PASSWORD = 'bench-root-password';

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; close(): void }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function run(subscriptions: number, dead: boolean): Promise<void> {
  const arrivals = new Map<string, number>();
  const receiver = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/first') {
        const subject = (JSON.parse(Buffer.concat(chunks).toString()) as { subject: string }).subject;
        if (!arrivals.has(subject)) arrivals.set(subject, performance.now());
      }
      res.writeHead(204).end();
    });
  });
  const blackHole = await listen(() => undefined);
  const wharf = await startBuild(ROOT, {
    WHARF_AUTH_MODE: 'enforced',
    WHARF_ADMIN_USERNAME: 'root',
    WHARF_ADMIN_PASSWORD: PASSWORD,
    WHARF_WEBHOOK_ALLOW_PRIVATE: 'true',
    WHARF_WEBHOOK_TIMEOUT_SECONDS: '5',
  });
  try {
    // A token: a password would be hashed on every push.
    const login = await fetch(`${wharf.url}/api/v1/users/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: { username: 'root', password: PASSWORD } }),
    });
    const { token } = (await login.json()) as { token: string };
    const call = (method: string, path: string, body: unknown) =>
      fetch(`${wharf.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const targets = [
      ...Array.from({ length: subscriptions }, (_, i) => `${receiver.url}/${i === 0 ? 'first' : `other-${i}`}`),
      ...(dead ? [`${blackHole.url}/dead`] : []),
    ];
    for (const url of targets) {
      const res = await call('POST', '/api/v1/namespaces/root/webhooks', {
        url,
        events: ['release.published'],
        secret: 'bench-secret-0123456789abcdef',
      });
      if (res.status !== 201) throw new Error(`subscribe: ${res.status} ${await res.text()}`);
    }
    const blobs = Array.from({ length: PUSHES }, (_, i) =>
      chartArchive({ name: `p${i % 8}`, version: `1.${i}.0` }).toString('base64'),
    );
    const acked = new Map<string, number>();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = c; i < PUSHES; i += CLIENTS) {
          const res = await call('POST', `/cnr/api/v1/packages/root/p${i % 8}`, {
            release: `1.${i}.0`,
            media_type: 'helm',
            blob: blobs[i],
          });
          if (res.status !== 200) throw new Error(`push: ${res.status} ${await res.text()}`);
          acked.set(`root/p${i % 8}@1.${i}.0`, performance.now());
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    let latency = '';
    if (subscriptions > 0) {
      const deadline = Date.now() + 120_000;
      while (arrivals.size < PUSHES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const samples = [...acked].map(([subject, at]) => (arrivals.get(subject) ?? NaN) - at);
      latency = ` | ${percentile(samples, 50).toFixed(0)} | ${percentile(samples, 99).toFixed(0)} | ${arrivals.size}/${PUSHES}`;
    } else latency = ' | – | – | –';
    console.log(`| ${subscriptions}${dead ? ' + 1 dead' : ''} | ${(PUSHES / seconds).toFixed(0)}${latency} |`);
  } finally {
    await wharf.stop();
    receiver.close();
    blackHole.close();
  }
}

async function main(): Promise<void> {
  console.log('| subscriptions | pushes/s | ack → delivery p50 ms | p99 ms | delivered |');
  console.log('|---|---:|---:|---:|---:|');
  await run(0, false);
  await run(1, false);
  await run(10, false);
  await run(10, true);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

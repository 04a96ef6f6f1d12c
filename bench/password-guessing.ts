/**
 * Issue 15, item 1: what password guessing costs everyone else. For each build given (the
 * current tree, or an older commit built in a worktree), an embedded Wharf in enforced mode with
 * 20 users; the login latency of those users (a different one per login, so no remembered check
 * helps) from 127.0.0.1, idle and while 16 loops guess from 127.0.0.2, and the guesses' statuses
 * and the server's peak RSS. Scenarios: `known`, every guess at one existing account; `spray`,
 * every guess at a fresh unknown name. Prints one JSON line per (build, scenario).
 *
 *   node <bench build>/bench/password-guessing.js [buildRoot ...]     (default: the current directory)
 */
import http from 'node:http';
import { resolve } from 'node:path';
import { startBuild } from './lib/build-server';
import { rssMiB } from './lib/targets';

const PASSWORD = 'victim-password-123';
const GUESSERS = 16;

function post(port: number, path: string, body: unknown, agent: http.Agent): Promise<number> {
  return new Promise((ok, fail) => {
    const data = JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end(data);
  });
}

async function run(root: string, scenario: 'known' | 'spray'): Promise<void> {
  const server = await startBuild(root, { WHARF_AUTH_MODE: 'enforced' });
  const port = Number(new URL(server.url).port);
  const victim = new http.Agent({ keepAlive: true, localAddress: '127.0.0.1' });
  const attacker = new http.Agent({ keepAlive: true, localAddress: '127.0.0.2', maxSockets: 64 });
  try {
    for (let i = 0; i < 20; i++)
      await post(port, '/api/v1/users', { user: { username: `victim${i}`, password: PASSWORD } }, victim);
    await post(port, '/api/v1/users', { user: { username: 'target', password: PASSWORD } }, victim);
    let next = 0;
    const logins = async (n: number) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const status = await post(
          port,
          '/api/v1/users/login',
          { user: { username: `victim${next++}`, password: PASSWORD } },
          victim,
        );
        if (status !== 200) throw new Error(`a victim's login answered ${status}`);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return { medianMs: Math.round(times[Math.floor(n / 2)]!), maxMs: Math.round(times[n - 1]!) };
    };
    const idle = await logins(10);
    let stop = false;
    let k = 0;
    const guesses: Record<string, number> = {};
    const loops = Array.from({ length: GUESSERS }, async (_, i) => {
      while (!stop) {
        const username = scenario === 'known' ? 'target' : `ghost-${i}-${k++}`;
        const status = await post(
          port,
          '/api/v1/users/login',
          { user: { username, password: `wrong-${k++}` } },
          attacker,
        ).catch(() => 'error');
        guesses[status] = (guesses[status] ?? 0) + 1;
      }
    });
    await new Promise((r) => setTimeout(r, 1000));
    let peak = rssMiB(server.child.pid!);
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(server.child.pid!))), 200);
    const underAttack = await logins(10);
    stop = true;
    await Promise.all(loops);
    clearInterval(sampler);
    console.log(JSON.stringify({ build: root, scenario, idle, underAttack, guesses, peakRssMiB: Math.round(peak) }));
  } finally {
    victim.destroy();
    attacker.destroy();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const roots = process.argv.length > 2 ? process.argv.slice(2).map((r) => resolve(r)) : [process.cwd()];
  for (const scenario of ['known', 'spray'] as const) for (const root of roots) await run(root, scenario);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

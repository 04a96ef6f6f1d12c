import { API, pool, pushChart, seedOne } from '../lib/charts';
import { BENCH_ADMIN, Running, startWharfEnforced, TARGETS } from '../lib/targets';
import { measure, rnd } from '../lib/harness';
import { Report } from '../lib/report';

/**
 * The cost of authentication on a read: show (GET manifest) of public packages on the open
 * embedded profile, then on the same profile with authentication enforced, anonymous, with a
 * Bearer token, and with Basic user:password (scrypt once, then remembered for a minute).
 */
export async function scenarioAuth(report: Report): Promise<void> {
  const PKGS = 50;
  const charts = Array.from({ length: PKGS }, (_, i) => pushChart(`a${i}`, '1.0.0'));
  const running = [await TARGETS.find((t) => t.name === 'wharf')!.start(), await startWharfEnforced()];
  try {
    for (const t of running) {
      const res = await pool(0, PKGS, 4, (i) => seedOne(t, 'auth', `a${i}`, '1.0.0', charts[i]!), Date.now() + 300_000);
      if (res.failed) throw new Error(`seeding auth on ${t.name}: ${res.lastError}`);
    }
    const [open, enforced] = running as [Running, Running];
    const next = () => ({ path: `${API}/auth/a${rnd(PKGS)}/1.0.0/helm` });
    const basic = {
      authorization: `Basic ${Buffer.from(`${BENCH_ADMIN.username}:${BENCH_ADMIN.password}`).toString('base64')}`,
    };
    await measure(report, open, 'auth', 'show, open mode', { next });
    await measure(report, enforced, 'auth', 'show, enforced, anonymous', { next });
    await measure(report, enforced, 'auth', 'show, enforced, Bearer token', { next, headers: enforced.admin });
    await measure(report, enforced, 'auth', 'show, enforced, Basic password', { next, headers: basic });
  } finally {
    for (const r of running) await r.stop().catch(() => undefined);
  }
}

/**
 * Throughput of the distributed profile's read and push paths under concurrency, against a
 * running stack (`npm run stack`, or services started on ports of their own), with the CPU each
 * process spends per request: the figures of docs/benchmarks.md, "Distributed profile: where the
 * time goes". Seeds a namespace of its own (50 packages × 2 releases, 4 KB charts), then per case
 * a 2 s warm-up and BENCH_DURATION_S (10) at BENCH_CONNECTIONS (16):
 *   show (random package and release), pull of a 4 KB release (random; from the gateway's blob
 *   cache once warm), pull of a 5 MB release (above the cache's per-blob bound: from the blob
 *   store every time), list (the namespace), search (a package name), push of a new release into
 *   one of the seeded packages.
 * CPU per request: utime + stime of each pid given (the services, FerretDB, Kafka) from /proc,
 * around the measured run, divided by the 2xx answers; an idle process's background is included.
 *
 *   node <build>/bench/stack-load.js [gatewayUrl] [pid,pid,...]
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { API, pullPath, pushBody, pushChart, sizedChart } from './lib/charts';
import { runLoad } from './lib/load';

const gateway = process.argv[2] ?? 'http://127.0.0.1:5100';
const pids = (process.argv[3] ?? '').split(',').filter(Boolean).map(Number);
const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ns = `load${randomUUID().slice(0, 8)}`;
const PACKAGES = 50;
const RELEASES = 2;

/** CPU time (ms) a process has used so far, and a short name for it. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
function nameOf(pid: number): string {
  const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  return (
    /services\/(\w+)\//.exec(cmd)?.[1] ??
    (/kafka\.Kafka/.test(cmd)
      ? 'kafka'
      : /ferretdb/.test(cmd)
        ? 'ferretdb'
        : /opensearch/.test(cmd)
          ? 'opensearch'
          : /versitygw/.test(cmd)
            ? 's3'
            : /(^|\/)postgres\b/.test(cmd)
              ? 'postgres'
              : String(pid))
  );
}

async function seed(): Promise<void> {
  const jobs: [string, string][] = [];
  for (let p = 0; p < PACKAGES; p++) for (let r = 0; r < RELEASES; r++) jobs.push([`p${p}`, `1.0.${r}`]);
  let i = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (i < jobs.length) {
        const [name, release] = jobs[i++];
        const res = await fetch(`${gateway}${API}/${ns}/${name}`, {
          method: 'POST',
          body: pushBody(release, pushChart(name, release)),
        });
        if (res.status !== 200) throw new Error(`seed ${ns}/${name}@${release}: ${res.status} ${await res.text()}`);
      }
    }),
  );
}

async function measure(
  label: string,
  method: 'GET' | 'POST',
  next: () => { path: string; body?: string },
): Promise<void> {
  const common = { url: gateway, method, next, connections, pid: process.pid };
  await runLoad({ ...common, durationS: 2 });
  const before = pids.map(cpuMs);
  const r = await runLoad({ ...common, durationS });
  // Processes of one name (replicas, a database's connection processes) are summed.
  const byName = new Map<string, number>();
  pids.forEach((pid, i) => byName.set(nameOf(pid), (byName.get(nameOf(pid)) ?? 0) + cpuMs(pid) - before[i]));
  const cpu = [...byName].map(([name, ms]) => `${name} ${(ms / Math.max(1, r.ok)).toFixed(1)}`).join(', ');
  console.log(
    `${label.padEnd(14)} ${r.rps.toFixed(1).padStart(7)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  non-2xx ${r.non2xx}  errors ${r.errors}` +
      `  load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}${cpu ? `  CPU ms/request: ${cpu}` : ''}`,
  );
}

async function main() {
  await seed();
  const rnd = (n: number) => Math.floor(Math.random() * n);
  await measure('show', 'GET', () => ({ path: `${API}/${ns}/p${rnd(PACKAGES)}/1.0.${rnd(RELEASES)}/helm` }));
  await measure('pull-4k', 'GET', () => ({ path: pullPath(ns, `p${rnd(PACKAGES)}`, `1.0.${rnd(RELEASES)}`) }));
  const big = await fetch(`${gateway}${API}/${ns}/big`, {
    method: 'POST',
    body: pushBody('1.0.0', sizedChart('big', '1.0.0', 5 * 1024 * 1024)),
  });
  if (big.status !== 200) throw new Error(`seed ${ns}/big: ${big.status} ${await big.text()}`);
  await measure('pull-5mb', 'GET', () => ({ path: pullPath(ns, 'big', '1.0.0') }));
  await measure('list', 'GET', () => ({ path: `${API}?namespace=${ns}` }));
  await measure('search', 'GET', () => ({ path: `${API}/search?q=p${rnd(PACKAGES)}` }));
  let k = 0;
  await measure('push-existing', 'POST', () => {
    const name = `p${k % PACKAGES}`;
    const release = `2.${k++}.0`;
    return { path: `${API}/${ns}/${name}`, body: pushBody(release, pushChart(name, release)) };
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

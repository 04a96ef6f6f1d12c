/**
 * One load run: autocannon (installed by bench/install.sh under the cache, not in the repo) for
 * pushes, which need a distinct body per request, and for GETs when BENCH_LOAD=autocannon; wrk
 * (bench/lib/wrk.ts) for GETs otherwise, when it is installed. With autocannon, latencies are
 * recorded from its per-response event at full (sub-millisecond) precision, 2xx only; resident
 * memory of the target is sampled while the run lasts, with either generator.
 */
import { join } from 'node:path';
import { CACHE, ProcessSampler } from './targets';
import { runWrk, wrkInstalled } from './wrk';

/** The GET load generator: BENCH_LOAD=autocannon|wrk, default wrk when bench/install.sh installed it. */
export const GET_LOAD: 'wrk' | 'autocannon' = (() => {
  const want = process.env.BENCH_LOAD;
  if (want === 'autocannon') return 'autocannon';
  if (want === 'wrk') {
    if (!wrkInstalled()) throw new Error('BENCH_LOAD=wrk but wrk is not installed (bench/install.sh)');
    return 'wrk';
  }
  if (want) throw new Error(`BENCH_LOAD=${want}: expected autocannon or wrk`);
  return wrkInstalled() ? 'wrk' : 'autocannon';
})();

const autocannon: any = require(join(CACHE, 'node', 'node_modules', 'autocannon'));

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'HEAD' | 'POST';
  /** Called for every request: path (and body for POST). */
  next: () => { path: string; body?: string };
  connections: number;
  durationS: number;
  /** Stop after this many requests even if the duration is not over. */
  maxRequests?: number;
  /** Sent with every request (credentials). */
  headers?: Record<string, string>;
  pid: number;
  /** Overrides BENCH_LOAD for a GET (a POST or HEAD always runs on autocannon: wrk 4.1 waits for a HEAD answer's body). */
  generator?: 'wrk' | 'autocannon';
}

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  rps: number;
  mbps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  rssRestMiB: number;
  rssPeakMiB: number;
  pssPeakMiB: number;
  /** CPU time of the target's process tree per completed request (ms): steadier than req/s on a shared machine. */
  cpuMsPerRequest: number;
  statusCodes: Record<string, number>;
  /** Which client produced the row (`fetch`: a scenario's own loop of Node's fetch, bench/lib/oci.ts). */
  generator: 'wrk' | 'autocannon' | 'fetch';
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  // wrk has no per-request bodies (pushes) and no request cap: those stay on autocannon
  if ((opts.generator ?? GET_LOAD) === 'wrk' && (opts.method ?? 'GET') === 'GET' && !opts.maxRequests)
    return runWrk(opts);
  return runAutocannon(opts);
}

async function runAutocannon(opts: LoadOptions): Promise<LoadResult> {
  const sampler = new ProcessSampler(opts.pid);
  let lat = new Float64Array(1 << 16);
  let n = 0;
  let bytes = 0;
  let issued = 0;
  let instance: any = null;
  const started = process.hrtime.bigint();
  instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.durationS,
    timeout: 60,
    requests: [
      {
        method: opts.method ?? 'GET',
        headers: { ...(opts.method === 'POST' ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        setupRequest: (req: Record<string, unknown>) => {
          // `amount` would override the duration in autocannon: bound the count by stopping instead
          if (opts.maxRequests && ++issued === opts.maxRequests) setImmediate(() => instance?.stop());
          const r = opts.next();
          return r.body === undefined ? { ...req, path: r.path } : { ...req, path: r.path, body: r.body };
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, statusCode: number, resBytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) {
      if (n === lat.length) {
        const bigger = new Float64Array(lat.length * 2);
        bigger.set(lat);
        lat = bigger;
      }
      lat[n++] = responseTime;
      bytes += resBytes;
    }
  });
  const result: any = await instance;
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const use = sampler.stop();
  const sorted = lat.slice(0, n).sort();
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {}))
    statusCodes[code] = (v as { count: number }).count;
  const durationS = Math.min(elapsedS, result.duration ?? elapsedS);
  return {
    requests: result.requests.total,
    ok: n,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationS,
    rps: n / durationS,
    mbps: bytes / durationS / 1e6,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: n ? sorted[n - 1]! : NaN,
    rssRestMiB: use.rssRestMiB,
    rssPeakMiB: use.rssPeakMiB,
    pssPeakMiB: use.pssPeakMiB,
    cpuMsPerRequest: result.requests.total > 0 ? use.cpuMs / result.requests.total : NaN,
    statusCodes,
    generator: 'autocannon',
  };
}

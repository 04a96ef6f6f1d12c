/**
 * GET loads with wrk (Debian's package, extracted by bench/install.sh with its libluajit under the
 * cache; no system install). wrk is C with one event loop per thread, so a large body costs the
 * client a read() rather than a JavaScript callback: the client ceiling of autocannon (one JS
 * thread, 8–50 MB/s on 100 KB and 5 MB bodies) is lifted.
 *
 * Each request picks a random path from a list that the scenario's `next()` produced beforehand
 * (BENCH_WRK_PATHS samples, 10,000 by default: the same distribution as the autocannon run, drawn
 * once). The Lua script's `done()` prints one JSON line: requests, bytes, errors (connect, read,
 * write, timeout, and status, which counts answers >= 400) and latency percentiles from wrk's
 * histogram (microsecond resolution). wrk's latency covers every completed request, whatever its
 * status, so a run with non-2xx answers says so in its row; a request cut off at the end of the
 * run, or timed out, is in no percentile.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadOptions, LoadResult } from './load';
import { CACHE, ProcessSampler } from './targets';

const ROOTFS = join(CACHE, 'wrk', 'root');
export const WRK_BIN = join(ROOTFS, 'usr', 'bin', 'wrk');
const WRK_LIB = join(ROOTFS, 'usr', 'lib', 'x86_64-linux-gnu');
const THREADS = Number(process.env.BENCH_WRK_THREADS ?? 2);
const PATHS = Number(process.env.BENCH_WRK_PATHS ?? 10_000);

export function wrkInstalled(): boolean {
  return existsSync(WRK_BIN);
}

export function wrkVersion(): string {
  try {
    const out = require('node:child_process').spawnSync(WRK_BIN, ['-v'], {
      env: { ...process.env, LD_LIBRARY_PATH: WRK_LIB },
      encoding: 'utf8',
    });
    return String(out.stdout || out.stderr)
      .split('\n')[0]!
      .replace(/ Copyright.*/, '')
      .trim();
  } catch {
    return 'wrk (version unknown)';
  }
}

export const WRK_THREADS = THREADS;

const SCRIPT = `
-- written by bench/lib/wrk.ts: a random path of a list per request, JSON summary in done()
local paths = {}
local reqs = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  for i, p in ipairs(paths) do reqs[i] = wrk.format("GET", p) end
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919 + #paths)
end

function request()
  return reqs[math.random(#reqs)]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"duration_us":%d,"requests":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%f}\\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
`;

interface WrkSummary {
  duration_us: number;
  requests: number;
  bytes: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export async function runWrk(opts: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-wrk-'));
  try {
    writeFileSync(join(dir, 'paths.lua'), SCRIPT);
    writeFileSync(join(dir, 'paths.txt'), Array.from({ length: PATHS }, () => opts.next().path).join('\n') + '\n');
    const sampler = new ProcessSampler(opts.pid);
    const headers = Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const threads = Math.max(1, Math.min(THREADS, opts.connections));
    const args = [
      '-t',
      String(threads),
      '-c',
      String(opts.connections),
      '-d',
      `${opts.durationS}s`,
      '--timeout',
      '60s',
      ...headers,
      '-s',
      join(dir, 'paths.lua'),
      opts.url,
      '--',
      join(dir, 'paths.txt'),
    ];
    const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>(
      (resolve, reject) => {
        const child = spawn(WRK_BIN, args, {
          env: { ...process.env, LD_LIBRARY_PATH: WRK_LIB },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let o = '';
        let e = '';
        child.stdout.on('data', (c: Buffer) => (o += c.toString()));
        child.stderr.on('data', (c: Buffer) => (e += c.toString()));
        // bounded: wrk stops itself after -d; this is the backstop
        const killer = setTimeout(() => child.kill('SIGKILL'), (opts.durationS + 90) * 1000);
        child.once('error', reject);
        child.once('exit', (c) => {
          clearTimeout(killer);
          resolve({ code: c, out: o, err: e });
        });
      },
    );
    const use = sampler.stop();
    const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
    if (!line) throw new Error(`wrk exited ${code} without a summary:\n${out.slice(-2000)}\n${err.slice(-2000)}`);
    const s = JSON.parse(line.slice('WRKJSON '.length)) as WrkSummary;
    const durationS = s.duration_us / 1e6;
    const ok = s.requests - s.status;
    // no completed request: wrk's histogram is empty and reads 0, which is no latency
    const ms = (us: number) => (s.requests > 0 ? us / 1000 : NaN);
    return {
      requests: s.requests,
      ok,
      non2xx: s.status,
      errors: s.connect + s.read + s.write,
      timeouts: s.timeout,
      durationS,
      rps: ok / durationS,
      // wrk counts the bytes read, headers included (autocannon's figure includes them too)
      mbps: s.bytes / durationS / 1e6,
      p50: ms(s.p50),
      p90: ms(s.p90),
      p99: ms(s.p99),
      max: ms(s.max),
      rssRestMiB: use.rssRestMiB,
      rssPeakMiB: use.rssPeakMiB,
      pssPeakMiB: use.pssPeakMiB,
      cpuMsPerRequest: s.requests > 0 ? use.cpuMs / s.requests : NaN,
      statusCodes: {},
      generator: 'wrk',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Scenario `oci`: the OCI Distribution API of both Wharf profiles beside CNCF Distribution, in one
 * run: manifest GET and HEAD by tag, blob GETs of three sizes, monolithic blob pushes, and the wall
 * time of `helm pull oci://`. Every target is seeded with the same charts, pushed as `helm push`
 * does, and must serve the same manifest and layer digests.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sizedChart } from '../lib/charts';
import {
  CONNECTIONS,
  DURATION_S,
  WARMUP_S,
  engineCpuFrom,
  engineCpuText,
  log,
  measure,
  rnd,
  withTargets,
} from '../lib/harness';
import { OCI_MANIFEST, pushBlob, pushHelmChart, runLoop } from '../lib/oci';
import { Report } from '../lib/report';
import type { Running } from '../lib/targets';
import { PULL_RELEASES, PULL_SIZES } from './pull';

const HELM = join(
  process.env.WHARF_CLIENTS_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'wharf-clients'),
  'helm',
  'bin',
  'helm',
);
const HELM_PULLS = Number(process.env.BENCH_HELM_PULLS ?? 20);
/** BENCH_OCI_CASES: the cases to run, comma-separated prefixes of their names (`manifest GET`); all when unset. */
const CASES = (process.env.BENCH_OCI_CASES ?? '').split(',').filter(Boolean);
const wanted = (name: string) => CASES.length === 0 || CASES.some((prefix) => name.startsWith(prefix));

type Seeded = Map<string, { manifests: string[]; layers: string[] }>;

async function seed(running: Running[]): Promise<Seeded> {
  const seeded: Seeded = new Map();
  for (const [label, size] of PULL_SIZES) {
    const name = `chart-${label.toLowerCase()}`;
    const charts = Array.from({ length: PULL_RELEASES }, (_, i) => sizedChart(name, `1.0.${i}`, size, `oci${label}`));
    for (const t of running) {
      const pushed = [];
      for (let i = 0; i < PULL_RELEASES; i++)
        pushed.push(await pushHelmChart(t.url, `bench/${name}`, name, `1.0.${i}`, charts[i]!));
      const first = seeded.get(label);
      const got = { manifests: pushed.map((p) => p.manifest), layers: pushed.map((p) => p.layer) };
      if (first && JSON.stringify(first) !== JSON.stringify(got))
        throw new Error(`${t.name} gave other digests than ${running[0]!.name} for the ${label} charts`);
      seeded.set(label, got);
      const served = await fetch(`${t.url}/v2/bench/${name}/manifests/1.0.3`, { headers: { accept: OCI_MANIFEST } });
      if (served.headers.get('docker-content-digest') !== got.manifests[3])
        throw new Error(`${t.name} served another manifest for ${name}:1.0.3 (${served.status})`);
      await served.arrayBuffer();
    }
    log(`seeded oci ${label}: ${PULL_RELEASES} charts of ${charts[0]!.length} bytes`);
  }
  return seeded;
}

/** `helm pull oci://` of one chart version, `HELM_PULLS` times in a row: wall-time percentiles. */
function helmPulls(t: Running): { p50: number; p90: number; max: number; runs: number } {
  const home = mkdtempSync(join(tmpdir(), 'wharf-bench-helm-'));
  const env = {
    ...process.env,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  const ref = `oci://${t.url.replace(/^http:\/\//, '')}/bench/chart-4kb`;
  const times: number[] = [];
  try {
    for (let i = 0; i < HELM_PULLS; i++) {
      const dir = join(home, `pull-${i}`);
      mkdirSync(dir);
      const t0 = performance.now();
      const r = spawnSync(HELM, ['pull', ref, '--version', '1.0.3', '--plain-http', '-d', dir], {
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (r.status !== 0) throw new Error(`helm pull ${ref} on ${t.name}: ${r.stderr || r.error}`);
      times.push(performance.now() - t0);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!;
  return { p50: at(50), p90: at(90), max: times[times.length - 1]!, runs: times.length };
}

/** A case timed by runLoop (warm-up, then the measured window), as a row of the report. */
async function loopCase(report: Report, t: Running, name: string, once: () => Promise<void>): Promise<void> {
  const load = { pid: t.pid, connections: CONNECTIONS };
  if (WARMUP_S > 0) await runLoop({ ...load, durationS: WARMUP_S }, once);
  const engines = engineCpuFrom(t);
  const r = await runLoop({ ...load, durationS: DURATION_S }, once);
  const engineCpuMsPerRequest = engines(r.requests);
  const row = {
    scenario: 'oci',
    case: name,
    target: t.name,
    ...r,
    ...(engineCpuMsPerRequest && { engineCpuMsPerRequest }),
  };
  report.rows.push(row);
  log(
    `oci | ${name} | ${t.name}: ${r.rps.toFixed(0)}/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, failed ${r.non2xx}, cpu ${r.cpuMsPerRequest.toFixed(2)} ms each${engineCpuText(row)}`,
  );
}

export async function scenarioOci(report: Report): Promise<void> {
  await withTargets('oci', async (running) => {
    const seeded = await seed(running);
    const accept = { accept: OCI_MANIFEST };
    const manifestPath = () => `/v2/bench/chart-4kb/manifests/1.0.${rnd(PULL_RELEASES)}`;
    for (const t of running.filter(() => wanted('manifest GET by tag')))
      await measure(report, t, 'oci', 'manifest GET by tag', {
        next: () => ({ path: manifestPath() }),
        headers: accept,
      });
    const manifests = seeded.get('4KB')!.manifests;
    for (const t of running.filter(() => wanted('manifest GET by digest')))
      await measure(report, t, 'oci', 'manifest GET by digest', {
        next: () => ({ path: `/v2/bench/chart-4kb/manifests/${manifests[rnd(manifests.length)]}` }),
        headers: accept,
      });
    for (const t of running.filter(() => wanted('manifest HEAD by tag')))
      await loopCase(report, t, 'manifest HEAD by tag (fetch loop)', async () => {
        const res = await fetch(`${t.url}${manifestPath()}`, { method: 'HEAD', headers: accept });
        if (res.status !== 200) throw new Error(`HEAD manifest: ${res.status}`);
      });
    for (const [label] of PULL_SIZES) {
      const layers = seeded.get(label)!.layers;
      for (const t of running.filter(() => wanted(`blob GET ${label}`)))
        await measure(report, t, 'oci', `blob GET ${label}`, {
          next: () => ({ path: `/v2/bench/chart-${label.toLowerCase()}/blobs/${layers[rnd(layers.length)]}` }),
        });
    }
    for (const t of running.filter(() => wanted('monolithic blob push')))
      await loopCase(report, t, 'monolithic blob push 4KB (POST + PUT)', async () => {
        await pushBlob(t.url, 'bench/blobs', randomBytes(4 * 1024));
      });
    for (const t of running.filter(() => wanted('helm pull'))) {
      const h = helmPulls(t);
      report.notes.push(
        `helm pull oci:// (chart-4kb 1.0.3, ${h.runs} in a row) on ${t.name}: wall time p50 ${h.p50.toFixed(0)} ms, p90 ${h.p90.toFixed(0)} ms, max ${h.max.toFixed(0)} ms`,
      );
      log(`oci | helm pull | ${t.name}: p50 ${h.p50.toFixed(0)} ms, p90 ${h.p90.toFixed(0)} ms`);
    }
  });
}

/**
 * The OCI Distribution API as the `oci` scenario speaks it: the two-request monolithic blob upload
 * every registry takes (POST a session, PUT its bytes with the digest), Helm chart manifests as
 * `helm push` writes them, and a timed loop of calls for what the load generators cannot send.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { LoadResult } from './load';
import { ProcessSampler } from './targets';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

export const sha256Digest = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Uploads `bytes` into `repo` (POST, then PUT with `?digest=`); answers its digest. */
export async function pushBlob(base: string, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256Digest(bytes);
  const started = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await started.arrayBuffer();
  const location = started.headers.get('location');
  if (started.status !== 202 || !location) throw new Error(`POST ${repo} blob upload: ${started.status}`);
  const url = new URL(location, base);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`PUT ${repo} blob ${digest}: ${put.status}`);
  return digest;
}

/** Pushes a chart as `helm push` does (config, chart layer, manifest tagged `version`); answers the manifest's and layer's digests. */
export async function pushHelmChart(
  base: string,
  repo: string,
  name: string,
  version: string,
  tgz: Buffer,
): Promise<{ manifest: string; layer: string }> {
  const config = Buffer.from(JSON.stringify({ apiVersion: 'v2', name, version }));
  const configDigest = await pushBlob(base, repo, config);
  const layer = await pushBlob(base, repo, tgz);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: HELM_CONFIG, digest: configDigest, size: config.length },
      layers: [{ mediaType: HELM_LAYER, digest: layer, size: tgz.length }],
    }),
  );
  const res = await fetch(`${base}/v2/${repo}/manifests/${version.replace(/\+/g, '_')}`, {
    method: 'PUT',
    body: manifest,
    headers: { 'content-type': OCI_MANIFEST },
  });
  const answer = await res.text();
  if (res.status !== 201) throw new Error(`PUT ${repo} manifest ${version}: ${res.status} ${answer.slice(0, 300)}`);
  return { manifest: sha256Digest(manifest), layer };
}

/**
 * Calls `once` from `connections` concurrent loops for `durationS` seconds: throughput, latency of
 * each call (a blob push's two requests together), and the target's CPU per call. For what the
 * one-request load generators cannot do: chain requests, or wait for a HEAD answer (wrk 4.1 and
 * autocannon both wait for the body it announces).
 */
export async function runLoop(
  opts: { pid: number; connections: number; durationS: number },
  once: () => Promise<void>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  let lastError = '';
  const sampler = new ProcessSampler(opts.pid);
  const started = performance.now();
  const until = started + opts.durationS * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        await once();
        latencies.push(performance.now() - t0);
      } catch (e) {
        failed++;
        lastError = (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, loop));
  const durationS = (performance.now() - started) / 1000;
  const use = sampler.stop();
  if (failed > latencies.length) throw new Error(`${failed} calls failed, the last with ${lastError}`);
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  const calls = sorted.length + failed;
  return {
    requests: calls,
    ok: sorted.length,
    non2xx: failed,
    errors: 0,
    timeouts: 0,
    durationS,
    rps: sorted.length / durationS,
    mbps: NaN,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: sorted[sorted.length - 1] ?? NaN,
    rssRestMiB: use.rssRestMiB,
    rssPeakMiB: use.rssPeakMiB,
    pssPeakMiB: use.pssPeakMiB,
    cpuMsPerRequest: calls > 0 ? use.cpuMs / calls : NaN,
    statusCodes: {},
    generator: 'fetch',
  };
}

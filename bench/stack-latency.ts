/**
 * Latency of the distributed profile's paths, against a running stack (`npm run stack`):
 *   - a show through the gateway (client → gateway → MongoDB),
 *   - push through the gateway (blob service over HTTP + command request-reply over Kafka),
 *   - push-to-searchable lag (push answered → the search API returns the package).
 * Prints p50/p99 in milliseconds. Bounded: a fixed number of requests, all to 127.0.0.1.
 *
 *   node <build>/bench/stack-latency.js [gatewayUrl]
 */
import { randomUUID } from 'node:crypto';
import { chartArchive } from '../libs/testing/src/factories/chart-archive.factory';

const gateway = process.argv[2] ?? 'http://127.0.0.1:5100';
const ns = `lat-${randomUUID().slice(0, 8)}`;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function report(name: string, samples: number[]) {
  console.log(
    `${name.padEnd(44)} n=${String(samples.length).padEnd(5)} p50=${percentile(samples, 50).toFixed(2)} ms  p99=${percentile(samples, 99).toFixed(2)} ms`,
  );
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function push(pkg: string, release: string): Promise<void> {
  const blob = chartArchive({ name: pkg.split('/')[1], version: release, salt: randomUUID() }).toString('base64');
  const res = await fetch(`${gateway}/cnr/api/v1/packages/${pkg}`, {
    method: 'POST',
    body: JSON.stringify({ release, media_type: 'helm', blob }),
  });
  if (res.status !== 200) throw new Error(`push ${pkg}@${release}: ${res.status} ${await res.text()}`);
}

async function main() {
  await push(`${ns}/probe`, '1.0.0');
  const viaGateway: number[] = [];
  const show = `${gateway}/cnr/api/v1/packages/${ns}/probe/1.0.0/helm`;
  for (let i = 0; i < 50; i++) await fetch(show).then((r) => r.arrayBuffer());
  for (let i = 0; i < 1000; i++) {
    viaGateway.push(await timed(async () => void (await (await fetch(show)).arrayBuffer())));
  }
  const pushes: number[] = [];
  for (let i = 0; i < 200; i++) pushes.push(await timed(() => push(`${ns}/one`, `1.0.${i}`)));

  const lags: number[] = [];
  for (let i = 0; i < 100; i++) {
    const name = `lag${i}x${randomUUID().slice(0, 6)}`;
    await push(`${ns}/${name}`, '1.0.0');
    const answered = performance.now();
    for (;;) {
      const found = (await (await fetch(`${gateway}/cnr/api/v1/packages/search?q=${name}`)).json()) as string[];
      if (found.includes(`${ns}/${name}`)) break;
      if (performance.now() - answered > 30_000) throw new Error(`${name} not searchable after 30 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    lags.push(performance.now() - answered);
  }

  report('show manifest via gateway', viaGateway);
  report('push via gateway (blob HTTP + Kafka reply)', pushes);
  report('push-to-searchable lag', lags);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

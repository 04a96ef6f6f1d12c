/**
 * Push → searchable against a running stack (`npm run stack -- --replicas N`), alone and under
 * push load: BENCH_LAG_PUSHES (100) probe pushes of new packages through the first gateway, one
 * at a time, each followed by polling that gateway's `GET …/search?q=<its name>` every 10 ms
 * until listed (30 s, then counted as missed); then the same probes while BENCH_LAG_BG_CONCURRENCY
 * (4) pushers push new packages into another namespace without pause, spread over every gateway
 * given. Prints one JSON line per case (ms from the push's answer to the search listing it) and
 * the machine's load average. As `bench/scenarios/lag.ts`, which starts stacks of its own.
 *
 *   node <build>/bench/stack-lag.js http://127.0.0.1:5100 [http://127.0.0.1:5110 ...]
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { chartArchive } from '../libs/testing/src/factories/chart-archive.factory';

const gateways = process.argv.length > 2 ? process.argv.slice(2) : ['http://127.0.0.1:5100'];
const probes = Number(process.env.BENCH_LAG_PUSHES ?? 100);
const background = Number(process.env.BENCH_LAG_BG_CONCURRENCY ?? 4);
const tag = randomUUID().slice(0, 6);
const [probeNs, loadNs] = [`lagp${tag}`, `lagb${tag}`];

async function push(gateway: string, pkg: string): Promise<void> {
  const blob = chartArchive({ name: pkg.split('/')[1], version: '1.0.0', salt: randomUUID() }).toString('base64');
  const res = await fetch(`${gateway}/cnr/api/v1/packages/${pkg}`, {
    method: 'POST',
    body: JSON.stringify({ release: '1.0.0', media_type: 'helm', blob }),
  });
  if (res.status !== 200) throw new Error(`push ${pkg}: ${res.status} ${await res.text()}`);
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

async function probe(label: string) {
  const lags: number[] = [];
  let missed = 0;
  for (let i = 0; i < probes; i++) {
    const name = `p${tag}x${label}x${i}`;
    await push(gateways[0]!, `${probeNs}/${name}`);
    const answered = performance.now();
    for (;;) {
      const res = await fetch(`${gateways[0]}/cnr/api/v1/packages/search?q=${name}`);
      if (((await res.json()) as string[]).includes(`${probeNs}/${name}`)) {
        lags.push(performance.now() - answered);
        break;
      }
      if (performance.now() - answered > 30_000) {
        missed++;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  const ms = (p: number) => Math.round(percentile(lags, p));
  return { case: label, found: lags.length, missed, p50: ms(50), p90: ms(90), p99: ms(99), max: ms(100) };
}

async function main() {
  // Warm-up (topics, indexes): not counted.
  for (const gateway of gateways) await push(gateway, `${probeNs}/warm${gateways.indexOf(gateway)}`);
  console.log(JSON.stringify(await probe('alone')));
  let stop = false;
  let [pushed, failed] = [0, 0];
  const started = performance.now();
  const pushers = Array.from({ length: background }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      try {
        await push(gateways[w % gateways.length]!, `${loadNs}/w${w}n${i}`);
        pushed++;
      } catch {
        failed++;
      }
    }
  });
  const loaded = await probe('under-load');
  stop = true;
  await Promise.all(pushers);
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ ...loaded, pushed, failed, pushesPerSecond: +(pushed / seconds).toFixed(1) }));
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

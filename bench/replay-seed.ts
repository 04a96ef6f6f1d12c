/**
 * Fills the event log of the configured profile (the same WHARF_* variables as the services and
 * `npm run replay`) with synthetic history, to measure replay throughput: PACKAGES packages of
 * EVENTS ReleasePublished events each, appended straight to the log (no projection sees them
 * until a replay or a projector runs). See docs/benchmarks.md, "Replay".
 *
 *   npx tsc -p tsconfig.build.json && npx tsc -p bench/tsconfig.json --outDir /tmp/wharf-bench
 *   WHARF_DATA_DIR=/tmp/replay-data PACKAGES=2000 EVENTS=10 node -r ./scripts/dist-paths.js /tmp/wharf-bench/bench/replay-seed.js
 *   WHARF_DATA_DIR=/tmp/replay-data npm run replay -- all
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaEventLog } from '@wharf/adapters/event-log-kafka';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { kafkaClientOptions, loadConfig } from '@wharf/config';
import { EventEnvelope, currentEventVersion, validateForProduce } from '@wharf/contracts';
import type { EventLog } from '@wharf/ports';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function history(pkg: string, index: number, events: number): EventEnvelope[] {
  return Array.from({ length: events }, (_, i) => {
    const release = `1.${i}.0`;
    return validateForProduce({
      type: 'ReleasePublished',
      version: currentEventVersion('ReleasePublished'),
      id: randomUUID(),
      occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
      package: pkg,
      sequence: i + 1,
      data: {
        release,
        mediaType: 'helm',
        apprDigest: sha256(`appr ${pkg} ${release}`),
        blobDigest: sha256(`blob ${pkg} ${release}`),
        size: 1234,
        metadata: null,
        chart: {
          apiVersion: 'v2',
          name: pkg.split('/')[1],
          version: release,
          description: `Benchmark chart ${index}, release ${release}`,
          keywords: ['bench', `k${index % 13}`],
        },
        replaced: null,
        visibility: 'public',
      },
    } as EventEnvelope);
  });
}

async function main() {
  const config = loadConfig();
  const packages = Number(process.env.PACKAGES ?? 1000);
  const events = Number(process.env.EVENTS ?? 10);
  mkdirSync(config.dataDir, { recursive: true });
  const log: EventLog =
    config.profile === 'distributed'
      ? new KafkaEventLog(kafkaClientOptions(config, 'wharf-replay-seed'))
      : new SqliteEventLog({ path: join(config.dataDir, 'events.db'), synchronous: 'normal' });
  const started = Date.now();
  try {
    for (let first = 0; first < packages; first += 50) {
      const batch = Array.from({ length: Math.min(50, packages - first) }, (_, i) => first + i);
      await Promise.all(
        batch.map((p) => log.append(`bench${p % 20}/app${p}`, 0, history(`bench${p % 20}/app${p}`, p, events))),
      );
    }
    process.stdout.write(
      `appended ${packages * events} events in ${(Date.now() - started) / 1000} s; the log holds ${await log.count()}\n`,
    );
  } finally {
    await log.close();
  }
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});

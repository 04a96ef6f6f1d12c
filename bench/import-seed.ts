/**
 * Seeds the configured profile (the same WHARF_* variables as `npm run import`) with the growth
 * scenarios' generator, through `npm run import`'s own code: releases FROM (0) to RELEASES over
 * PACKAGES packages (LAYOUT=spread, namespace `growth`), or all in one package (LAYOUT=one,
 * `growth1/one`). Run again, it skips what is there. See docs/benchmarks.md, "Import"; the growth
 * scenario runs it against the distributed target (bench/scenarios/growth.ts).
 *
 *   npx tsc -p tsconfig.build.json && npx tsc -p bench/tsconfig.json --outDir /tmp/wharf-bench
 *   WHARF_DATA_DIR=/tmp/seed LAYOUT=spread PACKAGES=10000 RELEASES=100000 \
 *     node -r ./scripts/dist-paths.js /tmp/wharf-bench/bench/import-seed.js
 */
import { join } from 'node:path';
import { loadConfig } from '@wharf/config';
import { GrowthLayout, growthImportItems } from './lib/growth-layout';

async function main(): Promise<void> {
  const root = process.env.WHARF_BENCH_ROOT ?? process.cwd();
  const tools = (f: string) => join(root, 'dist', 'services', 'tools', 'src', f);
  const { importReleases } = require(
    tools('release-import.js'),
  ) as typeof import('../services/tools/src/release-import');
  const { openImportTarget } = require(
    tools('import-targets.js'),
  ) as typeof import('../services/tools/src/import-targets');
  const { importProgressLine } = require(tools('import.js')) as typeof import('../services/tools/src/import');
  const layout = (process.env.LAYOUT ?? 'spread') as GrowthLayout;
  const packages = Number(process.env.PACKAGES ?? 1000);
  const from = Number(process.env.FROM ?? 0);
  const releases = Number(process.env.RELEASES ?? 10_000);
  const config = loadConfig();
  const started = Date.now();
  const target = await openImportTarget(config);
  try {
    const report = await importReleases(growthImportItems(layout, packages, from, releases), target, {
      archiveLimits: config.archive,
      defaultVisibility: config.auth.defaultVisibility,
      ...(process.env.CONCURRENCY ? { concurrency: Number(process.env.CONCURRENCY) } : {}),
      progressEveryMs: 10_000,
      onProgress: (p) => process.stderr.write(importProgressLine(p) + '\n'),
    });
    const imported = Date.now();
    await target.settle();
    const { problems, ...counts } = report;
    process.stdout.write(
      JSON.stringify({
        profile: config.profile,
        layout,
        packages,
        ...counts,
        problems: problems.length,
        firstProblem: problems[0]?.message,
        settleSeconds: (Date.now() - imported) / 1000,
        totalSeconds: (Date.now() - started) / 1000,
      }) + '\n',
    );
  } finally {
    await target.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  },
);

/**
 * Benchmark entry point: `npm run bench -- <scenario>` (via bench/bench.sh, which installs the
 * tools, builds Wharf and compiles this file). Scenarios: pull, show-list, push, growth, memory,
 * search, lag, oci, all; `profile <file.cpuprofile>` summarises a profile. Writes bench/results/<scenario>-<stamp>.{json,md,svg}.
 * Every loop is bounded in count and time; every target listens on 127.0.0.1. Never fails on a threshold.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedRetries } from './lib/charts';
import { profileMarkdown, summarizeProfile } from './lib/profile';
import { PROFILE, RESULTS, log, resetProfileCount } from './lib/harness';
import { Report, newReport } from './lib/report';
import { evaluateGoals } from './lib/report-goals';
import { markdown, svgFor } from './lib/report-output';
import { scenarioPull } from './scenarios/pull';
import { scenarioPullClients } from './scenarios/pull-clients';
import { scenarioShowList } from './scenarios/show-list';
import { scenarioAuth } from './scenarios/auth';
import { scenarioPush } from './scenarios/push';
import { scenarioGrowth } from './scenarios/growth';
import { scenarioSearch } from './scenarios/search';
import { scenarioLag } from './scenarios/lag';
import { scenarioMemory } from './scenarios/memory';
import { scenarioOci } from './scenarios/oci';

const SCENARIOS: Record<string, (r: Report) => Promise<void>> = {
  pull: (r) => scenarioPull(r),
  'pull-clients': scenarioPullClients,
  'show-list': scenarioShowList,
  auth: scenarioAuth,
  push: scenarioPush,
  growth: (r) => scenarioGrowth(r, 'spread'),
  'growth-one': (r) => scenarioGrowth(r, 'one'),
  memory: scenarioMemory,
  search: scenarioSearch,
  lag: scenarioLag,
  oci: scenarioOci,
};

async function runScenario(name: string): Promise<void> {
  const report = newReport(name);
  if (PROFILE) {
    const dir = join(RESULTS, 'profiles', `${name}-${report.date.replace(/[:.]/g, '-')}`);
    mkdirSync(dir, { recursive: true });
    process.env.BENCH_CPU_PROF_DIR = dir;
    resetProfileCount();
  }
  log(`scenario ${name}`);
  await SCENARIOS[name]!(report);
  evaluateGoals(report);
  for (const [t, n] of seedRetries) report.notes.push(`seeding ${t}: ${n} pushes answered 5xx and were retried`);
  seedRetries.clear();
  report.machine.loadavgAtEnd = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  mkdirSync(RESULTS, { recursive: true });
  const stem = `${name}-${report.date.replace(/[:.]/g, '-')}`;
  writeFileSync(join(RESULTS, `${stem}.json`), JSON.stringify(report, null, 2));
  writeFileSync(join(RESULTS, `${stem}.svg`), svgFor(report));
  writeFileSync(join(RESULTS, `${stem}.md`), markdown(report, `${stem}.svg`));
  log(`wrote bench/results/${stem}.{json,md,svg}`);
  for (const g of report.goals) log(`goal ${g.met ? 'met   ' : 'MISSED'} ${g.goal}: ${g.value} (${g.detail})`);
}

async function main(): Promise<void> {
  const [scenario, ...rest] = process.argv.slice(2);
  if (scenario === 'profile') {
    for (const file of rest) process.stdout.write(profileMarkdown(summarizeProfile(file)) + '\n\n');
    return;
  }
  if (scenario === 'list-results') {
    for (const file of existsSync(RESULTS) ? readdirSync(RESULTS) : []) process.stdout.write(file + '\n');
    return;
  }
  // `all`: every scenario but the client comparison (pull-clients) and the one-package growth
  const names =
    scenario === 'all'
      ? Object.keys(SCENARIOS).filter((n) => n !== 'pull-clients' && n !== 'growth-one')
      : [scenario ?? ''];
  for (const n of names) {
    if (!SCENARIOS[n]) {
      process.stderr.write(
        `usage: npm run bench -- <${[...Object.keys(SCENARIOS), 'all'].join('|')}> | profile <file.cpuprofile>\n`,
      );
      process.exit(2);
    }
  }
  for (const n of names) await runScenario(n);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);

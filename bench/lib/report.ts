/**
 * A run's report: what it holds (rows, memory, growth, lag, seeding, goals, profiles, notes) and
 * a fresh one with the machine and the settings it ran with.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { GET_LOAD, LoadResult } from './load';
import { WRK_THREADS, wrkVersion } from './wrk';
import { ProfileSummary } from './profile';
import { CACHE, CNR_WORKERS, TARGETS, TargetName } from './targets';
import { CONNECTIONS, DURATION_S, PROFILE, WARMUP_S } from './harness';

export interface Row extends LoadResult {
  scenario: string;
  case: string;
  target: TargetName;
  note?: string;
  /** CPU ms per request of each engine the target works on (the distributed profile's), beside `cpuMsPerRequest`. */
  engineCpuMsPerRequest?: Record<string, number>;
}
export interface GrowthPoint {
  target: TargetName;
  releases: number;
  push: Row;
  pushExisting: Row;
  show: Row;
}
export interface SeedChunk {
  target: TargetName;
  from: number;
  to: number;
  seconds: number;
  rate: number;
  failed: number;
}
export interface LagRow {
  target: TargetName;
  case: string;
  /** Probe pushes made; found within the timeout: `n - notFound`. */
  n: number;
  notFound: number;
  /** Push answered -> first search answer that lists the package, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** The probe push itself (sent -> answered), ms. */
  pushP50: number;
  pushP99: number;
  /** Background pushes during the case (concurrent case), and their rate. */
  backgroundPushes?: number;
  backgroundRate?: number;
  backgroundFailed?: number;
}
export interface Report {
  scenario: string;
  date: string;
  machine: Record<string, string | number>;
  settings: Record<string, string | number>;
  targets: { name: string; label: string; available: true | string }[];
  rows: Row[];
  memory: {
    target: TargetName;
    emptyRssMiB: number;
    seededRssMiB: number;
    seededPssMiB: number;
    peakRssMiB: number;
    peakPssMiB: number;
  }[];
  growth: GrowthPoint[];
  lag: LagRow[];
  seeding: SeedChunk[];
  growthStops: { target: TargetName; reached: number; wanted: number; reason: string }[];
  goals: { goal: string; value: string; met: boolean; detail: string }[];
  profiles: ProfileSummary[];
  notes: string[];
}

export function cmd(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return String((e as { stderr?: string }).stderr ?? e).trim();
  }
}

export function newReport(scenario: string): Report {
  return {
    scenario,
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? '?',
      cores: cpus().length,
      memGiB: Math.round(totalmem() / 2 ** 30),
      kernel: cmd('uname', ['-r']),
      node: process.version,
      python: cmd(join(CACHE, 'cnr', 'venv', 'bin', 'python'), ['--version']),
      nginx: cmd(join(CACHE, 'nginx', 'root', 'usr', 'sbin', 'nginx'), ['-v']).replace('nginx version: ', ''),
      loadavgAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    },
    settings: {
      loadGenerator: `autocannon ${JSON.parse(readFileSync(join(CACHE, 'node', 'node_modules', 'autocannon', 'package.json'), 'utf8')).version} (in the bench process) for pushes`,
      getLoadGenerator:
        GET_LOAD === 'wrk'
          ? `${wrkVersion()}, ${WRK_THREADS} threads (BENCH_LOAD=autocannon to compare)`
          : 'autocannon (BENCH_LOAD=wrk when installed)',
      durationS: DURATION_S,
      warmupS: WARMUP_S,
      connections: CONNECTIONS,
      cnrWorkers: CNR_WORKERS,
      wharfSqliteSynchronous: process.env.WHARF_SQLITE_SYNCHRONOUS ?? 'full (default)',
      profiling: PROFILE ? 'on (Wharf runs profiled: figures are slower than unprofiled)' : 'off',
    },
    targets: TARGETS.map((t) => ({ name: t.name, label: t.label, available: t.available })),
    rows: [],
    memory: [],
    growth: [],
    lag: [],
    seeding: [],
    growthStops: [],
    goals: [],
    profiles: [],
    notes: [],
  };
}

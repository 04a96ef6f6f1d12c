/**
 * Preloaded (`node -r`) into Wharf by the bench when BENCH_PROFILE=1. The bench writes `start`
 * or `stop` into BENCH_CPU_PROF_DIR/control; this polls it (every 100 ms) and toggles the V8
 * CPU profiler (the same data as `node --cpu-prof`), each stop writing wharf-<n>.cpuprofile.
 * This profiles only the measured window (not startup or seeding), which `--cpu-prof` cannot,
 * and does not depend on how the process exits. (Not a signal: Nest's shutdown hooks take
 * SIGUSR2 as a shutdown request.)
 *
 * With BENCH_CPU_PROF_PER_SERVICE=1 the files are named after the service (`gateway-<n>`,
 * `metadata-<n>`, …), so the distributed profile's four processes can share one directory:
 * `NODE_OPTIONS="-r <build>/bench/lib/cpu-profiler.js" BENCH_CPU_PROF_PER_SERVICE=1 npm run stack`.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR ?? '.';
const control = join(dir, 'control');
const session = new Session();
session.connect();
let running = false;
let count = 0;
const service = /services\/(\w+)\//.exec(process.argv[1] ?? '')?.[1];
const prefix = process.env.BENCH_CPU_PROF_PER_SERVICE === '1' && service ? service : 'wharf';

setInterval(() => {
  const want = existsSync(control) ? readFileSync(control, 'utf8').trim() : 'stop';
  if (want === 'start' && !running) {
    running = true;
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')),
    );
  } else if (want === 'stop' && running) {
    running = false;
    session.post('Profiler.stop', (err, result) => {
      // the next number not taken: a server restarted into the same directory (growth's levels) keeps counting
      let file = join(dir, `${prefix}-${++count}.cpuprofile`);
      while (existsSync(file)) file = join(dir, `${prefix}-${++count}.cpuprofile`);
      writeFileSync(file + '.tmp', err ? JSON.stringify({ error: String(err) }) : JSON.stringify(result.profile));
      renameSync(file + '.tmp', file);
    });
  }
}, 100).unref();

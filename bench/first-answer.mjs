// Time to the first answer of `npm start`: starts it on a fresh data directory and a free port,
// and exits (stopping the server) as soon as GET /version answers 200; exit 1 if none in 60 s.
// Time the whole process from outside, e.g. `/usr/bin/time -v node bench/first-answer.mjs`
// (docs/benchmarks.md, "Start-up"). Run from a current tree to time a second start.
// FIRST_ANSWER_DATA=<dir>: start on a copy of that data directory instead (e.g. one an import
// filled), and also wait for GET /readyz to answer 200 (every consumer group caught up).
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});
const data = mkdtempSync(join(tmpdir(), 'wharf-first-answer-'));
const seeded = process.env.FIRST_ANSWER_DATA;
if (seeded) cpSync(seeded, data, { recursive: true });
const server = spawn('npm', ['start'], {
  env: { ...process.env, WHARF_PORT: String(port), WHARF_HOST: '127.0.0.1', WHARF_DATA_DIR: data },
  stdio: 'ignore',
  detached: true,
});
const started = performance.now();
let code = 1;
for (const until = Date.now() + 60_000; Date.now() < until;) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/version`)).ok) {
      code = 0;
      process.stderr.write(`first answer after ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
      break;
    }
  } catch {
    // not listening yet
  }
  await new Promise((resolve) => setTimeout(resolve, 10));
}
if (code === 0 && seeded) {
  code = 1;
  for (const until = Date.now() + 300_000; Date.now() < until;) {
    if ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok) {
      code = 0;
      process.stderr.write(`ready after ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
process.kill(-server.pid, 'SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
rmSync(data, { recursive: true, force: true });
process.exit(code);

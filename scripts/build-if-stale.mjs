// Builds dist/ (`tsc -p tsconfig.build.json`, incremental) only when a source or a tsconfig is
// newer than the last build, so `npm start` and `npm run replay` start at once from a current
// tree. Comparing modification times of some 300 files takes milliseconds; tsc's own incremental
// check of a current tree takes seconds.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildInfo = join(root, 'dist', '.tsbuildinfo');

function newestSource(dir, newest = 0) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = newestSource(path, newest);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt() {
  try {
    return statSync(buildInfo).mtimeMs;
  } catch {
    return 0;
  }
}

const inputs = Math.max(
  newestSource(join(root, 'libs')),
  newestSource(join(root, 'services')),
  ...['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((file) => statSync(join(root, file)).mtimeMs),
);
if (inputs >= builtAt()) {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  // tsc leaves the file as it was when no output changed: the time says when the tree was last current.
  const now = new Date();
  utimesSync(buildInfo, now, now);
}

#!/usr/bin/env node
// `wharf` (npm bin, `npx wharf`): in a checkout, builds dist/ when a source is newer than the last
// build (its output on stderr, so stdout stays the command's JSON), then runs the compiled CLI
// (services/tools/src/cli/wharf.ts) with the @wharf/... aliases resolved to dist/.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const buildIfStale = path.join(root, 'scripts', 'build-if-stale.mjs');
// A checkout builds what changed; an image (deploy/docker) ships dist/ without the sources.
if (require('node:fs').existsSync(buildIfStale)) {
  try {
    execFileSync(process.execPath, [buildIfStale], { stdio: ['ignore', 2, 2] });
  } catch {
    process.exit(2);
  }
}
require(path.join(root, 'scripts', 'dist-paths.js'));
const { runWharf } = require(path.join(root, 'dist', 'services', 'tools', 'src', 'cli', 'wharf.js'));
// A reader that stops early (`wharf verify | head`) is not an error of the command.
process.stdout.on('error', (error) => process.exit(error.code === 'EPIPE' ? 0 : 1));
runWharf(process.argv).then((code) => process.exit(code));

// `npm run check:boundaries`: the boundaries of docs/architecture.md ("Boundaries"), checked by
// dependency-cruiser in two passes over libs/ and services/:
//   1. .dependency-cruiser.cjs: which folder may import which (every file, tests included);
//   2. .dependency-cruiser-folders.cjs: no cycles between folders (production code only).
// Imports listed in .dependency-cruiser-known-violations.json are reported as known and do not
// fail the check; any other violation does, and so does a listed one that no longer occurs
// (remove its entry: the list only shrinks). Prints each violation with its rule's reason.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const started = performance.now();
process.chdir(new URL('..', import.meta.url).pathname);

const KNOWN_FILE = '.dependency-cruiser-known-violations.json';
const PASSES = ['./.dependency-cruiser.cjs', './.dependency-cruiser-folders.cjs'];
const known = JSON.parse(readFileSync(KNOWN_FILE, 'utf8'));
const tsConfig = extractTSConfig('tsconfig.json');

// dependency-cruiser softens known module violations itself, but not folder-scope ones: one key
// for both, so each listed entry is matched exactly once.
const keyOf = (v) => JSON.stringify([v.type, v.rule.name, v.from, v.to, (v.cycle ?? []).map((c) => c.name ?? c)]);
const knownKeys = new Set(known.map(keyOf));
const seen = new Set();

// Violations by rule, each rule printed once with its reason, then every import that breaks it.
const broken = new Map();
let modules = 0;
let knownCount = 0;
for (const config of PASSES) {
  const options = await extractDepcruiseOptions(config);
  options.knownViolations = known;
  const { output } = await cruise(['libs', 'services'], options, {}, { tsConfig });
  modules = Math.max(modules, output.summary.totalCruised);
  for (const v of output.summary.violations) {
    const key = keyOf(v);
    seen.add(key);
    if (knownKeys.has(key) || v.rule.severity === 'ignore') {
      knownCount++;
      continue;
    }
    const rule = options.ruleSet.forbidden.find((r) => r.name === v.rule.name);
    const path = v.type === 'cycle' ? [v.from, ...v.cycle.map((c) => c.name)] : [v.from, v.to];
    if (!broken.has(v.rule.name)) broken.set(v.rule.name, { comment: rule?.comment ?? '', paths: [] });
    broken.get(v.rule.name).paths.push(path.join(' → '));
  }
}

let failed = broken.size > 0;
for (const [name, { comment, paths }] of broken) {
  console.log(`\n✘ ${name}: ${comment}`);
  for (const p of paths) console.log(`    ${p}`);
}

const stale = known.filter((v) => !seen.has(keyOf(v)));
if (stale.length > 0) {
  failed = true;
  console.log(`\n${KNOWN_FILE} lists ${stale.length} violation(s) that no longer occur; remove them:`);
  for (const v of stale) console.log(`  ${v.rule.name}: ${v.from} → ${v.to}`);
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `${failed ? '\n✘ boundaries broken, the rules: docs/architecture.md, Boundaries' : '✔ boundaries hold'} (${modules} modules, ${knownCount} known violations listed in ${KNOWN_FILE}, ${seconds} s)`,
);
process.exit(failed ? 1 : 0);

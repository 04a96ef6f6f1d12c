// The boundary check's second pass (scripts/check-boundaries.sh): no cycles between folders, over
// production code. Tests and libs/testing are left out: every folder's tests take data and
// contract suites from libs/testing, which imports the folders it tests, so counting them would
// make every library a cycle with libs/testing. .dependency-cruiser.cjs keeps production code
// from importing libs/testing, so nothing that ships can hide behind that exclusion.
const { options } = require('./.dependency-cruiser.cjs');

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment:
        'No cycle between folders: when folder A imports folder B, nothing in B (or below it) imports A ' +
        '(docs/architecture.md, Boundaries). Move the shared piece down to where the arrow points.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(libs|services)/' },
      to: { circular: true },
    },
  ],
  options: {
    ...options,
    exclude: { path: [options.exclude.path, '\\.spec\\.ts$', '\\.(fixture|test-support)\\.ts$', '^libs/testing/'] },
  },
};

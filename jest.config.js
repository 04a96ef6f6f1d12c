// Test tiers live in the file name: *.unit.spec.ts, *.deploy.spec.ts, *.container.spec.ts, *.int.spec.ts, *.distributed.spec.ts, *.e2e.spec.ts, *.browser.spec.ts.
const { pathsToModuleNameMapper } = require('./scripts/jest-paths');

// Jest's workers and the servers the suites start (process.execPath) run on the node that runs Jest.
require('./scripts/node-version').assertSupportedNode('The test suite');

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: pathsToModuleNameMapper(),
  setupFiles: ['reflect-metadata'],
};

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{libs,services}/**/*.unit.spec.ts'] },
    {
      ...base,
      displayName: 'deploy',
      // The Helm chart and docker-compose.yml, checked with helm, helm-unittest and kubeconform.
      testMatch: ['<rootDir>/test/deploy/**/*.deploy.spec.ts'],
    },
    {
      ...base,
      displayName: 'container',
      // The service image built and run on the local container engine (deploy/container).
      testMatch: ['<rootDir>/test/container/**/*.container.spec.ts'],
    },
    {
      ...base,
      displayName: 'int',
      testMatch: ['<rootDir>/{libs,services,test}/**/*.int.spec.ts'],
      // Real backing servers, resolved once per run (see libs/testing/src/backends).
      globalSetup: '<rootDir>/test/support/backends.global-setup.ts',
      globalTeardown: '<rootDir>/test/support/backends.global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/slow-tests.setup.ts'],
    },
    {
      ...base,
      displayName: 'distributed',
      testMatch: ['<rootDir>/test/distributed/**/*.distributed.spec.ts'],
      // The real engines and the compiled services, which each suite starts, kills and restarts.
      globalSetup: '<rootDir>/test/distributed/support/distributed.global-setup.ts',
      globalTeardown: '<rootDir>/test/support/backends.global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/slow-tests.setup.ts'],
    },
    {
      ...base,
      displayName: 'browser',
      // The web UI in Debian's Chromium (playwright-core), against a Wharf the setup starts (test/browser).
      testMatch: ['<rootDir>/test/browser/**/*.browser.spec.ts'],
      globalSetup: '<rootDir>/test/browser/support/browser.global-setup.ts',
      globalTeardown: '<rootDir>/test/browser/support/browser.global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/slow-tests.setup.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e.spec.ts'],
      // A server to talk to: WHARF_URL, or a freshly built embedded Wharf (test/support).
      globalSetup: '<rootDir>/test/support/wharf.global-setup.ts',
      globalTeardown: '<rootDir>/test/support/wharf.global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/slow-tests.setup.ts'],
    },
  ],
};

// Tests that talk to real servers and processes get a longer per-test timeout. (Jest reads
// `testTimeout` only at the top level, not per project, hence this setup file.)
jest.setTimeout(120_000);

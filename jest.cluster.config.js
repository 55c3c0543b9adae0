// `npm run test:cluster`: the survival suite and the cluster's own specs against the real
// Kubernetes cluster of tools/cluster, brought up and torn down by tools/cluster/test-cluster.ts.
// One worker, in order: every spec kills pods of the same cluster.
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testRegex: undefined,
  testMatch: [
    '<rootDir>/test/cluster/**/*.e2e-spec.ts',
    '<rootDir>/test/e2e/survival.e2e-spec.ts',
  ],
  testPathIgnorePatterns: [],
  globalSetup: undefined,
  maxWorkers: 1,
  testTimeout: 300_000,
};

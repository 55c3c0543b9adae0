// One Jest run for unit specs (next to the code) and e2e specs (under test/): `npm test`.
// Nest 12 and jose ship ESM only; @swc/jest turns them (and our TypeScript, with decorators and
// their metadata) into CommonJS so Jest on Node 20 loads them without flags.
const { compilerOptions } = require('./tsconfig.json');

// Module aliases declared once, in tsconfig.json `paths`, mapped here from the same place.
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('/*', '/(.*)')}$`,
    `<rootDir>/${target.replace('./', '').replace('/*', '/$1')}`,
  ]),
);

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
    },
    module: { type: 'commonjs' },
  },
];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: '(apps|libs|tools|test)/.*\\.(spec|e2e-spec)\\.ts$',
  // The real cluster's specs run in `npm run test:cluster` only (jest.cluster.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|jose|file-type|load-esm|uid|strtok3|token-types|@tokenizer|@kubernetes/client-node|openid-client|oauth4webapi)/)',
  ],
  moduleNameMapper,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // Generous: e2e hooks start real processes, and a busy 2-core machine can be slow to boot them.
  testTimeout: 90_000,
  // Each e2e file starts its own Redis and processes on free ports; two workers fit two cores.
  maxWorkers: 2,
};

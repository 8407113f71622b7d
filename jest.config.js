/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples'],
  testMatch: ['**/src/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.(t|j)sx?$': swc },
  moduleNameMapper: {
    '^@ai-failover/(core|testing|express|koa|nestjs|redis)$': '<rootDir>/packages/$1/src/index.ts',
    '^@ai-failover/core/http$': '<rootDir>/packages/core/src/http/index.ts',
    '^@ai-failover/core/options$': '<rootDir>/packages/core/src/options.ts',
    '^@ai-failover/testing/support$': '<rootDir>/packages/testing/src/support/index.ts',
    '^@ai-failover/example-shared$': '<rootDir>/examples/shared/src/index.ts',
  },
  testTimeout: 20000,
};

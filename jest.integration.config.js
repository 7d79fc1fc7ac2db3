/**
 * `npm run test:integration`: the `*.int.test.ts` files (see jest.config.js): tests that start
 * real processes, listen on ports, kill, lock or mount. Run before pushing; CI runs it after `npm test`.
 */
const unit = require('./jest.config');
const { NOT_YET_SPLIT } = unit;

/** @type {import('jest').Config} */
module.exports = {
  ...unit,
  testMatch: ['**/*.int.test.ts', ...NOT_YET_SPLIT.map((p) => p.replace('<rootDir>/', '**/'))],
  testPathIgnorePatterns: ['/node_modules/', '/build/', '/dist/'],
  testTimeout: 180000,
  // One file at a time, as before: these tests start servers, time drains and run Locust, and
  // measure what they start against budgets that a second file running beside them would eat.
  maxWorkers: 1,
};

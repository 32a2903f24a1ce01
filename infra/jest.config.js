/** Jest runs the TypeScript tests through ts-jest (type errors are caught by `tsc --noEmit` first). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};

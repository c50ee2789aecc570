/** Tests import the package by its public names, so they see only what users see. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: 'test/.*\\.(spec|e2e-spec)\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^nestjs-ecwid$': '<rootDir>/src/index.ts',
    '^nestjs-ecwid/testing$': '<rootDir>/src/testing/index.ts',
  },
  testTimeout: 30000,
};

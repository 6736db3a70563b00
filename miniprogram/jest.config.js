// jest + miniprogram-simulate (jsdom); tests are tests/*.test.js
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.js'],
  testTimeout: 20000,
}

import { defineConfig } from 'vitest/config';

// One test command for the whole repo. Unit tests (`*.test.ts`) run in-process; integration
// (`*.int.test.ts`) use real SQLite, the real Claude Code CLI and the scripted model; browser
// tests (`test/e2e/*.e2e.test.ts`) drive Debian's Chromium against `npm start`.
export default defineConfig({
  test: {
    include: ['{core,functions,runner,web,test}/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    // Two cores: integration suites each start Claude Code processes; keep them from starving each other.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Google's client libraries look for credentials on the metadata server when none are given;
    // tests only ever talk to emulators on 127.0.0.1, so that lookup is switched off outright.
    env: { METADATA_SERVER_DETECTION: 'none' },
  },
});

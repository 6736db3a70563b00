import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.ts';

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      environment: 'jsdom',
      include: ['tests/unit/**/*.test.ts'],
      // A 2-core machine: keep the suite to one worker beside whatever else runs.
      maxWorkers: 1,
      setupFiles: ['tests/unit/setup.ts'],
      // Element Plus modules import their CSS; let Vite (not Node) load them.
      server: { deps: { inline: ['element-plus'] } },
    },
  }),
);

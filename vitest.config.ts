import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

// Tests run on source: the `wse-source` export condition points every @wse/* import at src/.
const resolve = { conditions: ['wse-source', 'module', 'browser', 'development|production'] };
const nodeResolve = { conditions: ['wse-source', 'node', 'import', 'module', 'default'] };

export default defineConfig({
  test: {
    projects: [
      {
        resolve: nodeResolve,
        ssr: { resolve: { conditions: ['wse-source'], externalConditions: ['wse-source'] } },
        test: {
          name: 'unit',
          environment: 'node',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          exclude: ['**/*.dom.test.*', '**/*.int.test.*', '**/node_modules/**'],
        },
      },
      {
        resolve,
        // Svelte components in binding tests compile through the plugin; svelteTesting() makes
        // @testing-library/svelte resolve the browser build (else "mount is not available on the server").
        plugins: [svelte(), svelteTesting()],
        test: {
          name: 'dom',
          environment: 'happy-dom',
          include: ['packages/*/src/**/*.dom.test.{ts,tsx}', 'packages/*/test/**/*.dom.test.{ts,tsx}'],
          setupFiles: ['./scripts/dom-setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        resolve: nodeResolve,
        ssr: { resolve: { conditions: ['wse-source'], externalConditions: ['wse-source'] } },
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['packages/*/test/**/*.int.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 20_000,
          hookTimeout: 20_000,
        },
      },
      {
        // The hostile suite (test/hardening/README.md): servers in child processes under attack, with
        // memory and event-loop bounds. It runs after every other project (groupOrder) and one file
        // at a time, so no other test's load skews what it measures — and its load skews no one's.
        resolve: nodeResolve,
        ssr: { resolve: { conditions: ['wse-source'], externalConditions: ['wse-source'] } },
        test: {
          name: 'hardening',
          environment: 'node',
          include: ['test/hardening/**/*.test.ts'],
          globalSetup: ['./test/hardening/support/global-setup.ts'],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});

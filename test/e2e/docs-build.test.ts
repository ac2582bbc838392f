// The docs site builds, with VitePress's dead-link check on (a dead link fails the build), and the
// generated pages hold what they are generated from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODE_INFO, ERROR_CODE_INFO } from '../../packages/core-client/src/protocol/codes';
import { DOCS_DIST, runDocsBuild } from './support/docs-build';

describe('docs site build', () => {
  it('builds with no dead links', async () => {
    const r = await runDocsBuild();
    expect(r.output).not.toMatch(/dead link/i);
    expect(r.code, r.output).toBe(0);
  }, 180_000);

  it('ships a favicon, linked from every page', () => {
    expect(readFileSync(join(DOCS_DIST, 'favicon.svg'), 'utf8')).toContain('<svg');
    for (const page of ['index.html', 'guide/getting-started.html'])
      expect(readFileSync(join(DOCS_DIST, page), 'utf8')).toContain(
        'rel="icon" type="image/svg+xml" href="/favicon.svg"',
      );
  });

  it('generates the close and error code tables from the codec', () => {
    const html = readFileSync(join(DOCS_DIST, 'reference/codes.html'), 'utf8');
    for (const [code, info] of Object.entries(CLOSE_CODE_INFO)) {
      expect(html).toContain(`<code>${code}</code>`);
      expect(html).toContain(`<code>${info.name}</code>`);
    }
    for (const code of Object.keys(ERROR_CODE_INFO)) expect(html).toContain(`<code>${code}</code>`);
  });

  it('has every page the sidebar promises', () => {
    for (const page of [
      'guide/getting-started',
      'concepts/topics',
      'concepts/recovery',
      'concepts/presence',
      'concepts/encryption',
      'concepts/clustering',
      'concepts/queue-groups',
      'concepts/signing',
      'protocol/index',
      'packages/core-client',
      'packages/ref-server',
      'packages/react',
      'packages/vue',
      'packages/svelte',
      'packages/node-sync',
      'operations/index',
      'operations/configuration',
      'operations/benchmarks',
      'operations/reliability',
      'playground/index',
    ]) {
      expect(() => readFileSync(join(DOCS_DIST, `${page}.html`)), page).not.toThrow();
    }
  });
});

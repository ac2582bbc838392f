// The browser bundle budget, checked in `npm test` (the same measurement as `npm run size`):
// esbuild bundles src/index.ts in-process with code splitting, each output gzipped on its own.
import { describe, expect, it } from 'vitest';
import { INITIAL_BUDGET, measureBundle } from '../scripts/bundle-size';

describe('core-client browser bundle', () => {
  const measured = measureBundle('src/index.ts'); // one build for both tests
  it(`keeps the initial load within ${INITIAL_BUDGET} B min+gzip`, async () => {
    const m = await measured;
    expect(m.initial.gz).toBeGreaterThan(10_000); // a real bundle was measured, not an empty one
    expect(m.initial.gz).toBeLessThanOrEqual(INITIAL_BUDGET);
  }, 60_000);

  it('keeps the lazy chunks out of the initial load', async () => {
    const m = await measured;
    const lazy = m.lazy.map((l) => l.name);
    for (const chunk of [
      'protocol/zlib.ts',
      'protocol/msgpack.ts',
      'session/e2e.ts',
      'quality/quality-monitor.ts',
      'offline/indexeddb-store.ts',
      'endpoints/endpoint-strategies.ts',
    ])
      expect(lazy).toContain(chunk);
    const initialInputs = m.initial.inputs.map(([, file]) => file);
    expect(initialInputs).not.toContain('endpoints/endpoint-strategies.ts');
    expect(initialInputs.some((f) => f.startsWith('pkg:fflate'))).toBe(false);
  }, 60_000);
});

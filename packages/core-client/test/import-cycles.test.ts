// Straight layering (issue 17.2), read from the import statements of every non-test source file
// (type-only imports included; dynamic import() is a lazy chunk, not a layering edge):
// no two files import each other in any package, and inside core-client no folder imports a folder
// that imports it.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { folderCycles, importGraph, mutualImports } from '../../../scripts/import-graph';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = ['core-client', 'ref-server', 'react', 'vue', 'svelte', 'node-sync'];

describe('import structure', () => {
  it.each(PACKAGES)('%s: no two files import each other', (pkg) => {
    const graph = importGraph(`${ROOT}packages/${pkg}/src`);
    expect(graph.size).toBeGreaterThan(3); // the sources were read
    expect(mutualImports(graph)).toEqual([]);
  });

  it('core-client: no folder imports a folder that imports it', () => {
    const cycles = folderCycles(importGraph(`${ROOT}packages/core-client/src`)).map((c) =>
      c.replace(/ \(.*$/, ''),
    );
    expect(cycles).toEqual([]);
  });

  it('the checks see a cycle when there is one', () => {
    const graph = new Map([
      ['a/x.ts', new Set(['b/y.ts'])],
      ['b/y.ts', new Set(['a/x.ts'])],
    ]);
    expect(mutualImports(graph)).toEqual(['a/x.ts <-> b/y.ts']);
    expect(folderCycles(graph)).toEqual(['a <-> b (a/x.ts -> b/y.ts; b/y.ts -> a/x.ts)']);
  });
});

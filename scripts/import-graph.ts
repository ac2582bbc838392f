/**
 * The static import graph of a package's sources (tests excluded), read from its import/export
 * statements — type-only ones included, dynamic `import()` not (a lazy chunk is no layering edge).
 * Used by packages/core-client/test/import-cycles.test.ts: "no two files import each other" and
 * "no folder imports a folder that imports it".
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** File → the files it imports, both relative to `srcDir`. */
export type ImportGraph = Map<string, Set<string>>;

const IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]/gm;
const BARE_IMPORT = /^\s*import\s+['"](\.[^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Reads the graph of every non-test `.ts` file under `srcDir`.
 *
 * @example
 * ```ts
 * const graph = importGraph('packages/core-client/src');
 * ```
 */
export function importGraph(srcDir: string): ImportGraph {
  const root = resolve(srcDir);
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    const targets = new Set<string>();
    for (const re of [IMPORT, BARE_IMPORT]) {
      for (const m of text.matchAll(re)) {
        const target = resolveImport(file, m[1] as string);
        if (target) targets.add(relative(root, target));
      }
    }
    graph.set(relative(root, file), targets);
  }
  return graph;
}

/**
 * Pairs of files that import each other, as `a <-> b` (sorted).
 *
 * @example
 * ```ts
 * expect(mutualImports(importGraph('src'))).toEqual([]);
 * ```
 */
export function mutualImports(graph: ImportGraph): string[] {
  const out = new Set<string>();
  for (const [a, targets] of graph) {
    for (const b of targets) if (a !== b && graph.get(b)?.has(a)) out.add([a, b].sort().join(' <-> '));
  }
  return [...out].sort();
}

/** The folder of a file (`.` for the package root). */
const folderOf = (file: string): string => dirname(file);

/**
 * Pairs of folders that import each other (each side has a file importing a file of the other),
 * with one example edge each way.
 *
 * @example
 * ```ts
 * expect(folderCycles(importGraph('src'))).toEqual([]);
 * ```
 */
export function folderCycles(graph: ImportGraph): string[] {
  const edges = new Map<string, string>(); // 'from -> to' → an example file edge
  for (const [a, targets] of graph) {
    for (const b of targets) {
      const [fa, fb] = [folderOf(a), folderOf(b)];
      if (fa !== fb && !edges.has(`${fa} -> ${fb}`)) edges.set(`${fa} -> ${fb}`, `${a} -> ${b}`);
    }
  }
  const out: string[] = [];
  for (const [key, example] of edges) {
    const [fa, fb] = key.split(' -> ') as [string, string];
    const back = edges.get(`${fb} -> ${fa}`);
    if (back && fa < fb) out.push(`${fa} <-> ${fb} (${example}; ${back})`);
  }
  return out.sort();
}

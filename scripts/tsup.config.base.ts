import { defineConfig, type Options } from 'tsup';

/**
 * One build factory for every package: ESM + CJS + `.d.ts`, one entry per public subpath.
 * Packages pass their entries (name → source file) and the modules they keep external.
 *
 * @example
 * export default wseBuild({ index: 'src/index.ts', protocol: 'src/protocol/index.ts' });
 */
export function wseBuild(entry: Record<string, string>, extra: Partial<Options> = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    // TS 6 deprecates options tsup's dts worker still sets; without this it fails with TS5101.
    dts: { compilerOptions: { ignoreDeprecations: '6.0', customConditions: [] } },
    sourcemap: true,
    clean: true,
    target: 'es2022',
    splitting: false,
    treeshake: true,
    outDir: 'dist',
    ...extra,
  });
}

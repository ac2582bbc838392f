import { defineConfig, type Options } from 'tsup';

/**
 * One build factory for every package: ESM + CJS + `.d.ts`, one entry per public subpath.
 * Packages pass their entries (name → source file) and the modules they keep external; with
 * `stripInternal`, declarations tagged `@internal` are left out of the published `.d.ts`.
 *
 * @example
 * export default wseBuild({ index: 'src/index.ts', protocol: 'src/protocol/index.ts' });
 */
export function wseBuild(
  entry: Record<string, string>,
  extra: Partial<Options> = {},
  { stripInternal = false }: { stripInternal?: boolean } = {},
) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    // TS 6 deprecates options tsup's dts worker still sets; without this it fails with TS5101.
    // customConditions: [] makes the d.ts build resolve @wse/* through their built d.ts (as a
    // consumer does), not through src. stripInternal drops declarations tagged `@internal`.
    dts: { compilerOptions: { ignoreDeprecations: '6.0', customConditions: [], stripInternal } },
    sourcemap: true,
    clean: true,
    target: 'es2022',
    splitting: false,
    treeshake: true,
    outDir: 'dist',
    ...extra,
  });
}

import { wseBuild } from '../../scripts/tsup.config.base';

// Every export is a hook or a provider: client-only under React Server Components, so each output
// (ESM and CJS) starts with 'use client'. esbuild drops the directive from bundled sources, hence a
// banner; and tsup's extra Rollup tree-shaking pass drops it from the banner too ("Module level
// directives cause errors when bundled"), hence `treeshake: false` — esbuild still tree-shakes
// (one entry, no splitting). `scripts/check-packages.mjs --built` fails when the directive is missing.
export default wseBuild({ index: 'src/index.ts' }, { banner: { js: "'use client';" }, treeshake: false });

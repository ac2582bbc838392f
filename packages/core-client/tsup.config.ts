import { wseBuild } from '../../scripts/tsup.config.base';

// Code splitting: the codecs the client loads with `import()` (zlib, msgpack, crypto, IndexedDB)
// stay separate chunks in dist, so an app bundler keeps them out of the app's entry too.
// stripInternal: what is tagged `@internal` (for this repo's own packages and tests, not API) is
// left out of the published d.ts — see the README's "Internal exports".
export default wseBuild(
  { index: 'src/index.ts', protocol: 'src/protocol/index.ts', testing: 'src/testing/index.ts' },
  { splitting: true },
  { stripInternal: true },
);

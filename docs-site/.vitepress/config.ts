import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitepress';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The playground imports @wse/core-client from source (the `wse-source` export condition), so the
// site builds without building the packages first. The alias makes that independent of how the
// installed Vite merges `resolve.conditions`.
const coreClientSrc = here('../../packages/core-client/src/');

export default defineConfig({
  title: 'WSE',
  description:
    'Real-time messaging for front ends and Node services: client SDKs, bindings and a reference server.',
  srcExclude: ['README.md'],
  // public/favicon.svg is copied to the site root; the browser asks for one on every page.
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  cleanUrls: false,
  lastUpdated: false,
  // Dead links fail the build (VitePress default). Keep it that way: the e2e project builds the site.
  ignoreDeadLinks: false,
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Protocol', link: '/protocol/' },
      { text: 'Packages', link: '/packages/core-client' },
      { text: 'Operations', link: '/operations/' },
      { text: 'Playground', link: '/playground/' },
    ],
    sidebar: [
      {
        text: 'Guide',
        items: [
          { text: 'Getting started', link: '/guide/getting-started' },
          { text: 'Playground', link: '/playground/' },
        ],
      },
      {
        text: 'Concepts',
        items: [
          { text: 'Topics and messages', link: '/concepts/topics' },
          { text: 'Queue groups', link: '/concepts/queue-groups' },
          { text: 'Recovery', link: '/concepts/recovery' },
          { text: 'Presence', link: '/concepts/presence' },
          { text: 'End-to-end encryption', link: '/concepts/encryption' },
          { text: 'Message signing', link: '/concepts/signing' },
          { text: 'Clustering (planned)', link: '/concepts/clustering' },
        ],
      },
      {
        text: 'Wire protocol',
        items: [
          { text: 'Overview', link: '/protocol/' },
          { text: 'Close and error codes', link: '/reference/codes' },
        ],
      },
      {
        text: 'Packages',
        items: [
          { text: '@wse/core-client', link: '/packages/core-client' },
          { text: '@wse/ref-server', link: '/packages/ref-server' },
          { text: '@wse/react', link: '/packages/react' },
          { text: '@wse/vue', link: '/packages/vue' },
          { text: '@wse/svelte', link: '/packages/svelte' },
          { text: '@wse/node-sync', link: '/packages/node-sync' },
        ],
      },
      {
        text: 'Operations',
        items: [
          { text: 'Running the server', link: '/operations/' },
          { text: 'Configuration', link: '/operations/configuration' },
          { text: 'Benchmarks', link: '/operations/benchmarks' },
          { text: 'Reliability', link: '/operations/reliability' },
        ],
      },
    ],
    search: { provider: 'local' },
    outline: [2, 3],
  },
  vite: {
    resolve: {
      conditions: ['wse-source'],
      alias: [
        { find: /^@wse\/core-client\/protocol$/, replacement: `${coreClientSrc}protocol/index.ts` },
        { find: /^@wse\/core-client$/, replacement: `${coreClientSrc}index.ts` },
      ],
    },
    server: { fs: { allow: [here('../..')] } },
    build: { chunkSizeWarningLimit: 1500 },
  },
});

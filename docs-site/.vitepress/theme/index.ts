import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import { defineAsyncComponent } from 'vue';
import PackageReadme from './PackageReadme.vue';

/**
 * The default theme plus `<PackageReadme name>` and the `<WsePlayground>` component. The playground is loaded lazily so the
 * SSR build never evaluates the client (it touches browser globals once it runs); pages wrap it in
 * `<ClientOnly>`.
 */
const theme: Theme = {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('PackageReadme', PackageReadme);
    app.component(
      'WsePlayground',
      defineAsyncComponent(() => import('./playground/Playground.vue')),
    );
  },
};

export default theme;

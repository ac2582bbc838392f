// Plain tsc cannot read single-file components; the playground's .vue files are checked by the
// Vite build (and their logic lives in .ts modules that tsc does check).
declare module '*.vue' {
  import type { DefineComponent } from 'vue';

  const component: DefineComponent<object, object, unknown>;
  export default component;
}

import {
  type ClientOptions,
  createClient,
  DEFAULT_LINGER_MS,
  type MessageMap,
  type WSEClient,
} from '@wse/core-client';
import {
  type App,
  getCurrentInstance,
  type InjectionKey,
  inject,
  markRaw,
  onMounted,
  onScopeDispose,
} from 'vue';

/**
 * What the plugin provides to the composables.
 *
 * @example
 * ```ts
 * const { client } = inject(WSE_KEY)!;
 * ```
 */
export interface WSEBinding {
  readonly client: WSEClient<MessageMap>;
  /** How long the connection and topic subscriptions outlive their last user (ms). */
  readonly lingerMs: number;
  readonly autoConnect: boolean;
}

/**
 * The injection key of the plugin (for `provide` in tests or nested apps).
 *
 * @example
 * ```ts
 * app.provide(WSE_KEY, { client, lingerMs: 1000, autoConnect: true });
 * ```
 */
export const WSE_KEY: InjectionKey<WSEBinding> = Symbol('wse');

/**
 * Options of {@link createWSE}: client options (or a `client`), plus the binding's own settings.
 *
 * @example
 * ```ts
 * const options: CreateWSEOptions = { endpoints: 'wss://example.com/wse', lingerMs: 1000 };
 * ```
 */
export type CreateWSEOptions = (ClientOptions | { client: WSEClient<MessageMap> }) & {
  /**
   * Connect when the first composable mounts and close `lingerMs` after the last one is disposed;
   * default `true`. `false`: you call `connect()`/`close()` (sends still connect lazily).
   */
  autoConnect?: boolean;
  /** Delay before closing / unsubscribing after the last user; default 1000 ms. */
  lingerMs?: number;
};

/**
 * The Vue plugin: `app.use(createWSE({ endpoints }))`. One client per plugin; `plugin.client` is
 * it. Nothing connects until a composable mounts, so server rendering opens no socket.
 *
 * @example
 * ```ts
 * import { createApp } from 'vue';
 * import { createWSE } from '@wse/vue';
 * createApp(App).use(createWSE({ endpoints: 'wss://example.com/wse', token: () => getJwt() })).mount('#app');
 * ```
 */
export function createWSE(options: CreateWSEOptions): {
  client: WSEClient<MessageMap>;
  install(app: App): void;
} {
  const { autoConnect = true, lingerMs = DEFAULT_LINGER_MS, ...rest } = options;
  // markRaw: the client keeps JS private (#) state, which a reactive proxy cannot reach.
  const client = markRaw('client' in rest ? rest.client : createClient(rest));
  const binding: WSEBinding = { client, lingerMs, autoConnect };
  return { client, install: (app) => void app.provide(WSE_KEY, binding) };
}

/**
 * The plugin's binding; throws an error that names the fix when the plugin is missing.
 *
 * @example
 * ```ts
 * const { client } = useWSEBinding('useTopic');
 * ```
 */
export function useWSEBinding(composable: string): WSEBinding {
  const binding = inject(WSE_KEY, null);
  if (!binding) throw new Error(`${composable}: install the plugin first: app.use(createWSE({ endpoints }))`);
  return binding;
}

/**
 * Runs `start` once mounted (at once outside a component, e.g. in an `effectScope`) and the
 * function it returns when the scope is disposed. Never runs during server rendering.
 *
 * @example
 * ```ts
 * whileMounted(() => client.retainTopic('news'));
 * ```
 */
export function whileMounted(start: () => () => void): void {
  let stop: (() => void) | null = null;
  const run = (): void => {
    stop = start();
  };
  if (getCurrentInstance()) onMounted(run);
  else run();
  onScopeDispose(() => {
    stop?.();
    stop = null;
  });
}

/**
 * Holds the connection open while the calling scope lives (when the binding manages it).
 *
 * @example
 * ```ts
 * useConnection(useWSEBinding('useWSE'));
 * ```
 */
export function useConnection(binding: WSEBinding): void {
  const { client, lingerMs } = binding;
  if (binding.autoConnect) whileMounted(() => client.retain({ lingerMs }));
}

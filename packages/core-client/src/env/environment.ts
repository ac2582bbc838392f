/**
 * Online/visibility sources, injected. The client pauses reconnecting while offline and retries
 * at once when the network or the page comes back. Nothing here touches `window`, `document` or
 * `navigator` at import time: the browser source reads them only when its methods are called.
 *
 * @module
 */

/**
 * What an {@link EnvironmentSource} reports: the network went up or down, the page became
 * visible again, or it was restored from the back/forward cache.
 *
 * @example
 * ```ts
 * const wake: EnvironmentEvent[] = ['online', 'visible', 'pageshow'];
 * ```
 */
export type EnvironmentEvent = 'online' | 'offline' | 'visible' | 'pageshow';

/**
 * Where the client learns whether it is online and when to try again.
 *
 * @example
 * ```ts
 * function watch(env: EnvironmentSource) {
 *   if (!env.isOnline()) console.log('waiting for the network');
 *   return env.subscribe((ev) => { if (ev !== 'offline') console.log('retry now'); });
 * }
 * ```
 */
export interface EnvironmentSource {
  /** `false` only when the platform says so for sure (e.g. `navigator.onLine === false`). */
  isOnline(): boolean;
  /** Listens for {@link EnvironmentEvent}s; returns the function that stops listening. */
  subscribe(listener: (ev: EnvironmentEvent) => void): () => void;
}

/** The minimal `EventTarget` surface the browser source uses. */
interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/**
 * The globals a browser source reads, all optional so the same code runs in Node, workers and
 * pages. Defaults to `globalThis`.
 *
 * @example
 * ```ts
 * const globals: BrowserGlobals = { navigator: { onLine: false } };
 * createBrowserEnvironment(() => globals).isOnline(); // false
 * ```
 */
export interface BrowserGlobals {
  navigator?: { onLine?: boolean };
  window?: EventTargetLike;
  document?: EventTargetLike & { visibilityState?: string };
}

/**
 * A source that is always online and never emits: Node, Deno, servers, tests.
 *
 * @example
 * ```ts
 * nodeEnvironment.isOnline(); // true
 * const stop = nodeEnvironment.subscribe(() => {}); // never called
 * stop();
 * ```
 */
export const nodeEnvironment: EnvironmentSource = {
  isOnline: () => true,
  subscribe: () => () => {},
};

/**
 * A browser source over `navigator.onLine`, the `online`/`offline`/`pageshow` events of `window`
 * and `visibilitychange` of `document` (reported as `'visible'` when the page becomes visible).
 * Missing globals degrade to "online, no events". `getGlobals` is called on every use, never at
 * creation.
 *
 * @example
 * ```ts
 * const env = createBrowserEnvironment();
 * const stop = env.subscribe((ev) => console.log(ev)); // 'online' | 'offline' | 'visible' | 'pageshow'
 * stop();
 * ```
 */
export function createBrowserEnvironment(
  getGlobals: () => BrowserGlobals = () => globalThis as BrowserGlobals,
): EnvironmentSource {
  return {
    isOnline: () => getGlobals().navigator?.onLine !== false,
    subscribe(listener) {
      const { window: win, document: doc } = getGlobals();
      const online = () => listener('online');
      const offline = () => listener('offline');
      const pageshow = () => listener('pageshow');
      const visibility = () => {
        if (doc?.visibilityState === 'visible') listener('visible');
      };
      win?.addEventListener('online', online);
      win?.addEventListener('offline', offline);
      win?.addEventListener('pageshow', pageshow);
      doc?.addEventListener('visibilitychange', visibility);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        win?.removeEventListener('online', online);
        win?.removeEventListener('offline', offline);
        win?.removeEventListener('pageshow', pageshow);
        doc?.removeEventListener('visibilitychange', visibility);
      };
    },
  };
}

/**
 * Picks the source for the current platform, checked when called: the browser source when both
 * `window` and `document` exist, else {@link nodeEnvironment}.
 *
 * @example
 * ```ts
 * const env = defaultEnvironment(); // in Node: nodeEnvironment
 * ```
 */
export function defaultEnvironment(
  globals: BrowserGlobals = globalThis as BrowserGlobals,
): EnvironmentSource {
  return globals.window && globals.document ? createBrowserEnvironment() : nodeEnvironment;
}

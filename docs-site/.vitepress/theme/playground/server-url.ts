/**
 * Where the playground's server is and how it gets a token: same origin by default (the server
 * serves this site), `POST /dev/token {sub}` for the token.
 *
 * @module
 */

/**
 * The page's own origin, e.g. `http://127.0.0.1:5007`.
 *
 * @example
 * ```ts
 * defaultServerUrl(); // 'http://127.0.0.1:5007' when served by `npm start`
 * ```
 */
export function defaultServerUrl(): string {
  return typeof location === 'undefined' ? 'http://127.0.0.1:5007' : location.origin;
}

/**
 * The WebSocket URL of a server's HTTP origin: `http` → `ws`, `https` → `wss`, path `/wse`.
 *
 * @example
 * ```ts
 * wsEndpoint('http://127.0.0.1:5007'); // 'ws://127.0.0.1:5007/wse'
 * ```
 */
export function wsEndpoint(server: string): string {
  const url = new URL('/wse', server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/**
 * A client `token` function for a dev server: mints a token for `user` with `POST /dev/token` and
 * reuses it until 30 s before it expires.
 *
 * @example
 * ```ts
 * createClient({ endpoints: wsEndpoint(origin), token: createTokenSource(origin, 'ada') });
 * ```
 */
export function createTokenSource(server: string, user: string): () => Promise<string> {
  let cached: { token: string; until: number } | null = null;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.token;
    const res = await fetch(new URL('/dev/token', server), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sub: user }),
    });
    if (!res.ok) throw new Error(`POST /dev/token: HTTP ${res.status} (is the server running with --dev?)`);
    const body = (await res.json()) as { token: string; expires_in: number };
    cached = { token: body.token, until: Date.now() + Math.max(0, body.expires_in - 30) * 1000 };
    return body.token;
  };
}

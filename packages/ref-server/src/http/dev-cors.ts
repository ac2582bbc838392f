import type { HttpResponse } from './http-api';

/**
 * CORS for the dev endpoints (`/dev/token`), dev mode only: a browser app served from another
 * port (a Vite dev server on :5173) may mint a dev token. Only loopback origins are answered
 * (**decided**: dev mode binds 127.0.0.1; a page on some other site the developer visits must not
 * mint tokens for the local server), reflected with `Vary: Origin`; no credentials. Anything else
 * gets no CORS headers, so the browser blocks it.
 *
 * @example
 * devCorsHeaders('http://localhost:5173'); // { 'access-control-allow-origin': 'http://localhost:5173', vary: 'Origin' }
 * devCorsHeaders('https://evil.example');  // {}
 */
export function devCorsHeaders(origin: string | undefined): Record<string, string> {
  if (!origin || !LOOPBACK_ORIGIN.test(origin)) return {};
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d{1,5})?$/i;

/**
 * The answer to a CORS preflight (`OPTIONS`) on a dev endpoint: 204 with the allowed method and
 * the `Content-Type` header (`/dev/token` requires `application/json`, which forces the preflight).
 *
 * @example
 * devPreflight('http://localhost:5173').status; // 204
 */
export function devPreflight(origin: string | undefined): HttpResponse {
  const cors = devCorsHeaders(origin);
  const allow: Record<string, string> = cors['access-control-allow-origin']
    ? {
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': '600',
      }
    : {};
  return { status: 204, headers: { allow: 'POST, OPTIONS', ...cors, ...allow }, body: '' };
}

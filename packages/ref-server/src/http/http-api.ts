import { createHash, timingSafeEqual } from 'node:crypto';
import { MAX_DEPTH, ProtocolError } from '@wse/core-client/protocol';
import { Registry } from 'prom-client';
import { validateTopicName } from '../auth/topic-acl';
import { devCorsHeaders, devPreflight } from './dev-cors';

/**
 * What the HTTP routes need from the server. `mintDevToken` is present only in `--dev` mode.
 *
 * @example
 * const facade: HttpFacade = {
 *   healthSnapshot: () => server.healthSnapshot(),
 *   publish: (topic, data) => server.broadcast(topic, data),
 *   broadcastAll: (data) => server.broadcastAll(data),
 *   metricsText: () => metrics.render(),
 * };
 */
export interface HttpFacade {
  healthSnapshot(): object;
  /** Returns the number of local deliveries. */
  publish(topic: string, data: unknown): number;
  /** Returns the number of local deliveries. */
  broadcastAll(data: unknown): number;
  metricsText(): Promise<string>;
  /** Content-Type of `metricsText()` (default: Prometheus text format 0.0.4). */
  metricsContentType?: string;
  mintDevToken?(sub: string): Promise<{ token: string; expires_in: number }>;
}

/**
 * Options for {@link handleHttp}.
 *
 * @example
 * const o: HttpApiOptions = { apiKey: process.env.WSE_API_KEY, maxBodyBytes: 64 * 1024 };
 */
export interface HttpApiOptions {
  /** Guards `POST /api/publish` and `/api/broadcast`; unset = those routes answer 403. */
  apiKey?: string;
  /** Enables `POST /dev/token` (needs `facade.mintDevToken`). */
  dev?: boolean;
  /** Request body cap, bytes (default 1 MiB); bigger bodies get 413. */
  maxBodyBytes?: number;
  /** Called with errors thrown by the facade (the response is a bare 500). */
  onError?: (err: unknown) => void;
}

/**
 * An HTTP response the transport writes as is.
 *
 * @example
 * const r: HttpResponse = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
 */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/** Default request body cap (1 MiB). The transport should stop buffering past it too. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
const ROUTES: Record<string, string> = {
  '/health': 'GET',
  '/metrics': 'GET',
  '/api/publish': 'POST',
  '/api/broadcast': 'POST',
  '/dev/token': 'POST',
};

/**
 * The server's HTTP API on the WebSocket port. Routes:
 * - `GET /health` → 200 JSON `healthSnapshot()`;
 * - `GET /metrics` → 200 Prometheus text;
 * - `POST /api/publish {topic, data}` / `POST /api/broadcast {data}` with `Authorization: apikey <key>`
 *   → 200 `{ok: true, delivered}`; 401 without or with a wrong key (constant-time compare); 403 when
 *   no `apiKey` is configured (the routes are off); 413 over `maxBodyBytes`; 400 on bad JSON, a
 *   missing/invalid topic or a missing `data`;
 * - `POST /dev/token {sub}` (only with `dev` and `facade.mintDevToken`; needs
 *   `Content-Type: application/json`, which forces a CORS preflight for cross-site pages) →
 *   200 `{token, expires_in}`; 400 on a bad `sub`, 415 on another content type. It answers CORS
 *   for loopback origins (`OPTIONS` preflight → 204; see `dev-cors.ts`);
 * A known path with another method → 405 with `Allow`. Anything else → `null` (serve static / 404).
 * `headers` keys must be lower-case; `url` may carry a query string.
 *
 * @example
 * const res = await handleHttp('GET', '/health', {}, new Uint8Array(), facade, { apiKey });
 * if (res === null) serveStaticOr404();
 */
export async function handleHttp(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: Uint8Array,
  facade: HttpFacade,
  o: HttpApiOptions,
): Promise<HttpResponse | null> {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const allowed = ROUTES[path];
  if (allowed === undefined) return null;
  if (path === '/dev/token' && !(o.dev && facade.mintDevToken)) return null;
  const m = method.toUpperCase();
  if (path === '/dev/token') {
    // Dev mode only (checked above): CORS so a browser app on another port can mint a token.
    if (m === 'OPTIONS') return devPreflight(headers.origin);
    const res = await handleApi(m, allowed, path, headers, body, facade, o);
    return { ...res, headers: { ...res.headers, ...devCorsHeaders(headers.origin) } };
  }
  return handleApi(m, allowed, path, headers, body, facade, o);
}

async function handleApi(
  m: string,
  allowed: string,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
  facade: HttpFacade,
  o: HttpApiOptions,
): Promise<HttpResponse> {
  if (m !== allowed && !(allowed === 'GET' && m === 'HEAD'))
    return json(405, { error: `use ${allowed} ${path}` }, { allow: allowed });
  try {
    return await route(path, headers, body, facade, o);
  } catch (err) {
    o.onError?.(err);
    return json(500, { error: 'internal error' });
  }
}

async function route(
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
  facade: HttpFacade,
  o: HttpApiOptions,
): Promise<HttpResponse> {
  if (path === '/health') return json(200, facade.healthSnapshot());
  if (path === '/metrics') {
    const type = facade.metricsContentType ?? Registry.PROMETHEUS_CONTENT_TYPE;
    return {
      status: 200,
      headers: { 'content-type': type, 'cache-control': 'no-store' },
      body: await facade.metricsText(),
    };
  }
  if (path === '/dev/token') return devToken(headers, body, facade, o);
  const denied = checkApiKey(headers.authorization, o.apiKey);
  if (denied) return denied;
  const parsed = readJson(body, o);
  if ('status' in parsed) return parsed;
  const input = parsed.value;
  if (!('data' in input)) return json(400, { error: 'body needs a "data" field' });
  try {
    if (path === '/api/broadcast') return json(200, { ok: true, delivered: facade.broadcastAll(input.data) });
    const problem = validateTopicName(input.topic);
    if (problem) return json(400, { error: problem });
    return json(200, { ok: true, delivered: facade.publish(input.topic as string, input.data) });
  } catch (err) {
    // Data the codec refuses (an event with `pri: 99`, a reserved type, …) is the caller's fault.
    if (err instanceof ProtocolError)
      return json(400, { error: `invalid data: ${err.message}`, code: err.code });
    throw err;
  }
}

/**
 * What can be answered from the request line and headers alone, before any body byte is read:
 * a wrong method, and `POST /api/publish` / `/api/broadcast` without the right API key (401/403).
 * `null` = read the body and call {@link handleHttp}. The transport calls this first, so an
 * unauthenticated client cannot make the server buffer bodies.
 *
 * @example
 * const early = earlyHttpAnswer('POST', '/api/publish', headers, { apiKey });
 * if (early) return send(early); // no body read
 */
export function earlyHttpAnswer(
  method: string,
  url: string,
  headers: Record<string, string>,
  o: Pick<HttpApiOptions, 'apiKey'>,
): HttpResponse | null {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path !== '/api/publish' && path !== '/api/broadcast') return null;
  if (method.toUpperCase() !== 'POST') return json(405, { error: `use POST ${path}` }, { allow: 'POST' });
  return checkApiKey(headers.authorization, o.apiKey) ?? null;
}

async function devToken(
  headers: Record<string, string>,
  body: Uint8Array,
  facade: HttpFacade,
  o: HttpApiOptions,
): Promise<HttpResponse> {
  const type = headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type))
    return json(415, { error: 'send Content-Type: application/json' });
  const parsed = readJson(body, o);
  if ('status' in parsed) return parsed;
  const problem = validateSub(parsed.value.sub);
  if (problem) return json(400, { error: problem });
  const minted = await facade.mintDevToken!(parsed.value.sub as string);
  return json(200, minted);
}

/** Compares SHA-256 digests so the comparison is constant-time whatever the lengths. */
function checkApiKey(header: string | undefined, apiKey: string | undefined): HttpResponse | undefined {
  if (!apiKey)
    return json(403, { error: 'HTTP publish API is disabled: configure apiKey (--api-key / WSE_API_KEY)' });
  const unauthorized = json(
    401,
    { error: 'send Authorization: apikey <key>' },
    { 'www-authenticate': 'apikey' },
  );
  if (typeof header !== 'string' || header.length > 4096) return unauthorized;
  const match = /^apikey\s+(.+)$/i.exec(header.trim());
  if (!match?.[1]) return unauthorized;
  const a = createHash('sha256').update(match[1]).digest();
  const b = createHash('sha256').update(apiKey).digest();
  return timingSafeEqual(a, b) ? undefined : unauthorized;
}

function readJson(body: Uint8Array, o: HttpApiOptions): HttpResponse | { value: Record<string, unknown> } {
  const max = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (body.byteLength > max) return json(413, { error: `body is larger than ${max} bytes` });
  let value: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    // Before parsing: a 500 000-deep body would parse, then overflow the stack when encoded.
    if (tooDeep(text, MAX_BODY_DEPTH))
      return json(400, { error: `body nests deeper than ${MAX_BODY_DEPTH} levels` });
    value = JSON.parse(text);
  } catch {
    return json(400, { error: 'body is not valid JSON' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return json(400, { error: 'body must be a JSON object' });
  return { value: value as Record<string, unknown> };
}

/** The body `{topic, data}` becomes `{t, p: {topic, data}}`: one level deeper than the body. */
const MAX_BODY_DEPTH = MAX_DEPTH - 1;

/** Strings-aware scan of JSON text: true as soon as the nesting passes `max` (stops there). */
function tooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > max) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return false;
}

function validateSub(sub: unknown): string | null {
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256)
    return '"sub" must be a string of 1..256 characters';
  for (let i = 0; i < sub.length; i++) {
    const c = sub.charCodeAt(i);
    if (c <= 0x1f || c === 0x7f) return '"sub" contains a control character';
  }
  return null;
}

function json(status: number, value: unknown, extra: Record<string, string> = {}): HttpResponse {
  return { status, headers: { ...JSON_HEADERS, ...extra }, body: JSON.stringify(value) };
}

import type { AuthOptions } from './token-verifier';
import { MAX_TOKEN_LENGTH } from './token-verifier';

/**
 * Where a token came from. `'none'` = no source offered one (go in-band or answer `AUTH_REQUIRED`).
 *
 * @example
 * const s: TokenSource = 'cookie';
 */
export type TokenSource = 'header' | 'cookie' | 'query' | 'none';

/**
 * Result of {@link extractToken}. When `rejected` is set, a source *did* offer a token but it is
 * unusable (too large, bad percent-encoding); `token` is then undefined and the caller should answer
 * `AUTH_FAILED` (close 4401) rather than `AUTH_REQUIRED`.
 *
 * @example
 * const r: ExtractedToken = { source: 'cookie', rejected: 'too-large' };
 */
export interface ExtractedToken {
  token?: string;
  source: TokenSource;
  rejected?: 'too-large' | 'malformed';
}

/**
 * A `Cookie` or query string longer than this is not scanned at all: the source counts as offering an
 * unusable token (`rejected: 'too-large'`). Real stacks cap the whole header block near 8–16 KiB, so
 * this only trips on abuse — and it keeps a 5 MB header from being split into a huge array.
 */
export const MAX_SCANNED_LENGTH = 16 * 1024;
const DEFAULT_COOKIE = 'access_token';

/**
 * Reads the access token from an upgrade request, in docs-site/protocol §3 order: `Authorization: Bearer`,
 * then the cookie (`cookieName`, default `access_token`), then the `token` query parameter (unless
 * `allowQueryToken === false`). The first source that offers a token decides; later ones are not
 * consulted. Cookie and query values are URL-decoded. Header values are expected as the raw strings
 * (`query` with or without the leading `?`). Never throws.
 *
 * Size policy (decided here): a bearer token, cookie value or query value longer than
 * `MAX_TOKEN_LENGTH` (8 KiB), or a cookie header / query string longer than `MAX_SCANNED_LENGTH`
 * (16 KiB), yields `{ source, rejected: 'too-large' }` without copying the value.
 *
 * @example
 * extractToken({ authorization: 'Bearer eyJ…' }, {});                 // { token: 'eyJ…', source: 'header' }
 * extractToken({ cookie: 'a=1; access_token=eyJ…' }, {});             // { token: 'eyJ…', source: 'cookie' }
 * extractToken({ query: 'format=msgpack&token=eyJ…' }, {});           // { token: 'eyJ…', source: 'query' }
 */
export function extractToken(
  h: { authorization?: string; cookie?: string; query?: string },
  o: AuthOptions,
): ExtractedToken {
  const fromHeader = bearer(h.authorization);
  if (fromHeader) return fromHeader;
  const fromCookie = findPair(h.cookie, ';', o.cookieName ?? DEFAULT_COOKIE, 'cookie');
  if (fromCookie) return fromCookie;
  if (o.allowQueryToken !== false) {
    const q = h.query?.startsWith('?') ? h.query.slice(1) : h.query;
    const fromQuery = findPair(q, '&', 'token', 'query');
    if (fromQuery) return fromQuery;
  }
  return { source: 'none' };
}

function bearer(header: string | undefined): ExtractedToken | undefined {
  if (typeof header !== 'string' || header.length < 7) return undefined;
  if (header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  // Measure before copying: a huge header is rejected without materialising a second copy.
  let start = 7;
  while (start < header.length && header.charCodeAt(start) === 0x20) start++;
  let end = header.length;
  while (end > start && header.charCodeAt(end - 1) === 0x20) end--;
  if (end === start) return undefined;
  if (end - start > MAX_TOKEN_LENGTH) return { source: 'header', rejected: 'too-large' };
  return { token: header.slice(start, end), source: 'header' };
}

/**
 * Finds `name=value` in a `sep`-separated list by walking `indexOf` positions (no split, no regex).
 * Returns undefined when the name is absent or its value is empty.
 */
function findPair(
  list: string | undefined,
  sep: string,
  name: string,
  source: 'cookie' | 'query',
): ExtractedToken | undefined {
  if (typeof list !== 'string' || list.length === 0) return undefined;
  if (list.length > MAX_SCANNED_LENGTH) return { source, rejected: 'too-large' };
  let pos = 0;
  let eq = -1;
  while (pos <= list.length) {
    let next = list.indexOf(sep, pos);
    if (next === -1) next = list.length;
    // Reuse the last '=' position while it lies ahead: keeps the walk linear on '=' -less input.
    if (eq !== Number.POSITIVE_INFINITY && eq < pos) eq = list.indexOf('=', pos);
    if (eq === -1) eq = Number.POSITIVE_INFINITY;
    if (eq !== -1 && eq < next && keyAt(list, pos, eq, source) === name) {
      const raw = list.slice(eq + 1, next).trim();
      if (raw.length === 0) return undefined;
      const value = decode(raw, source);
      if (value === undefined) return { source, rejected: 'malformed' };
      if (value.length > MAX_TOKEN_LENGTH) return { source, rejected: 'too-large' };
      return { token: unquote(value), source };
    }
    pos = next + 1;
  }
  return undefined;
}

function keyAt(list: string, from: number, to: number, source: 'cookie' | 'query'): string | undefined {
  const key = list.slice(from, to).trim();
  return source === 'query' ? decode(key, source) : key;
}

function decode(raw: string, source: 'cookie' | 'query'): string | undefined {
  const s = source === 'query' ? raw.replace(/\+/g, ' ') : raw;
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** RFC 6265 allows a cookie value in double quotes. */
function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

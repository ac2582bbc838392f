import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { HttpResponse } from './http-api';

/**
 * Content types by extension; anything else is served as `application/octet-stream`.
 *
 * @example
 * CONTENT_TYPES['.js']; // 'text/javascript; charset=utf-8'
 */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Serves a file from `dir` for a request path. Returns `null` when there is nothing to serve (missing
 * file, a path that would leave `dir`, a dot-file segment like `.env`, bad percent-encoding, a NUL or
 * backslash) so the caller answers 404 — a traversal attempt looks exactly like a missing file.
 * Directories serve their `index.html`; a directory requested without a trailing slash gets a 301 to
 * the slash form so relative links resolve. Symlinks are followed only when the target stays inside
 * `dir`. The whole file is read into memory (meant for the docs site / playground, not large media).
 *
 * @example
 * const res = await serveStatic('./docs-site/dist', '/guide/');   // index.html of /guide
 * if (!res) respond404();
 */
export async function serveStatic(dir: string, urlPath: string): Promise<HttpResponse | null> {
  const raw = urlPath.split(/[?#]/, 1)[0] ?? '';
  if (!raw.startsWith('/')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  // Reject rather than normalise: `..`, `.` and dot-files never map to a file we serve.
  if (segments.some((s) => s.startsWith('.'))) return null;
  try {
    const root = await realpath(resolve(dir));
    let file = join(root, ...segments);
    let info = await stat(file);
    if (info.isDirectory()) {
      if (!raw.endsWith('/')) {
        const location = `/${segments.map(encodeURIComponent).join('/')}/`;
        return { status: 301, headers: { location, 'content-type': 'text/plain; charset=utf-8' }, body: '' };
      }
      file = join(file, 'index.html');
      info = await stat(file);
    }
    if (!info.isFile()) return null;
    const real = await realpath(file);
    if (real !== root && !real.startsWith(root + sep)) return null;
    const body = new Uint8Array(await readFile(real));
    return {
      status: 200,
      headers: {
        'content-type': CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream',
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      },
      body,
    };
  } catch {
    return null;
  }
}

import { type HttpFacade, handleHttp } from '../http/http-api';
import { serveStatic } from '../http/static-files';
import type { HttpRequestInfo, HttpResult } from './transport';

const NOT_FOUND: HttpResult = {
  status: 404,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: 'Not Found',
};

/**
 * The HTTP side on the WebSocket port: API routes first (`/health`, `/metrics`, `/api/*`,
 * `/dev/token`), then the static directory, then 404.
 *
 * @example
 * const http = createHttpHandler(facade, { apiKey, dev, staticDir, onError });
 */
export function createHttpHandler(
  facade: HttpFacade,
  o: { apiKey?: string; dev: boolean; staticDir?: string; maxBodyBytes: number; onError(err: unknown): void },
): (request: HttpRequestInfo) => Promise<HttpResult> {
  const api = { apiKey: o.apiKey, dev: o.dev, maxBodyBytes: o.maxBodyBytes, onError: o.onError };
  return async (req) => {
    const res = await handleHttp(req.method, req.url, req.headers, req.body, facade, api);
    if (res) return res;
    if (o.staticDir && (req.method === 'GET' || req.method === 'HEAD')) {
      const file = await serveStatic(o.staticDir, req.url);
      if (file) return file;
    }
    return NOT_FOUND;
  };
}

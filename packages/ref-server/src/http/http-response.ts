// Its own module so http-api.ts and dev-cors.ts both depend on it, not on each other.

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

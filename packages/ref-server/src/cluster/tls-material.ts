import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { ClusterTlsMaterial } from './cluster-socket';

const isPem = (s: string) => s.includes('-----BEGIN');

/**
 * Reads the cluster's PEM material (file paths, or PEM text given inline).
 *
 * @example
 * ```ts
 * const m = loadTlsMaterial({ ca: 'ca.pem', cert: 'node.pem', key: 'node.key' });
 * ```
 */
export function loadTlsMaterial(o: { ca: string; cert: string; key: string }): ClusterTlsMaterial {
  const read = (v: string) => (isPem(v) ? v : readFileSync(v, 'utf8'));
  return { ca: read(o.ca), cert: read(o.cert), key: read(o.key) };
}

/**
 * Watches the material's files (polling every `intervalMs`; inline PEM is not watched) and calls
 * `onChange` with the new material once all three read back; a half-written file that fails to
 * load is reported through `onError` and retried on the next change. Returns the stop function.
 *
 * @example
 * ```ts
 * const stop = watchTlsMaterial(paths, (m) => node.setTls(m), (err) => log.warn(err));
 * ```
 */
export function watchTlsMaterial(
  o: { ca: string; cert: string; key: string },
  onChange: (m: ClusterTlsMaterial) => void,
  onError: (err: Error) => void,
  intervalMs = 2000,
): () => void {
  const files = [o.ca, o.cert, o.key].filter((f) => !isPem(f));
  const listener = (cur: { mtimeMs: number }, prev: { mtimeMs: number }) => {
    if (cur.mtimeMs === prev.mtimeMs) return;
    try {
      onChange(loadTlsMaterial(o));
    } catch (err) {
      onError(err as Error);
    }
  };
  for (const f of files) watchFile(f, { interval: intervalMs, persistent: false }, listener);
  return () => {
    for (const f of files) unwatchFile(f, listener);
  };
}

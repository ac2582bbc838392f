/**
 * A one-word summary of a client snapshot for status badges: pure, no I/O. It lives in the core so
 * every binding (React, Vue, Svelte) and plain-JS apps derive it the same way.
 *
 * @module
 */

import type { ConnectionState } from '../connection/machine';
import type { QualityLevel } from './quality-monitor';

/**
 * A one-word summary of the connection: `healthy` (connected, quality good or not yet measured),
 * `degraded` (connected but fair/poor), `connecting` (connecting, negotiating, reconnecting),
 * `disconnected` (idle, offline, closed, failed).
 *
 * @example
 * ```ts
 * const color: Record<ConnectionHealth, string> = { healthy: 'green', degraded: 'orange', connecting: 'grey', disconnected: 'red' };
 * ```
 */
export type ConnectionHealth = 'healthy' | 'degraded' | 'connecting' | 'disconnected';

/**
 * The two snapshot fields {@link connectionHealthOf} reads. A `ClientSnapshot` is one; taking the
 * fields structurally keeps this folder below `client/` (no import of the client's types).
 *
 * @example
 * ```ts
 * const s: ConnectionHealthInput = { state: 'connected', quality: 'poor' };
 * ```
 */
export interface ConnectionHealthInput {
  readonly state: ConnectionState;
  readonly quality: QualityLevel;
}

/**
 * Derives {@link ConnectionHealth} from a snapshot (`client.getSnapshot()` or any object with its
 * `state` and `quality`).
 *
 * @example
 * ```ts
 * import { connectionHealthOf } from '@wse/core-client';
 * connectionHealthOf(client.getSnapshot()); // 'healthy'
 * client.subscribe((s) => badge.setAttribute('data-health', connectionHealthOf(s)));
 * ```
 */
export function connectionHealthOf(snapshot: ConnectionHealthInput): ConnectionHealth {
  const { state, quality } = snapshot;
  if (state === 'connected') return quality === 'fair' || quality === 'poor' ? 'degraded' : 'healthy';
  if (state === 'connecting' || state === 'negotiating' || state === 'reconnecting') return 'connecting';
  return 'disconnected';
}

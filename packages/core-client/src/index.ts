/**
 * `@wse/core-client` — the framework-agnostic WSE client for browsers and Node.
 *
 * @example
 * ```ts
 * import { createClient } from '@wse/core-client';
 * const client = createClient({ endpoints: 'wss://example.com/wse', token: () => getJwt() });
 * await client.connect();
 * ```
 *
 * @module
 */

export {
  type AnyMessages,
  createClient,
  DEFAULT_LINGER_MS,
  type MessageMap,
  type PublishData,
  type RetainOptions,
  WSEClient,
} from './client/client';
export { CLIENT_DEFAULTS } from './client/options';
export { IDLE_SNAPSHOT } from './client/runtime';
export type { StoreListener } from './client/snapshot-store';
/** @internal The client's own store (`client.subscribe`/`getSnapshot` are the API); stripped from the d.ts. */
export { SnapshotStore } from './client/snapshot-store';
export type * from './client/types';
export type { ConnectionState } from './connection/machine';
export type { CircuitState } from './endpoints/circuit-breaker';
export type { EndpointHealth, EndpointStrategy } from './endpoints/endpoint-pool';
export { type Clock, systemClock } from './env/clock';
export {
  type BrowserGlobals,
  createBrowserEnvironment,
  defaultEnvironment,
  type EnvironmentEvent,
  type EnvironmentSource,
  nodeEnvironment,
} from './env/environment';
export type { Random } from './env/random';
export { IndexedDBQueueStorage, type IndexedDBQueueStorageOptions } from './offline/indexeddb-queue-storage';
export type { DropReason, QueueDropEvent } from './offline/offline-queue';
export { MemoryQueueStorage, type QueuedMessage, type QueueStorage } from './offline/queue-storage';
export type { ClientPresenceEvent } from './presence/presence-manager';
export type { PresenceMember, PresenceMembers } from './presence/presence-state';
// The code tables (CloseCode, ErrorCode, ProtocolErrorCode and their *_INFO) are values the client
// never reads: they live in '@wse/core-client/protocol', out of the browser's initial load. The
// value types are enough to compare codes: `err.code === 'FORBIDDEN'` is checked.
export type { CloseCodeValue, ErrorCodeValue } from './protocol/codes';
export type { Envelope, Priority } from './protocol/envelope';
export {
  AuthError,
  type AuthErrorCode,
  type ClientErrorCodeValue,
  ProtocolError,
  type ProtocolErrorCodeValue,
  ServerError,
  TimeoutError,
  TransportError,
  type TransportErrorCode,
  WSEError,
} from './protocol/errors';
export {
  type ConnectionHealth,
  type ConnectionHealthInput,
  connectionHealthOf,
} from './quality/connection-health';
export type { QualityEvent, QualityLevel } from './quality/quality-monitor';
export type { RecoveryFailedEvent } from './recovery/recovery-tracker';
export type { TokenSource } from './session/token-provider';
export type { SigningOptions } from './signing/signing-options';
export type {
  Transport,
  TransportFactory,
  TransportFrame,
  TransportHandlers,
  TransportRequest,
} from './transport/transport';
export {
  createWebSocketTransportFactory,
  type WebSocketConstructor,
  type WebSocketLike,
} from './transport/websocket-transport';

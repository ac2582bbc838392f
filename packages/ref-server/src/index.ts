/**
 * `@wse/ref-server` — the WSE reference server on uWebSockets.js.
 *
 * @example
 * import { WSEServer } from '@wse/ref-server';
 * const server = new WSEServer({ port: 0, auth: false });
 * await server.start();
 */
export {
  NonceCache,
  type SignatureFailure,
  type SignatureRequirement,
  type SignatureVerdict,
  verifySignature,
} from './auth/signature';
export type { AuthOptions, VerifiedToken } from './auth/token-verifier';
export type { Engine } from './engine/engine';
export { MemoryEngine } from './engine/engine';
export {
  type ConnectionInfo,
  InvalidOptionError,
  type PresenceOptions,
  type ResolvedOptions,
  resolveOptions,
  type WSEServerOptions,
} from './options';
export { PresenceError, type PresenceErrorCode } from './presence/presence-error';
export type { PresenceMember } from './presence/presence-types';
export type { RecoveryStats, StreamPosition } from './recovery/recovery-types';
export { type OutgoingEvent, SERVER_VERSION, WSEServer } from './server';
export type {
  ConnectEvent,
  DisconnectEvent,
  ErrorEvent,
  MessageEvent,
  PresenceEvent,
  ServerEvent,
  ServerEventMap,
} from './session/event-hub';
export type { TopicRecoveryReport } from './session/subscribe-flow';
export { TokenBucket } from './session/token-bucket';
export type { PublishPolicy } from './topics/publish-policy';
export { QueueGroups } from './topics/queue-groups';

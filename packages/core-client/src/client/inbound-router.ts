/**
 * Inbound routing: where each decoded envelope goes. Protocol frames stay inside, errors and
 * replies settle requests or subscriptions, presence events update presence, and the rest pass
 * the recovery filter to become application messages (events and the async iterator).
 *
 * @module
 */

import type { PresenceManager } from '../presence/presence-manager';
import type { Envelope } from '../protocol/envelope';
import { AuthError, type AuthErrorCode, ServerError, type WSEError } from '../protocol/errors';
import { AUTH_CODES } from './auth-close-error';
import type { Emitter } from './emitter';
import type { EventStream } from './event-stream';
import type { Outbound } from './outbound';
import type { RequestManager } from './request-manager';
import type { TopicManager } from './topic-manager';
import type { ClientMessage, SessionInfo } from './types';

/** Event names of the client itself: application messages of these types go to `'*'` only. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  'state',
  'error',
  'presence',
  'recovery_failed',
  'quality',
  'queue_drop',
  'connected',
  'disconnected',
  '*',
]);

/** Protocol frames handled inside the client, never delivered as application messages. */
const INTERNAL = new Set(['server_ready', 'server_hello', 'client_hello', 'auth_refreshed', 'config_update']);

/**
 * What the router needs of the client runtime: its events and its current session.
 *
 * @example
 * ```ts
 * const host: InboundHost = Object.assign(new Emitter(), { session: null });
 * ```
 */
export interface InboundHost extends Emitter {
  readonly session: SessionInfo | null;
}

/**
 * Routes inbound envelopes (after decoding, before events) to the part each concerns. Positional
 * parameters, not an options object: its key names would ship in the initial bundle.
 *
 * @example
 * ```ts
 * const router = new InboundRouter(topics, presence, requests, outbound, stream, runtime);
 * const error = router.route(env); // from the driver's onEnvelope hook
 * if (error) report(error);
 * ```
 */
export class InboundRouter {
  readonly #topics: TopicManager;
  readonly #presence: PresenceManager;
  readonly #requests: RequestManager<Envelope>;
  readonly #outbound: Outbound;
  readonly #stream: EventStream<ClientMessage>;
  readonly #host: InboundHost;

  /**
   * @param host - the client runtime: application messages are emitted on it, its session's
   *   rate-limit refill paces sends after a warning
   */
  constructor(
    topics: TopicManager,
    presence: PresenceManager,
    requests: RequestManager<Envelope>,
    outbound: Outbound,
    stream: EventStream<ClientMessage>,
    host: InboundHost,
  ) {
    this.#topics = topics;
    this.#presence = presence;
    this.#requests = requests;
    this.#outbound = outbound;
    this.#stream = stream;
    this.#host = host;
  }

  /** Routes one inbound envelope; returns the error to report for an `error` frame. */
  route(env: Envelope): WSEError | undefined {
    if (INTERNAL.has(env.t)) return;
    switch (env.t) {
      case 'error':
        return this.#onServerError(env);
      case 'subscription_update':
      case 'subscription':
        this.#topics.handleReply(env);
        return;
      case 'rate_limit_warning':
        this.#onRateWarning(env.p);
        return;
      case 'presence_join':
      case 'presence_leave':
      case 'presence_update':
        this.#presence.handleEvent(env);
        return;
    }
    if (this.#requests.resolve(env.cid, env)) return;
    if (this.#topics.filter(env) !== 'deliver') return;
    this.#deliver(toMessage(env));
  }

  #deliver(msg: ClientMessage): void {
    if (!RESERVED_EVENTS.has(msg.type)) this.#host.emit(msg.type, msg);
    this.#host.emit('*', msg);
    this.#stream.push(msg);
  }

  #onServerError(env: Envelope): WSEError {
    const err = ServerError.fromPayload(env.p);
    if (err.code === 'RATE_LIMITED') this.#outbound.hold(seconds(env.p.retry_after, 1) * 1000);
    // An auth error is reported as an AuthError with the server's own code and message, and it
    // stays `lastError` through the close that follows (the runtime's close hook keeps it).
    const reported = AUTH_CODES.has(err.code)
      ? new AuthError(err.code as AuthErrorCode, err.message, { cause: err })
      : err;
    if (env.cid && !this.#requests.reject(env.cid, err)) this.#topics.fail(env.cid, err);
    return reported;
  }

  #onRateWarning(p: Record<string, unknown>): void {
    const refill = this.#host.session?.limits.rate_limit_refill ?? 100;
    this.#outbound.pace(Math.max(1000, seconds(p.retry_after, 1) * 1000), refill * 0.8);
  }
}

function toMessage(env: Envelope): ClientMessage {
  return {
    type: env.t,
    payload: env.p,
    topic: env.tp,
    id: env.id,
    ts: env.ts,
    cid: env.cid,
    category: env.c,
    priority: env.pri,
    epoch: env.e,
    offset: env.o,
  };
}

/** A `retry_after` in seconds, at most 60: a hostile `1e308` must not hold sends forever. */
function seconds(v: unknown, fallback: number): number {
  return typeof v === 'number' && v >= 0 ? Math.min(v, 60) : fallback;
}

import {
  decodeAnyFrameWith,
  decodeFrameWith,
  type Envelope,
  ProtocolError,
  parseEnvelope,
  wireCodeOf,
} from '@wse/core-client/protocol';
import { identityAllows, matchGlob, validateTopicName } from '../auth/topic-acl';
import { EngineUnavailableError } from '../engine/engine';
import { reservedEventType, toPublication } from '../topics/publication';
import { publishAllowed } from '../topics/publish-policy';
import { type FailedTopic, parseSubscriptionRequest } from '../topics/subscription-check';
import { completeHello } from './complete-hello';
import type { Connection } from './connection';
import { e2eFailure, isEncryptedFrame, plaintextRefused, rekey } from './e2e-session';
import { inBandAuth, refreshAuth } from './in-band-auth';
import { parseClientHello } from './negotiate';
import { PresenceRequests } from './presence-requests';
import { answerQueueGroupStats } from './queue-group-stats';
import type { RouterCallbacks } from './router-callbacks';
import { serverCodecs } from './server-codecs';
import type { SessionDeps } from './session-deps';

type Result = void | Promise<void>;

const SUBSCRIPTION_TYPES = new Set(['subscription_update', 'subscription', 'subscribe']);
/** Handled by the server when presence is on; otherwise they reach the app as messages. */
const PRESENCE_TYPES = new Set(['presence', 'presence_stats', 'presence_update']);
/**
 * Largest first frame before authentication (the `client_hello` carrying the token), on the wire
 * and inflated: a JWT with generous claims is a few KB; nothing else is read before the token.
 */
export const MAX_HELLO_BYTES = 16 * 1024;
/** Rate-limit tokens of an inbound frame: 1, plus 1 per KiB on the wire. */
export function frameCost(bytes: number): number {
  return 1 + (bytes >>> 10);
}
/** Bound on one inbound batch so a single frame cannot queue unbounded work. */
const MAX_BATCH = 1000;

/**
 * Decodes inbound frames and routes envelopes (docs-site/protocol §3–§7). Returns a promise only when the
 * step is async (decrypt, key agreement, token check, async subscribe hook); the caller's
 * `SerialInbox` then holds later frames so order is kept.
 *
 * @example
 * const router = new MessageRouter(deps, sessionManager); // SessionDeps + RouterCallbacks
 * const handler = { run: (conn, frame) => router.handleFrame(conn, frame), overflow, cost };
 */
export class MessageRouter {
  private readonly presenceRequests: PresenceRequests;

  constructor(
    private readonly deps: SessionDeps,
    private readonly callbacks: RouterCallbacks,
  ) {
    this.presenceRequests = new PresenceRequests(
      deps,
      (conn, cost) => this.admit(conn, cost),
      (conn, err, cid) => this.frameError(conn, err, cid),
    );
  }

  private now(): number {
    return this.deps.options.clock.now();
  }

  /**
   * Never throws and never rejects: a bug behind a frame is answered `SERVER_ERROR`, logged and
   * emitted as an `error` event (the inbox would otherwise swallow it and the client hear nothing).
   */
  handleFrame(conn: Connection, data: ArrayBuffer | string): Result {
    try {
      const r = this.decodeAndRoute(conn, data);
      return r instanceof Promise ? r.catch((err: unknown) => this.frameError(conn, err)) : r;
    } catch (err) {
      this.frameError(conn, err);
    }
  }

  private decodeAndRoute(conn: Connection, data: ArrayBuffer | string): Result {
    if (conn.closed) return;
    conn.lastActivity = this.now();
    this.deps.metrics.messageIn(typeof data === 'string' ? data.length : data.byteLength);
    const max = this.deps.options.maxMessageSize;
    const maxMessageSize = conn.phase === 'auth' ? Math.min(max, MAX_HELLO_BYTES) : max;
    const e2e = conn.e2e;
    if (e2e && isEncryptedFrame(data)) {
      // docs-site/protocol §6: plaintext stays accepted until this first E: frame (see e2e-session.ts).
      return decodeAnyFrameWith(serverCodecs, data, { open: (b) => e2e.open(b), maxMessageSize }).then(
        (env) => {
          conn.clientEncrypted = true;
          return this.route(conn, env, true, true);
        },
        (err) => this.frameError(conn, err),
      );
    }
    let env: Envelope;
    try {
      env = decodeFrameWith(serverCodecs, data, { maxMessageSize });
    } catch (err) {
      this.frameError(conn, err);
      return;
    }
    return this.route(conn, env, false, true);
  }

  /** Answers a failure behind a frame; `cid` when it belongs to a request that had one. */
  private frameError(conn: Connection, err: unknown, cid?: string): void {
    if (conn.closed && err instanceof ProtocolError) return;
    if (conn.phase === 'auth' && err instanceof ProtocolError) {
      // docs-site/protocol §3.1: the first frame must be a client_hello with the token; an undecodable one is
      // "any other first frame" (AUTH_REQUIRED, 4401), not a reason to keep waiting for the timeout.
      this.callbacks.rejectAuth(
        conn,
        'AUTH_REQUIRED',
        'the first frame must be a client_hello with a token',
        {
          reason: err.code,
        },
      );
      return;
    }
    if (e2eFailure(conn, err)) return;
    if (err instanceof ProtocolError) {
      conn.sendError(wireCodeOf(err), err.message, { reason: err.code }, cid);
      return;
    }
    this.deps.logger.error({ err, connId: conn.id }, 'frame handling failed');
    this.deps.events.emit({ type: 'error', error: err, connId: conn.id });
    conn.sendError('SERVER_ERROR', 'internal error', {}, cid);
  }

  /**
   * Charges a frame to the rate limit BEFORE it is queued or decoded (so undecodable, `C:` and
   * `E:` frames cost the same as any other): 1 token plus 1 per KiB on the wire. False = dropped.
   */
  admitFrame(conn: Connection, bytes: number): boolean {
    return this.admit(conn, frameCost(bytes));
  }

  /** One envelope: rate limit (unless the frame was charged already), auth gate, the type switch. */
  route(conn: Connection, env: Envelope, encrypted: boolean, charged = false): Result {
    if (conn.closed || (!charged && !this.admit(conn))) return;
    if (conn.phase === 'auth') return inBandAuth(this.deps, this.callbacks, conn, env);
    if (!encrypted && plaintextRefused(conn, env, this.deps.options.requireEncryption)) {
      conn.sendError('ENCRYPTION_REQUIRED', 'this connection requires end-to-end encryption', {}, env.cid);
      return;
    }
    switch (env.t) {
      case 'client_hello':
        return this.hello(conn, env);
      case 'ping':
        return this.ping(conn, env);
      case 'PONG':
      case 'pong':
        return; // activity is already recorded
      case 'auth_refresh':
        return refreshAuth(this.deps, this.callbacks, conn, env);
      case 'batch':
        return this.batch(conn, env, encrypted);
      case 'e2e_rekey':
        return rekey(conn, env, encrypted, this.deps.options.identityKey, () => this.now());
    }
    // docs-site/protocol §6: a type that must be signed never reaches the app (or the topic) without a valid sig.
    const unsigned = this.deps.signatures?.check(env);
    if (unsigned) {
      const message = `"${env.t}" needs a valid signature (${unsigned})`;
      return conn.sendError('INVALID_SIGNATURE', message, { reason: unsigned }, env.cid);
    }
    if (SUBSCRIPTION_TYPES.has(env.t)) return this.subscription(conn, env);
    if (env.t === 'publish') return this.publish(conn, env);
    if (env.t === 'queue_group_stats') return answerQueueGroupStats(this.deps.topics, conn, env);
    if (this.deps.presence && PRESENCE_TYPES.has(env.t)) return this.presenceRequests.answer(conn, env);
    this.deps.events.emit({
      type: 'message',
      connId: conn.id,
      userId: conn.identity.userId,
      t: env.t,
      p: env.p,
      cid: env.cid,
      envelope: env,
    });
  }

  /**
   * Token bucket: warn below 20 % (at most once a second), drop when empty. `RATE_LIMITED` goes out
   * at most once a second per connection, with `dropped` = frames dropped since the previous one
   * (this one included): a flood must not double the traffic with one error per frame.
   */
  private admit(conn: Connection, cost = 1): boolean {
    const bucket = conn.bucket;
    const now = this.now();
    // A frame dearer than the whole bucket still passes on a full bucket (small capacities).
    if (!bucket.take(Math.min(cost, bucket.capacity))) {
      this.callbacks.rateLimited();
      conn.droppedFrames++;
      if (now - conn.lastLimitedAt >= 1000) {
        conn.lastLimitedAt = now;
        const dropped = conn.droppedFrames;
        conn.droppedFrames = 0;
        conn.sendError('RATE_LIMITED', 'rate limit exceeded', {
          retry_after: bucket.retryAfterSec(),
          dropped,
        });
      }
      return false;
    }
    if (bucket.isLow() && now - conn.lastWarningAt >= 1000) {
      conn.lastWarningAt = now;
      const { capacity, refillPerSec } = this.deps.options.rateLimit;
      conn.sendEvent('rate_limit_warning', {
        limit: capacity,
        remaining: Math.floor(bucket.remaining()),
        retry_after: refillPerSec > 0 ? Math.ceil((capacity * 0.2) / refillPerSec) : null,
      });
    }
    return true;
  }

  private hello(conn: Connection, env: Envelope): Result {
    if (conn.phase === 'ready') {
      conn.sendError('INVALID_MESSAGE', 'client_hello was already received', {}, env.cid);
      return;
    }
    const parsed = parseClientHello(env.p);
    if (!parsed.ok) {
      conn.sendError('INVALID_MESSAGE', parsed.message, {}, env.cid);
      return;
    }
    return completeHello(this.deps, conn, parsed.hello, env.cid);
  }

  private ping(conn: Connection, env: Envelope): void {
    const now = this.now();
    const sent = env.p.timestamp ?? env.p.client_timestamp;
    const payload: Record<string, unknown> = { client_timestamp: sent ?? null, server_timestamp: now };
    if (typeof sent === 'number' && Number.isFinite(sent)) payload.latency = Math.max(0, now - sent);
    conn.sendEvent('PONG', payload, { cid: env.cid });
  }

  private batch(conn: Connection, env: Envelope, encrypted: boolean): Result {
    const list = env.p.messages;
    if (!Array.isArray(list) || list.length > MAX_BATCH) {
      conn.sendError(
        'INVALID_MESSAGE',
        `batch.messages must be an array of at most ${MAX_BATCH} envelopes`,
        {},
        env.cid,
      );
      return;
    }
    const run = (from: number): Result => {
      for (let i = from; i < list.length; i++) {
        let inner: Envelope;
        try {
          inner = parseEnvelope(list[i]);
        } catch (err) {
          const raw = list[i] as { cid?: unknown } | null;
          this.frameError(conn, err, typeof raw?.cid === 'string' ? raw.cid : undefined);
          continue;
        }
        if (inner.t === 'batch') {
          conn.sendError('INVALID_MESSAGE', 'a batch cannot contain a batch', {}, inner.cid);
          continue;
        }
        const r = this.route(conn, inner, encrypted);
        if (r instanceof Promise) return r.then(() => run(i + 1));
      }
    };
    return run(0);
  }

  private subscription(conn: Connection, env: Envelope): Result {
    const parsed = parseSubscriptionRequest(env.p, this.deps.options.maxSubscriptionsPerConnection);
    if (!parsed.ok) {
      conn.sendError(parsed.code, parsed.message, {}, env.cid);
      return;
    }
    const req = parsed.request;
    if (req.action === 'unsubscribe') {
      // Unsubscribe is synchronous (no hook); presence leaves follow through TopicService.onLeft.
      const outcome = this.deps.topics.handleRequest(conn, req) as object;
      conn.sendEvent('subscription_update', outcome, { cid: env.cid });
      return;
    }
    const checked = this.deps.topics.checkSubscribe(conn, req.topics);
    const run = (r: { accepted: string[]; failed: FailedTopic[] }): Result => {
      if (conn.closed) return;
      // One synchronous step from here: subscribe, read the recovery buffers, replay, reply — after
      // fetching from other nodes the streams this one does not hold (the inbox waits for it); a
      // shared log (Redis) reads first, asynchronously, then does the same step.
      const done = this.deps.subscribeFlow.runWithRemote(conn, {
        accepted: r.accepted,
        failed: r.failed,
        recover: req.recover,
        recovery: req.recovery,
        presence: req.presence,
        cid: env.cid,
        queueGroup: req.queueGroup,
      });
      if (done instanceof Promise) return done.then(() => undefined);
    };
    if (checked instanceof Promise) return checked.then(run);
    return run(checked);
  }

  /** Client publish (docs-site/protocol §4): topic name, token ACL and the publish policy must all agree. */
  private publish(conn: Connection, env: Envelope): void {
    const topic = env.p.topic;
    const problem = validateTopicName(topic);
    if (problem !== null) {
      conn.sendError('INVALID_MESSAGE', `publish: ${problem}`, {}, env.cid);
      return;
    }
    const name = topic as string;
    const policy = this.deps.options.publishPolicy;
    if (!identityAllows(conn.identity, name) || !publishAllowed(policy, name, matchGlob)) {
      conn.sendError('FORBIDDEN', `publishing to "${name}" is not allowed`, { topic: name }, env.cid);
      return;
    }
    const reserved = reservedEventType(env.p.data);
    if (reserved !== undefined) {
      conn.sendError(
        'FORBIDDEN',
        `publish: type "${reserved}" is reserved for the server`,
        { topic: name },
        env.cid,
      );
      return;
    }
    let publication: Envelope;
    try {
      publication = toPublication(name, env.p.data);
    } catch (err) {
      this.frameError(conn, err, env.cid);
      return;
    }
    const delivered = this.deps.publish(name, publication);
    if (!(delivered instanceof Promise)) {
      if (env.cid) conn.sendEvent('publish_ack', { topic: name, delivered }, { cid: env.cid });
      return;
    }
    // A shared engine (Redis) publishes asynchronously; a failure is never silent: the publisher
    // hears its code (ENGINE_UNAVAILABLE) whether or not it asked for an ack.
    delivered.then(
      (n) => {
        if (env.cid) conn.sendEvent('publish_ack', { topic: name, delivered: n }, { cid: env.cid });
      },
      (err: unknown) => {
        if (err instanceof EngineUnavailableError)
          conn.sendError(err.code, err.message, { topic: name }, env.cid);
        else this.frameError(conn, err, env.cid);
      },
    );
  }
}

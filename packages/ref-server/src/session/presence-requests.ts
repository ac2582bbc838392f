import type { Envelope } from '@wse/core-client/protocol';
import { validateTopicName } from '../auth/topic-acl';
import { EngineUnavailableError } from '../engine/engine';
import { PRESENCE_PAGE, type PresencePageSource, presencePage } from '../presence/presence-page';
import { PresenceService } from '../presence/presence-service';
import { PresenceError } from '../presence/presence-store';
import type { PresenceMember } from '../presence/presence-types';
import type { Connection } from './connection';
import type { SessionDeps } from './session-deps';

/**
 * The `presence`, `presence_stats` and `presence_update` requests of a client (docs-site/protocol
 * §5), when presence is on. The router hands over its rate limit (a page costs its size) and its
 * answer for an unexpected failure, so both stay the router's.
 *
 * @example
 * const requests = new PresenceRequests(deps, (c, cost) => admit(c, cost), (c, err, cid) => fail(c, err, cid));
 * if (deps.presence && PRESENCE_TYPES.has(env.t)) requests.answer(conn, env);
 */
export class PresenceRequests {
  constructor(
    private readonly deps: SessionDeps,
    /** Charges `cost` rate-limit tokens; false = over the limit, the reply is not sent. */
    private readonly admit: (conn: Connection, cost: number) => boolean,
    /** Answers a failure that is not a presence limit (the router's: a protocol error's code, else SERVER_ERROR). */
    private readonly fail: (conn: Connection, err: unknown, cid?: string) => void,
  ) {}

  /**
   * Presence over the wire (docs-site/protocol §5), decided here: queries and updates need the connection
   * to be subscribed to the topic (else `FORBIDDEN`). Replies carry the request's `cid` and the
   * request's type: `presence {topic, members}`, `presence_stats {topic, num_users,
   * num_connections}`. `presence_update {topic, data}` answers nothing on success (subscribers,
   * the sender included, get the `presence_update` event) and `error` on a limit.
   */
  answer(conn: Connection, env: Envelope): void {
    const presence = this.deps.presence;
    if (!presence) return;
    const topic = env.p.topic;
    if (typeof topic !== 'string' || validateTopicName(topic) !== null) {
      conn.sendError('INVALID_MESSAGE', `${env.t}: p.topic must be a topic name`, {}, env.cid);
      return;
    }
    if (!this.deps.topics.isSubscribed(conn.id, topic)) {
      conn.sendError('FORBIDDEN', `${env.t}: subscribe to "${topic}" first`, { topic }, env.cid);
      return;
    }
    if (env.t === 'presence') {
      this.query(conn, env, topic);
    } else if (env.t === 'presence_stats') {
      // The Redis engine reads Redis: the answer may come later (or ENGINE_UNAVAILABLE).
      const stats = presence.stats(topic);
      const reply = (value: object) =>
        conn.sendEvent('presence_stats', { topic, ...value }, { cid: env.cid });
      if (!(stats instanceof Promise)) reply(stats);
      else stats.then(reply, (err: unknown) => this.failed(conn, err, topic, env.cid));
    } else {
      try {
        presence.update(conn.id, conn.identity.userId, topic, env.p.data ?? null);
      } catch (err) {
        if (!(err instanceof PresenceError)) {
          this.fail(conn, err, env.cid);
          return;
        }
        conn.sendError(err.code, err.message, { ...err.details, topic }, env.cid);
      }
    }
  }

  /**
   * `presence {topic, cursor?, limit?}` → `{topic, members, next_cursor?}` (decided here: pages in
   * user-id order, at most `limit` (default 100, max 1000) users and ~256 KiB each; follow
   * `next_cursor` until it is absent). A page costs its size in rate-limit tokens (1 per KiB), and
   * a connection over `maxBackpressure` gets no reply at all (it would only be dropped or pile up).
   */
  private query(conn: Connection, env: Envelope, topic: string): void {
    const presence = this.deps.presence as NonNullable<SessionDeps['presence']>;
    const limit = env.p.limit;
    const cursor = env.p.cursor ?? undefined; // null (msgpack's undefined) = first page
    if (cursor !== undefined && (typeof cursor !== 'string' || cursor.length > 1024)) {
      conn.sendError('INVALID_MESSAGE', 'presence: p.cursor must be the next_cursor of a reply', {}, env.cid);
      return;
    }
    if (
      limit !== undefined &&
      (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > PRESENCE_PAGE.maxLimit)
    ) {
      conn.sendError(
        'INVALID_MESSAGE',
        `presence: p.limit must be 1..${PRESENCE_PAGE.maxLimit}`,
        {},
        env.cid,
      );
      return;
    }
    if (conn.bufferedAmount() > this.deps.options.maxBackpressure) return;
    const answer = (source: PresencePageSource) => {
      const page = presencePage(
        source,
        topic,
        cursor,
        (limit as number | undefined) ?? PRESENCE_PAGE.defaultLimit,
      );
      // Building and encoding the page is the work: charge it to the bucket and to this turn.
      conn.inbox?.charge(page.bytes >>> 10);
      if (!this.admit(conn, page.bytes >>> 10)) return;
      const reply: Record<string, unknown> = { topic, members: page.members };
      if (page.next !== undefined) reply.next_cursor = page.next;
      conn.sendEvent('presence', reply, { cid: env.cid });
    };
    if (presence instanceof PresenceService) {
      answer(presence.store);
      return;
    }
    // Presence kept elsewhere (Redis): read the members, then page them the same way.
    Promise.resolve(presence.members(topic)).then(
      (members) => answer(recordSource(members)),
      (err: unknown) => this.failed(conn, err, topic, env.cid),
    );
  }

  /** A presence read from the engine's store failed: ENGINE_UNAVAILABLE (or a framed error). */
  private failed(conn: Connection, err: unknown, topic: string, cid: string | undefined): void {
    if (err instanceof EngineUnavailableError) conn.sendError(err.code, err.message, { topic }, cid);
    else this.fail(conn, err, cid);
  }
}

/** A page source over an already-read member record (the Redis engine's presence). */
function recordSource(members: Record<string, PresenceMember>): PresencePageSource {
  return {
    userIds: () => Object.keys(members),
    member: (_topic, userId) => {
      const m = Object.hasOwn(members, userId) ? members[userId] : undefined;
      return m ? { ...m, bytes: (JSON.stringify(m.data) ?? 'null').length } : undefined;
    },
  };
}

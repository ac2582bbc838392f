import type { PresenceService } from '../presence/presence-service';
import { PresenceError } from '../presence/presence-store';
import type { StoredPublication, StreamPosition } from '../recovery/recovery-types';
import type { PublicationLog, StampedPublication } from '../recovery/topic-sequencer';
import { type FailedTopic, positionsFor } from '../topics/subscription-check';
import type { TopicService } from '../topics/topic-service';
import type { Connection } from './connection';

/** One topic's entry of `subscription_update.p.recovery` (PROTOCOL §4). */
export interface TopicRecoveryReport {
  epoch: string;
  /** The stream's latest offset (-1: nothing published in this epoch yet). */
  offset: number;
  recovered: boolean;
  count: number;
}

/** What to do for the accepted topics of one subscribe. */
export interface SubscribePlan {
  accepted: string[];
  failed: FailedTopic[];
  /** `recover: true` in the request (or the server API): answer `recovery` for every accepted topic. */
  recover: boolean;
  /** The request's `recovery` field: `{topic: {epoch, offset} | Array<{epoch, offset}>}`. */
  recovery?: Record<string, unknown>;
  presence?: Record<string, unknown>;
  cid?: string;
  /**
   * Subscribe as a member of this queue group (PROTOCOL §4). Group deliveries are not replayed
   * (the group, not the member, owns the stream): `recover`/`recovery` are ignored and the reply
   * has no `recovery` field.
   */
  queueGroup?: string;
}

/** Bytes a replayed frame may add over its JSON text (E: prefix, IV, tag, frame header). */
const FRAME_OVERHEAD = 64;

/**
 * The subscribe step that must be atomic (PROTOCOL §4 "Recovery"): in ONE synchronous run it sends
 * what the fan-out has queued so far (so nothing queued before is delivered twice), subscribes the
 * connection, reads the recovery buffers, joins presence, then — corked — sends the missed
 * publications in offset order, any presence error, and the `subscription_update` reply with
 * `recovery: {[topic]: {epoch, offset, recovered, count}}`. Every publication stamped before the
 * read is in the replay; every one stamped after it reaches the connection live, because it is
 * already subscribed. A topic's replay is all or nothing: the store never returns a partial range,
 * and a replay that would push the connection past `maxBackpressure` (where uWS drops frames) is
 * answered `recovered: false` instead of being cut.
 *
 * Decided here: a topic without a position in a `recover: true` request gets
 * `{epoch, offset, recovered: true, count: 0}` — its starting point, so the client holds a position
 * even before the first message.
 *
 * @example
 * ```ts
 * flow.run(conn, { accepted: ['chat'], failed: [], recover: true, recovery: { chat: { epoch, offset: 41 } } });
 * ```
 */
export class SubscribeFlow {
  constructor(
    private readonly deps: {
      topics: TopicService;
      log: PublicationLog;
      presence: PresenceService | null;
      maxBackpressure: number;
      onPresenceFailure?(err: unknown, connId: string): void;
    },
  ) {}

  /** Runs the plan on `conn`; returns the reply payload it sent. */
  run(conn: Connection, plan: SubscribePlan): Record<string, unknown> {
    const { topics, log } = this.deps;
    topics.flush();
    topics.subscribe(conn, plan.accepted, plan.queueGroup);
    const reply: Record<string, unknown> = {
      action: 'subscribe',
      success: plan.failed.length === 0,
      success_topics: plan.accepted,
      failed_topics: plan.failed,
    };
    if (plan.queueGroup !== undefined) reply.queue_group = plan.queueGroup;
    const replay: StampedPublication[][] = [];
    if (plan.recover && plan.queueGroup === undefined) {
      // Keyed by client-chosen topic names: no prototype, so a topic named `__proto__` is an entry
      // like any other instead of silently replacing the object's prototype (and vanishing).
      const recovery = Object.create(null) as Record<string, TopicRecoveryReport>;
      let budget = this.deps.maxBackpressure - conn.bufferedAmount();
      for (const topic of plan.accepted) {
        const positions = positionsFor(plan.recovery, topic);
        if (positions === undefined) {
          recovery[topic] = { ...log.open(topic), recovered: true, count: 0 };
          continue;
        }
        const r = log.recoverTopic(topic, positions ?? []);
        const head = r.positions[0] ?? log.open(topic);
        let { recovered, count } = r;
        if (recovered && count > 0) {
          const cost = replayCost(r.publications);
          if (cost > budget) {
            recovered = false;
            count = 0;
          } else {
            budget -= cost;
            replay.push(r.publications);
          }
        }
        recovery[topic] = { epoch: head.epoch, offset: head.offset, recovered, count };
      }
      reply.recovery = recovery;
    }
    const presenceErrors = this.joinPresence(conn, plan);
    conn.cork(() => {
      for (const list of replay) for (const pub of list) conn.sendPublication(pub);
      for (const { err, topic } of presenceErrors) {
        conn.sendError(err.code, err.message, { ...err.details, topic }, plan.cid);
      }
      conn.sendEvent('subscription_update', reply, { cid: plan.cid });
    });
    return reply;
  }

  private joinPresence(conn: Connection, plan: SubscribePlan): Array<{ err: PresenceError; topic: string }> {
    const presence = this.deps.presence;
    if (!presence || plan.presence === undefined) return [];
    const errors: Array<{ err: PresenceError; topic: string }> = [];
    for (const topic of plan.accepted) {
      try {
        presence.join(conn.id, conn.identity.userId, topic, plan.presence);
      } catch (err) {
        if (err instanceof PresenceError) errors.push({ err, topic });
        else this.deps.onPresenceFailure?.(err, conn.id);
      }
    }
    return errors;
  }
}

function replayCost(pubs: readonly StoredPublication[] | readonly StampedPublication[]): number {
  let bytes = 0;
  for (const p of pubs) bytes += (p.bytes ?? p.json.length * 3) + FRAME_OVERHEAD;
  return bytes;
}

export type { StreamPosition };

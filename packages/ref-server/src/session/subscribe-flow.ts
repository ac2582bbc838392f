import { ServerError } from '@wse/core-client/protocol';
import type { PresenceApi } from '../presence/presence-api';
import { PresenceError } from '../presence/presence-store';
import { RecoveryStore } from '../recovery/recovery-store';
import type { StoredPublication, StreamPosition } from '../recovery/recovery-types';
import type { PreparedSubscribe, SharedLog } from '../recovery/shared-log';
import type { PublicationLog, StampedPublication } from '../recovery/topic-sequencer';
import { type FailedTopic, positionsFor } from '../topics/subscription-check';
import type { TopicService } from '../topics/topic-service';
import type { Connection } from './connection';
import {
  type FetchedRanges,
  type RemoteRecoverySource,
  recoverCombined,
  remoteWants,
  stampedOf,
} from './remote-recovery';

/** One topic's entry of `subscription_update.p.recovery` (docs-site/protocol §4). */
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
   * Subscribe as a member of this queue group (docs-site/protocol §4). Group deliveries are not replayed
   * (the group, not the member, owns the stream): `recover`/`recovery` are ignored and the reply
   * has no `recovery` field.
   */
  queueGroup?: string;
}

/** Bytes a replayed frame may add over its JSON text (E: prefix, IV, tag, frame header). */
const FRAME_OVERHEAD = 64;

/**
 * The subscribe step that must be atomic (docs-site/protocol §4 "Recovery"): in ONE synchronous run it sends
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
  /** Set by the server when its engine recovers streams held elsewhere (mesh, redis). */
  remote?: RemoteRecoverySource;

  constructor(
    private readonly deps: {
      topics: TopicService;
      log: PublicationLog;
      presence: PresenceApi | null;
      maxBackpressure: number;
      onPresenceFailure?(err: unknown, connId: string): void;
      /** Set when history lives outside this process (Redis): subscribes take the async path. */
      shared?: SharedLog;
    },
  ) {}

  /**
   * Runs the plan on `conn`; returns the reply payload it sent. Synchronous with the memory engine;
   * a promise with a shared log ({@link SubscribeFlow.runShared}).
   */
  run(conn: Connection, plan: SubscribePlan): Record<string, unknown> | Promise<Record<string, unknown>> {
    if (this.deps.shared && plan.accepted.length > 0) return this.runShared(conn, plan, this.deps.shared);
    return this.runLocal(conn, plan);
  }

  /**
   * {@link run}, after first fetching from the cluster the streams of the request that this node
   * does not hold whole (a client failing over from another node). While the fetch is pending the
   * topics' interest stays announced (live publications are ingested here and joined to the
   * fetched ranges by offset); the connection is subscribed, replayed to and answered in one
   * synchronous step once every answer is in. Synchronous when nothing needs fetching.
   */
  runWithRemote(
    conn: Connection,
    plan: SubscribePlan,
  ): Record<string, unknown> | Promise<Record<string, unknown>> {
    const { remote } = this;
    const store = this.deps.log;
    if (!plan.recover || !remote || !(store instanceof RecoveryStore)) return this.run(conn, plan);
    const wants = remoteWants(store, plan.accepted, plan.recovery);
    if (wants.length === 0) return this.run(conn, plan);
    const releases = [...new Set(wants.map((w) => w.topic))].map((t) => remote.pin?.(t));
    const fetched: FetchedRanges = new Map();
    const max = store.options.maxMessages;
    const asks = wants.map(async ({ topic, position }) => {
      const r = await remote.recover(topic, position, max).catch(() => null);
      const pubs = r ? stampedOf(topic, position, r) : null;
      let perTopic = fetched.get(topic);
      if (!perTopic) {
        perTopic = new Map();
        fetched.set(topic, perTopic);
      }
      perTopic.set(position.epoch, r && pubs ? { origin: r.origin, pubs } : null);
    });
    return Promise.all(asks).then(() => {
      try {
        return conn.closed ? {} : this.runLocal(conn, plan, fetched);
      } finally {
        for (const release of releases) release?.();
      }
    });
  }

  /** The memory path: one synchronous step (with `fetched`: ranges other nodes sent, joined by offset). */
  private runLocal(conn: Connection, plan: SubscribePlan, fetched?: FetchedRanges): Record<string, unknown> {
    const { topics, log } = this.deps;
    topics.flush();
    topics.subscribe(conn, plan.accepted, plan.queueGroup);
    const reply = subscribeReply(plan);
    const replay = new ReplayBudget(this.deps.maxBackpressure - conn.bufferedAmount());
    if (plan.recover && plan.queueGroup === undefined) {
      // Keyed by client-chosen topic names: no prototype, so a topic named `__proto__` is an entry
      // like any other instead of silently replacing the object's prototype (and vanishing).
      const recovery = Object.create(null) as Record<string, TopicRecoveryReport>;
      for (const topic of plan.accepted) {
        const positions = positionsFor(plan.recovery, topic);
        if (positions === undefined) {
          recovery[topic] = { ...log.open(topic), recovered: true, count: 0 };
          continue;
        }
        const perTopic = fetched?.get(topic);
        const r =
          perTopic && log instanceof RecoveryStore
            ? recoverCombined(log, topic, positions ?? [], perTopic)
            : log.recoverTopic(topic, positions ?? []);
        const head = r.positions[0] ?? log.open(topic);
        recovery[topic] = { epoch: head.epoch, offset: head.offset, ...replay.admit(r) };
      }
      reply.recovery = recovery;
    }
    this.answer(conn, plan, replay.lists, reply);
    return reply;
  }

  /**
   * The subscribe step over a shared log (Redis). `prepare` (async) makes the topics' live delivery
   * certain, reads the history and collects what fan-out delivered meanwhile. Then, in ONE
   * synchronous run like the local path: flush the fan-out queue (collected publications reach the
   * existing subscribers, not this connection), subscribe, and send per topic the replay followed by
   * the collected publications past the read's head — the overlap is dropped by offset, so nothing
   * is sent twice and nothing published between the read and the subscribe is missed. If the store
   * is unreachable every accepted topic is refused with the error's code (`ENGINE_UNAVAILABLE`).
   */
  private async runShared(
    conn: Connection,
    plan: SubscribePlan,
    shared: SharedLog,
  ): Promise<Record<string, unknown>> {
    const wanted = new Map<string, readonly StreamPosition[] | undefined>();
    if (plan.recover && plan.queueGroup === undefined) {
      for (const topic of plan.accepted) {
        const positions = positionsFor(plan.recovery, topic);
        wanted.set(topic, positions === undefined ? undefined : (positions ?? []));
      }
    }
    let prepared: PreparedSubscribe;
    try {
      prepared = await shared.prepare(plan.accepted, wanted);
    } catch (err) {
      if (!(err instanceof ServerError)) throw err;
      const refused = plan.accepted.map((topic) => ({ topic, code: err.code, message: err.message }));
      const reply = {
        action: 'subscribe',
        success: false,
        success_topics: [],
        failed_topics: [...plan.failed, ...refused],
      };
      if (!conn.closed) conn.sendEvent('subscription_update', reply, { cid: plan.cid });
      return reply;
    }
    try {
      return this.finishShared(conn, plan, prepared);
    } finally {
      prepared.release();
    }
  }

  private finishShared(conn: Connection, plan: SubscribePlan, prepared: PreparedSubscribe) {
    const reply = subscribeReply(plan);
    if (conn.closed) return reply;
    this.deps.topics.flush();
    this.deps.topics.subscribe(conn, plan.accepted, plan.queueGroup);
    const replay = new ReplayBudget(this.deps.maxBackpressure - conn.bufferedAmount());
    if (plan.recover && plan.queueGroup === undefined) {
      const recovery = Object.create(null) as Record<string, TopicRecoveryReport>;
      for (const [topic, r] of prepared.results) {
        const head = r.positions[0] as StreamPosition;
        const report = replay.admit(r);
        // What fan-out delivered while the history was read, past the read's head (the overlap is dropped).
        const live = prepared.tapped(topic).filter((p) => p.epoch !== head.epoch || p.offset > head.offset);
        replay.lists.push(live);
        recovery[topic] = { epoch: head.epoch, offset: head.offset, ...report };
      }
      reply.recovery = recovery;
    }
    this.answer(conn, plan, replay.lists, reply);
    return reply;
  }

  /** Presence joins, then in one cork: the replay, presence errors, and the `subscription_update`. */
  private answer(
    conn: Connection,
    plan: SubscribePlan,
    replay: readonly (readonly StampedPublication[])[],
    reply: Record<string, unknown>,
  ): void {
    const presenceErrors = this.joinPresence(conn, plan);
    conn.cork(() => {
      for (const list of replay) for (const pub of list) conn.sendPublication(pub);
      for (const { err, topic } of presenceErrors) {
        conn.sendError(err.code, err.message, { ...err.details, topic }, plan.cid);
      }
      conn.sendEvent('subscription_update', reply, { cid: plan.cid });
    });
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

/** Bytes a replay adds to a connection's send buffer (estimated when the UTF-8 size is unknown). */
/** The `subscription_update` reply of a subscribe, before its recovery report. */
function subscribeReply(plan: SubscribePlan): Record<string, unknown> {
  const reply: Record<string, unknown> = {
    action: 'subscribe',
    success: plan.failed.length === 0,
    success_topics: plan.accepted,
    failed_topics: plan.failed,
  };
  if (plan.queueGroup !== undefined) reply.queue_group = plan.queueGroup;
  return reply;
}

/**
 * The replay one subscribe may queue on a connection: what fits in its free backpressure room.
 * A topic whose replay does not fit is reported `recovered: false` (the client reloads it) rather
 * than sent in part.
 */
class ReplayBudget {
  readonly lists: StampedPublication[][] = [];
  constructor(private bytes: number) {}

  /** Takes `r`'s publications if they fit; returns what to report for the topic. */
  admit(r: { recovered: boolean; count: number; publications: StampedPublication[] }): {
    recovered: boolean;
    count: number;
  } {
    if (!r.recovered || r.count === 0) return { recovered: r.recovered, count: r.count };
    const cost = replayCost(r.publications);
    if (cost > this.bytes) return { recovered: false, count: 0 };
    this.bytes -= cost;
    this.lists.push(r.publications);
    return { recovered: true, count: r.count };
  }
}

export function replayCost(pubs: readonly StoredPublication[] | readonly StampedPublication[]): number {
  let bytes = 0;
  for (const p of pubs) bytes += (p.bytes ?? p.json.length * 3) + FRAME_OVERHEAD;
  return bytes;
}

export type { StreamPosition };

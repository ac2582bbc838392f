/**
 * Property test: a client against a hostile or broken server. After a valid handshake the server
 * sends random frames (garbage, mutated protocol frames, odd replies, stamped publications going
 * backwards and forwards, nested batches) interleaved with user actions and socket drops. Then the
 * server behaves again, time advances, and the invariants are checked:
 *
 * - nothing escapes as an uncaught exception or unhandled rejection;
 * - the client is not wedged: it reaches `connected` (after `connect()` when the user closed it or
 *   a documented terminal case made it `failed`);
 * - every message `send`/`request` accepted reaches the transport exactly once, or is reported by
 *   `queue_drop`, or is a request `close()` rejected (then it is not sent after the close) — never
 *   silently lost;
 * - per (topic, epoch) no offset is delivered twice while the topic stays subscribed;
 * - every `request`/`subscribe` promise settles.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeWSEServer, settle } from '../../test/fake-wse-server';
import { ManualClock } from '../env/manual-clock';
import { ManualEnvironment } from '../env/manual-environment';
import { buildEnvelope, decodeFrame, type Envelope, encodeFrame } from '../protocol';
import type { TransportFrame } from '../transport/transport';
import { createClient } from './client';

const TOPICS = ['t1', 't2', 't3'];
const EPOCHS = ['a1b2c3d4', 'deadbeef'];
const APP = 'app_msg';

// ---- hostile frames -------------------------------------------------------------------------

type Frame = { raw: TransportFrame } | { env: Record<string, unknown>; msgpack?: boolean };
/** What the server does: a frame, or a reply to the n-th client envelope that carries a `cid`. */
type ServerAct =
  | { kind: 'frames'; frames: Frame[] }
  | { kind: 'reply'; nth: number; error: boolean; payload: Record<string, unknown> };

const weird = fc.oneof(
  fc.constantFrom(-5, -1, 0, 1, 1.5, 2 ** 53, 1e20, 1e308, Number.NaN, Number.POSITIVE_INFINITY),
  fc.constantFrom('x', '', 'a1b2c3d4', [], [1], {}, null, true),
  fc.integer({ min: -3, max: 30 }),
);
const epoch = fc.oneof(fc.constantFrom(...EPOCHS), weird);
const topic = fc.oneof(fc.constantFrom(...TOPICS), weird, fc.string({ maxLength: 4 }));

const recoveryEntry = fc.oneof(
  fc.record(
    { epoch, offset: weird, recovered: fc.oneof(fc.boolean(), weird), count: weird },
    { requiredKeys: [] },
  ),
  fc.array(fc.record({ epoch, offset: weird })),
  weird,
);

const subscriptionReply = fc.record(
  {
    action: fc.oneof(fc.constantFrom('subscribe', 'unsubscribe'), weird),
    success: fc.oneof(fc.boolean(), weird),
    success_topics: fc.oneof(fc.array(topic, { maxLength: 3 }), weird),
    failed_topics: fc.oneof(
      fc.array(fc.record({ topic, code: fc.oneof(fc.string(), weird), message: weird }), { maxLength: 2 }),
      weird,
    ),
    recovery: fc.oneof(fc.dictionary(fc.constantFrom(...TOPICS), recoveryEntry, { maxKeys: 3 }), weird),
  },
  { requiredKeys: [] },
);

/** A plausible reply with a hostile recovery position (the case that used to wedge the session). */
const recoveryReply = fc
  .record({ topic: fc.constantFrom(...TOPICS), epoch, offset: weird, recovered: fc.boolean() })
  .map(({ topic, ...r }) => ({
    action: 'subscribe',
    success: true,
    success_topics: [topic],
    failed_topics: [],
    recovery: { [topic]: { ...r, count: 0 } },
  }));

const publication = fc
  .record({
    t: fc.constantFrom('pub', 'chat_message', 'state', 'error_like'),
    tp: fc.constantFrom(...TOPICS),
    e: fc.constantFrom(...EPOCHS),
    o: fc.nat({ max: 12 }),
  })
  .map((x) => ({ ...x, p: { n: x.o } }));

const protocolEnv: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  publication,
  fc.oneof(subscriptionReply, recoveryReply).map((p) => ({ t: 'subscription_update', p })),
  fc
    .record(
      {
        ping_interval: weird,
        features: weird,
        limits: fc.oneof(weird, fc.record({ rate_limit_refill: weird, max_message_size: weird })),
        connection_id: weird,
        encryption_public_key: weird,
      },
      { requiredKeys: [] },
    )
    .map((p) => ({ t: 'server_hello', p })),
  fc.record({ details: fc.oneof(weird, fc.record({ token_expires_in: weird })) }).map((p) => ({
    t: 'server_ready',
    p,
  })),
  fc.record({ server_time: weird }).map((p) => ({ t: 'ping', p })),
  fc.record({ client_timestamp: weird }).map((p) => ({ t: 'PONG', p })),
  fc
    .record({ code: fc.oneof(fc.constantFrom('RATE_LIMITED', 'AUTH_FAILED', 'FORBIDDEN'), weird) })
    .chain((p) => fc.record({ message: weird, retry_after: weird }).map((q) => ({ ...p, ...q })))
    .map((p) => ({ t: 'error', p })),
  fc.record({ retry_after: weird, limit: weird }).map((p) => ({ t: 'rate_limit_warning', p })),
  fc.record({ token_expires_in: weird }).map((p) => ({ t: 'auth_refreshed', p })),
  fc
    .record({
      t: fc.constantFrom('presence_join', 'presence_leave', 'presence_update'),
      p: fc.record({ topic, user_id: weird, data: weird }, { requiredKeys: [] }),
    })
    .map((x) => x),
);

const batch: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ b: Record<string, unknown> }>((tie) => ({
  b: fc
    .array(fc.oneof({ depthSize: 'small' }, protocolEnv, weird, tie('b')), { maxLength: 4 })
    .map((messages) => ({ t: 'batch', p: { messages, count: messages.length } })),
})).b;

const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }).map((raw) => ({ raw })) },
  { weight: 6, arbitrary: fc.record({ env: protocolEnv, msgpack: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ env: batch }) },
);

const serverAct: fc.Arbitrary<ServerAct> = fc.oneof(
  fc.array(frame, { minLength: 1, maxLength: 4 }).map((frames) => ({ kind: 'frames' as const, frames })),
  fc.constant<ServerAct>({ kind: 'frames', frames: Array(30).fill({ env: { t: 'ping', p: {} } }) }),
  fc.record({
    kind: fc.constant('reply' as const),
    nth: fc.nat(),
    error: fc.boolean(),
    payload: fc.oneof(subscriptionReply, recoveryReply, fc.record({ code: weird, retry_after: weird })),
  }),
);

// ---- user actions ---------------------------------------------------------------------------

type Action =
  | { k: 'send'; pri: number; big: boolean }
  | { k: 'request'; timeoutMs: number }
  | { k: 'subscribe' | 'unsubscribe'; topic: string }
  | { k: 'close' | 'connect' | 'reconnect' | 'offline' | 'online' }
  | { k: 'drop'; code: number }
  | { k: 'advance'; ms: number }
  | { k: 'server'; act: ServerAct };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('send' as const),
      pri: fc.constantFrom(1, 5, 10),
      big: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('request' as const),
      timeoutMs: fc.integer({ min: 1, max: 5000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constantFrom('subscribe' as const, 'unsubscribe' as const),
      topic: fc.constantFrom(...TOPICS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constantFrom(
        'close' as const,
        'connect' as const,
        'reconnect' as const,
        'offline' as const,
        'online' as const,
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('drop' as const),
      code: fc.constantFrom(1000, 1001, 1006, 1011, 4008, 4300, 4401, 4403, 4429, 4503),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
  },
  { weight: 10, arbitrary: fc.record({ k: fc.constant('server' as const), act: serverAct }) },
);

// ---- the run --------------------------------------------------------------------------------

const escaped: unknown[] = [];
const onEscape = (e: unknown) => escaped.push(e);
beforeAll(() => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
});
afterAll(() => {
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
});

/** A ManualClock that stops a timer loop (a timer re-arming itself at no delay) and reports it. */
class LoopGuardClock extends ManualClock {
  /** Timers set since the last reset (each step of the run resets it). */
  burst = 0;
  loop: string | null = null;
  override setTimeout(fn: () => void, ms: number): number {
    if (++this.burst > 5_000) {
      this.loop ??= new Error(`timer loop (${ms} ms)`).stack ?? 'timer loop';
      return -1;
    }
    return super.setTimeout(fn, ms);
  }
  override advance(ms: number): number {
    this.burst = 0;
    return super.advance(ms);
  }
}

function toWire(f: Frame): TransportFrame | null {
  if ('raw' in f)
    return typeof f.raw === 'string' || f.raw instanceof Uint8Array ? f.raw : JSON.stringify(f.raw);
  try {
    const env = { ...buildEnvelope(String(f.env.t), {}), ...f.env } as Envelope;
    return encodeFrame(env, { format: f.msgpack ? 'msgpack' : 'json' });
  } catch {
    // Not encodable by our codec (e.g. NaN in JSON): send it as raw JSON text instead.
    return JSON.stringify({ ...f.env });
  }
}

/** Everything the client handed to its transports, batches unwrapped. */
function transmitted(server: FakeWSEServer): Envelope[] {
  const out: Envelope[] = [];
  const walk = (e: Envelope) => {
    if (e.t === 'batch' && Array.isArray(e.p.messages)) for (const m of e.p.messages) walk(m as Envelope);
    else out.push(e);
  };
  for (const s of server.memory.connections) for (const f of s.received) walk(decodeFrame(f));
  return out;
}

async function run(actions: Action[]): Promise<void> {
  escaped.length = 0;
  const server = new FakeWSEServer({ pingInterval: 10_000 });
  const clock = new LoopGuardClock(1_000_000);
  const environment = new ManualEnvironment(true);
  const client = createClient({
    endpoints: ['memory://a'],
    offline: { storage: 'memory', maxSize: 20 },
    reconnect: { baseMs: 100, maxMs: 2_000 },
    requestTimeoutMs: 3_000,
    env: { clock, random: () => 0.5, transport: server.factory, environment },
  });
  // Every accepted message carries a unique key `k` in its payload (requests included).
  const accepted = new Set<number>();
  const cancelled = new Set<number>();
  const dropped = new Set<number>();
  client.on('queue_drop', (ev) => dropped.add((ev.message.payload as { k: number }).k));
  client.on('error', () => {});
  // (topic, epoch) → offsets delivered while subscribed.
  const seen = new Map<string, Set<number>>();
  const repeats: string[] = [];
  client.on('*', (m) => {
    if (m.topic === undefined || m.epoch === undefined || m.offset === undefined) return;
    const key = `${m.topic}/${m.epoch}`;
    const set = seen.get(key) ?? new Set<number>();
    if (set.has(m.offset)) repeats.push(`${key}#${m.offset}`);
    set.add(m.offset);
    seen.set(key, set);
  });
  const pending: Array<{ what: string; settled: boolean }> = [];
  const track = (what: string, p: Promise<unknown>) => {
    const entry = { what, settled: false };
    pending.push(entry);
    p.then(
      () => (entry.settled = true),
      () => (entry.settled = true),
    );
  };
  const live = () => server.conns.filter((c) => c.socket.isOpen).at(-1);

  track('connect', client.connect());
  await settle();

  for (const a of actions) {
    switch (a.k) {
      case 'send': {
        const k = accepted.size;
        client.send(APP, a.big ? { k, text: 'x'.repeat(1500) } : { k }, { priority: a.pri });
        accepted.add(k);
        break;
      }
      case 'request': {
        const k = accepted.size;
        const req = client.request(APP, { k }, { timeoutMs: a.timeoutMs });
        // close() rejects it; then it must not go out on a later connect (nobody awaits it).
        req.catch((e: unknown) => (e as { code?: string }).code === 'CLIENT_CLOSED' && cancelled.add(k));
        track('request', req);
        accepted.add(k);
        break;
      }
      case 'subscribe':
        track('subscribe', client.subscribeTopics([a.topic]));
        break;
      case 'unsubscribe':
        for (const key of [...seen.keys()]) if (key.startsWith(`${a.topic}/`)) seen.delete(key);
        track('unsubscribe', client.unsubscribe([a.topic]));
        break;
      case 'close':
        track('close', client.close());
        break;
      case 'connect':
        track('connect', client.connect());
        break;
      case 'reconnect':
        track('reconnect', client.reconnect());
        break;
      case 'offline':
        environment.setOnline(false);
        break;
      case 'online':
        environment.setOnline(true);
        break;
      case 'drop':
        live()?.close(a.code, 'chaos');
        break;
      case 'advance':
        clock.advance(a.ms);
        break;
      case 'server': {
        const conn = live();
        if (!conn) break;
        if (a.act.kind === 'frames') {
          for (const f of a.act.frames) {
            const wire = toWire(f);
            if (wire !== null) conn.socket.send(wire);
          }
        } else {
          const withCid = conn.envelopes.filter((e) => e.cid !== undefined);
          const target = withCid[a.act.nth % Math.max(1, withCid.length)];
          if (!target) break;
          const t = a.act.error ? 'error' : target.t;
          conn.socket.send(encodeFrame({ ...buildEnvelope(t, a.act.payload), cid: target.cid }));
        }
        break;
      }
    }
    await settle(1);
    clock.burst = 0;
  }

  // The server behaves again; the user wants the connection back.
  environment.setOnline(true);
  const state = client.getSnapshot().state;
  if (state === 'closed' || state === 'failed' || state === 'idle') track('final connect', client.connect());
  // Time passes (holds, pacing, timeouts, batches run out) until everything is out.
  const done = () =>
    client.getSnapshot().state === 'connected' &&
    client.getSnapshot().queued === 0 &&
    pending.every((p) => p.settled);
  for (let i = 0; i < 120 && !done(); i++) {
    clock.advance(1_000);
    await settle();
    clock.burst = 0;
  }
  clock.advance(1_000);
  await settle();

  expect(clock.loop, 'timer loop').toBeNull();
  expect(escaped, 'uncaught exception / unhandled rejection').toEqual([]);
  expect(client.getSnapshot().state, 'wedged').toBe('connected');
  expect(repeats, 'an offset was delivered twice').toEqual([]);
  expect(
    pending.filter((p) => !p.settled).map((p) => p.what),
    'promises left pending',
  ).toEqual([]);

  const counts = new Map<number, number>();
  for (const e of transmitted(server)) {
    const k = e.t === APP ? (e.p.k as number) : -1;
    if (k >= 0) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const [k, n] of counts) expect(n, `message ${k} transmitted ${n} times`).toBe(1);
  const lost = [...accepted].filter((id) => !counts.has(id) && !dropped.has(id) && !cancelled.has(id));
  expect(lost, 'accepted, neither transmitted nor reported as dropped').toEqual([]);
  expect(client.getSnapshot().queued).toBe(0);
  await client.close();
}

describe('WSEClient against a hostile server (property)', () => {
  it('never throws, never wedges, never loses or repeats', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 40 }), (actions) => run(actions)),
      { numRuns: Number(process.env.CHAOS_RUNS ?? 300) },
    );
  }, 60_000);
});

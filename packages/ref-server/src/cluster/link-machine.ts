import type { Hello } from './cluster-frame';

/**
 * One peer link's lifecycle as a pure reducer `(context, event) → {context, effects}` (the shape
 * of `core-client/src/connection/machine.ts`): no socket, no timer, no clock of its own. The
 * driver ({@link PeerLink}) executes the effects and feeds back events, with `now` in each.
 *
 * States: `connecting` (dialling) → `hello` (socket open, our HELLO sent, waiting for theirs) →
 * `up` → `draining` (the peer sent DRAIN: the link stays, nothing new is routed to it) → `dead`.
 *
 * Invariants:
 * - `dead` is terminal for a link object; reconnecting is a new link (the mesh decides).
 * - every transition to `dead` from a state that owns a socket carries a `close` effect (unless the
 *   socket itself reported `CLOSED`), and exactly one `down` effect follows an `up` effect.
 * - liveness: a link that has heard nothing (any frame counts) for `deadAfterMs` is dead; a link
 *   without the peer's HELLO after `helloTimeoutMs` is dead; while up we PING every
 *   `pingIntervalMs` (the peer answers PONG, so an idle but healthy link is never silent).
 *
 * @module
 */

/** A peer link's state. */
export type LinkState = 'connecting' | 'hello' | 'up' | 'draining' | 'dead';

/** Timings of a link (docs-site/protocol §9 defaults: PING every 5 s, dead after 15 s of silence). */
export interface LinkTimings {
  pingIntervalMs: number;
  deadAfterMs: number;
  helloTimeoutMs: number;
}

/** §9 defaults. */
export const DEFAULT_LINK_TIMINGS: Readonly<LinkTimings> = Object.freeze({
  pingIntervalMs: 5_000,
  deadAfterMs: 15_000,
  helloTimeoutMs: 5_000,
});

/** The reducer's state. */
export interface LinkContext {
  readonly state: LinkState;
  readonly openedAt: number;
  readonly lastHeardAt: number;
  readonly lastPingAt: number;
  readonly upAt?: number;
  readonly peer?: Hello;
  /** AND of both sides' capabilities, once up. */
  readonly capabilities: number;
  /** The peer said SHUTDOWN: do not reconnect. */
  readonly shutdown: boolean;
  readonly reason?: string;
}

/** What happens to a link. */
export type LinkEvent =
  | { type: 'OPENED'; now: number }
  | { type: 'HELLO'; now: number; hello: Hello; ownCapabilities: number }
  | { type: 'HEARD'; now: number; ping: boolean }
  | { type: 'DRAIN'; now: number }
  | { type: 'SHUTDOWN'; now: number }
  | { type: 'TICK'; now: number }
  | { type: 'FAIL'; now: number; reason: string }
  | { type: 'CLOSED'; now: number; reason: string }
  | { type: 'LEAVE'; now: number };

/** What the driver must do. */
export type LinkEffect =
  | { type: 'sendHello' }
  | { type: 'send'; frame: 'PING' | 'PONG' | 'SHUTDOWN' }
  | { type: 'close'; reason: string }
  | { type: 'up' }
  | { type: 'down'; reason: string };

/** The start of a link: dialling (outbound) or just accepted (inbound, then `OPENED` at once). */
export function initialLink(now: number): LinkContext {
  return {
    state: 'connecting',
    openedAt: now,
    lastHeardAt: now,
    lastPingAt: now,
    capabilities: 0,
    shutdown: false,
  };
}

const alive = (s: LinkState) => s === 'up' || s === 'draining';

/**
 * The reducer.
 *
 * @example
 * ```ts
 * let ctx = initialLink(0);
 * ({ context: ctx } = linkReducer(ctx, { type: 'OPENED', now: 0 }, DEFAULT_LINK_TIMINGS)); // hello
 * ```
 */
export function linkReducer(
  ctx: LinkContext,
  event: LinkEvent,
  timings: LinkTimings,
): { context: LinkContext; effects: LinkEffect[] } {
  if (ctx.state === 'dead') return { context: ctx, effects: [] };
  const die = (
    reason: string,
    closeSocket: boolean,
    extra: Partial<LinkContext> = {},
    pre: LinkEffect[] = [],
  ) => {
    const effects: LinkEffect[] = [...pre];
    if (closeSocket) effects.push({ type: 'close', reason });
    if (alive(ctx.state)) effects.push({ type: 'down', reason });
    return { context: { ...ctx, ...extra, state: 'dead' as const, reason }, effects };
  };
  switch (event.type) {
    case 'OPENED':
      if (ctx.state !== 'connecting') return { context: ctx, effects: [] };
      return {
        context: {
          ...ctx,
          state: 'hello',
          openedAt: event.now,
          lastHeardAt: event.now,
          lastPingAt: event.now,
        },
        effects: [{ type: 'sendHello' }],
      };
    case 'HELLO': {
      if (ctx.state !== 'hello') return die('HELLO out of place', true);
      const capabilities = (event.hello.capabilities & event.ownCapabilities) >>> 0;
      return {
        context: {
          ...ctx,
          state: 'up',
          peer: event.hello,
          capabilities,
          upAt: event.now,
          lastHeardAt: event.now,
        },
        effects: [{ type: 'up' }],
      };
    }
    case 'HEARD': {
      if (!alive(ctx.state)) return die('frame before HELLO', true);
      const effects: LinkEffect[] = event.ping ? [{ type: 'send', frame: 'PONG' }] : [];
      return { context: { ...ctx, lastHeardAt: event.now }, effects };
    }
    case 'DRAIN':
      if (!alive(ctx.state)) return die('DRAIN before HELLO', true);
      return { context: { ...ctx, state: 'draining', lastHeardAt: event.now }, effects: [] };
    case 'SHUTDOWN':
      return die('peer shut down', true, { shutdown: true });
    case 'FAIL':
      return die(event.reason, ctx.state !== 'connecting');
    case 'CLOSED':
      return die(event.reason, false);
    case 'LEAVE':
      return die(
        'leaving',
        ctx.state !== 'connecting',
        {},
        alive(ctx.state) ? [{ type: 'send', frame: 'SHUTDOWN' }] : [],
      );
    case 'TICK':
      return tick(ctx, event.now, timings, die);
  }
}

function tick(
  ctx: LinkContext,
  now: number,
  t: LinkTimings,
  die: (reason: string, closeSocket: boolean) => { context: LinkContext; effects: LinkEffect[] },
): { context: LinkContext; effects: LinkEffect[] } {
  if (ctx.state === 'connecting' || ctx.state === 'hello') {
    if (now - ctx.openedAt >= t.helloTimeoutMs) return die('HELLO timeout', ctx.state === 'hello');
    return { context: ctx, effects: [] };
  }
  if (now - ctx.lastHeardAt >= t.deadAfterMs) return die(`silent for ${now - ctx.lastHeardAt} ms`, true);
  if (now - ctx.lastPingAt >= t.pingIntervalMs) {
    return { context: { ...ctx, lastPingAt: now }, effects: [{ type: 'send', frame: 'PING' }] };
  }
  return { context: ctx, effects: [] };
}

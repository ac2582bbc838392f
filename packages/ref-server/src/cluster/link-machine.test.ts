import { describe, expect, it } from 'vitest';
import {
  initialLink,
  type LinkContext,
  type LinkEvent,
  linkReducer,
  DEFAULT_LINK_TIMINGS as T,
} from './link-machine';

function run(events: LinkEvent[], start = initialLink(0)) {
  let ctx: LinkContext = start;
  const effects: string[] = [];
  for (const e of events) {
    const r = linkReducer(ctx, e, T);
    ctx = r.context;
    for (const f of r.effects) effects.push(f.type === 'send' ? `send:${f.frame}` : f.type);
  }
  return { ctx, effects };
}
const hello = (now: number, caps = 0b1011): LinkEvent => ({
  type: 'HELLO',
  now,
  hello: { version: 1, instanceId: 'b', capabilities: caps },
  ownCapabilities: 0b0011,
});

describe('peer link machine', () => {
  it('connecting → hello → up, capabilities ANDed', () => {
    const { ctx, effects } = run([{ type: 'OPENED', now: 1 }, hello(2)]);
    expect(ctx.state).toBe('up');
    expect(ctx.capabilities).toBe(0b0011);
    expect(effects).toEqual(['sendHello', 'up']);
  });

  it('pings every 5 s while up, answers PING with PONG, dies after 15 s of silence', () => {
    const up = run([{ type: 'OPENED', now: 0 }, hello(0)]).ctx;
    expect(run([{ type: 'TICK', now: 4999 }], up).effects).toEqual([]);
    expect(run([{ type: 'TICK', now: 5000 }], up).effects).toEqual(['send:PING']);
    expect(run([{ type: 'HEARD', now: 1, ping: true }], up).effects).toEqual(['send:PONG']);
    const heard = run(
      [
        { type: 'HEARD', now: 10_000, ping: false },
        { type: 'TICK', now: 24_999 },
      ],
      up,
    );
    expect(heard.ctx.state).toBe('up');
    const dead = run([{ type: 'TICK', now: 15_000 }], up);
    expect(dead.ctx.state).toBe('dead');
    expect(dead.effects).toEqual(['close', 'down']);
  });

  it('HELLO timeout, frames before HELLO, and a second HELLO are resets', () => {
    expect(
      run([
        { type: 'OPENED', now: 0 },
        { type: 'TICK', now: 5000 },
      ]).effects,
    ).toEqual(['sendHello', 'close']);
    expect(
      run([
        { type: 'OPENED', now: 0 },
        { type: 'HEARD', now: 1, ping: false },
      ]).ctx.state,
    ).toBe('dead');
    const twice = run([{ type: 'OPENED', now: 0 }, hello(1), hello(2)]);
    expect(twice.effects).toEqual(['sendHello', 'up', 'close', 'down']);
  });

  it('DRAIN keeps the link, SHUTDOWN ends it for good, LEAVE says SHUTDOWN first', () => {
    const up = run([{ type: 'OPENED', now: 0 }, hello(0)]).ctx;
    expect(run([{ type: 'DRAIN', now: 1 }], up).ctx.state).toBe('draining');
    const shut = run([{ type: 'SHUTDOWN', now: 1 }], up);
    expect([shut.ctx.state, shut.ctx.shutdown]).toEqual(['dead', true]);
    expect(run([{ type: 'LEAVE', now: 1 }], up).effects).toEqual(['send:SHUTDOWN', 'close', 'down']);
    // dead is terminal
    expect(run([{ type: 'OPENED', now: 2 }, hello(2)], shut.ctx).effects).toEqual([]);
  });

  it('a failed dial is dead without a socket to close and without a down', () => {
    expect(run([{ type: 'FAIL', now: 1, reason: 'ECONNREFUSED' }]).effects).toEqual([]);
  });
});

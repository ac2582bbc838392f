import { describe, expect, it } from 'vitest';
import {
  type Effect,
  initialContext,
  type MachineConfig,
  type MachineContext,
  type MachineEvent,
  transition,
} from './machine';

const cfg: MachineConfig = { canRefreshToken: false };

function run(events: MachineEvent[], config = cfg, start: MachineContext = initialContext()) {
  let ctx = start;
  let effects: readonly Effect[] = [];
  for (const ev of events) {
    const t = transition(ctx, ev, config);
    ctx = t.context;
    effects = t.effects;
  }
  return { ctx, effects, types: effects.map((e) => e.type) };
}

const up: MachineEvent[] = [{ type: 'CONNECT' }, { type: 'OPENED' }, { type: 'READY' }];

describe('connection machine', () => {
  it('goes idle → connecting → negotiating → connected', () => {
    expect(run([{ type: 'CONNECT' }]).types).toEqual(['start_connect_timer', 'open']);
    expect(run([{ type: 'CONNECT' }]).ctx.state).toBe('connecting');
    expect(run([{ type: 'CONNECT' }, { type: 'OPENED' }]).ctx.state).toBe('negotiating');
    const r = run(up);
    expect(r.ctx.state).toBe('connected');
    expect(r.types).toEqual(['clear_connect_timer', 'report_success', 'session_up']);
  });

  it.each([1001, 1006, 1011, 4008, 4300, 4429, 4503])('reconnects with backoff on close %i', (code) => {
    const r = run([...up, { type: 'CLOSED', code, reason: '' }]);
    expect(r.ctx.state).toBe('reconnecting');
    expect(r.ctx.attempt).toBe(1);
    expect(r.effects).toContainEqual({ type: 'schedule_retry', attempt: 1 });
    expect(r.effects).toContainEqual({ type: 'session_down', code, reason: '' });
  });

  it('reports endpoint failure for connect failures and unwell-server codes only', () => {
    expect(run([...up, { type: 'CLOSED', code: 1006, reason: '' }]).types).not.toContain('report_failure');
    expect(run([...up, { type: 'CLOSED', code: 4503, reason: '' }]).types).toContain('report_failure');
    expect(run([{ type: 'CONNECT' }, { type: 'CLOSED', code: 1006, reason: '' }]).types).toContain(
      'report_failure',
    );
  });

  it('RETRY starts a new attempt; READY resets the attempt counter', () => {
    const r = run([...up, { type: 'CLOSED', code: 1006, reason: '' }, { type: 'RETRY' }]);
    expect(r.ctx.state).toBe('connecting');
    expect(r.types).toEqual(['start_connect_timer', 'open']);
    const again = run(
      [{ type: 'CLOSED', code: 1006, reason: '' }, { type: 'RETRY' }, { type: 'OPENED' }],
      cfg,
      r.ctx,
    );
    expect(again.ctx.attempt).toBe(2);
    expect(run([{ type: 'OPENED' }, { type: 'READY' }], cfg, r.ctx).ctx.attempt).toBe(0);
  });

  it('a user CLOSE is final and closes the socket with 1000', () => {
    const r = run([...up, { type: 'CLOSE' }]);
    expect(r.ctx.state).toBe('closed');
    expect(r.effects).toContainEqual({ type: 'close_socket', code: 1000, reason: 'client close' });
    expect(r.types).toContain('cancel_retry');
    // the socket's own close report afterwards changes nothing
    expect(run([{ type: 'CLOSED', code: 1000, reason: '' }, { type: 'RETRY' }], cfg, r.ctx).ctx.state).toBe(
      'closed',
    );
  });

  it('4401 is terminal with a fixed token', () => {
    const r = run([...up, { type: 'CLOSED', code: 4401, reason: 'auth' }]);
    expect(r.ctx).toMatchObject({ state: 'failed', failReason: 'auth' });
    expect(r.types).not.toContain('schedule_retry');
  });

  it('4401 with a token function checks for a new token first', () => {
    const config = { canRefreshToken: true };
    const r = run([...up, { type: 'CLOSED', code: 4401, reason: '' }], config);
    expect(r.ctx.state).toBe('reconnecting');
    expect(r.types).toContain('check_token');
    expect(r.types).not.toContain('schedule_retry');
    const fresh = run([{ type: 'TOKEN_CHECKED', fresh: true }], config, r.ctx);
    expect(fresh.effects).toContainEqual({ type: 'schedule_retry', attempt: 1 });
    expect(run([{ type: 'TOKEN_CHECKED', fresh: false }], config, r.ctx).ctx).toMatchObject({
      state: 'failed',
      failReason: 'auth',
    });
  });

  it('4403 refreshes the token, then reconnects', () => {
    const r = run([...up, { type: 'CLOSED', code: 4403, reason: '' }], { canRefreshToken: true });
    expect(r.types).toEqual(['clear_connect_timer', 'session_down', 'refresh_token', 'schedule_retry']);
  });

  it('4403 with a fixed token is terminal like 4401 (an expired string token never reconnects)', () => {
    const r = run([...up, { type: 'CLOSED', code: 4403, reason: '' }]);
    expect(r.ctx).toMatchObject({ state: 'failed', failReason: 'auth' });
    expect(r.types).not.toContain('schedule_retry');
  });

  it('a token function gets one more chance: a second auth close before READY is terminal', () => {
    const config = { canRefreshToken: true };
    const retry: MachineEvent[] = [{ type: 'RETRY' }, { type: 'OPENED' }];
    const expired = run([...up, { type: 'CLOSED', code: 4403, reason: '' }, ...retry], config);
    expect(expired.ctx.state).toBe('negotiating');
    const again = run([{ type: 'CLOSED', code: 4401, reason: '' }], config, expired.ctx);
    expect(again.ctx).toMatchObject({ state: 'failed', failReason: 'auth' });
    // …but a READY in between gives the next auth close its own retry
    const ok = run([{ type: 'READY' }, { type: 'CLOSED', code: 4403, reason: '' }], config, expired.ctx);
    expect(ok.ctx.state).toBe('reconnecting');
  });

  it('connect TIMEOUT aborts the socket and retries', () => {
    const r = run([{ type: 'CONNECT' }, { type: 'OPENED' }, { type: 'TIMEOUT' }]);
    expect(r.ctx.state).toBe('reconnecting');
    expect(r.types).toEqual(['close_socket', 'clear_connect_timer', 'report_failure', 'schedule_retry']);
    // a late timeout after READY is ignored
    expect(run([...up, { type: 'TIMEOUT' }]).ctx.state).toBe('connected');
  });

  it('DEAD heartbeat drops the socket and reconnects', () => {
    const r = run([...up, { type: 'DEAD' }]);
    expect(r.ctx.state).toBe('reconnecting');
    expect(r.types[0]).toBe('close_socket');
    expect(r.types).toContain('session_down');
  });

  it('gives up after maxAttempts', () => {
    const config = { canRefreshToken: false, maxAttempts: 2 };
    const fail: MachineEvent = { type: 'CLOSED', code: 1006, reason: '' };
    const r = run([{ type: 'CONNECT' }, fail, { type: 'RETRY' }, fail], config);
    expect(r.ctx).toMatchObject({ state: 'failed', failReason: 'max_attempts', attempt: 2 });
  });

  it('pauses while offline and resumes on ONLINE', () => {
    const offline = run([...up, { type: 'OFFLINE' }]);
    expect(offline.ctx.state).toBe('offline');
    expect(offline.types).toContain('close_socket');
    expect(run([{ type: 'RETRY' }], cfg, offline.ctx).ctx.state).toBe('offline');
    const back = run([{ type: 'ONLINE' }], cfg, offline.ctx);
    expect(back.ctx.state).toBe('connecting');
    expect(back.types).toContain('open');
  });

  it('CONNECT while offline waits for the network', () => {
    const r = run([{ type: 'CONNECT' }], cfg, initialContext(false));
    expect(r.ctx.state).toBe('offline');
    expect(r.types).not.toContain('open');
  });

  it('WAKE (visibility/pageshow) skips the backoff wait', () => {
    const r = run([...up, { type: 'CLOSED', code: 1006, reason: '' }, { type: 'WAKE' }]);
    expect(r.ctx.state).toBe('connecting');
    expect(r.types).toEqual(['cancel_retry', 'start_connect_timer', 'open']);
    expect(run([...up, { type: 'WAKE' }]).ctx.state).toBe('connected');
  });

  it('NO_ENDPOINT backs off', () => {
    const r = run([{ type: 'CONNECT' }, { type: 'NO_ENDPOINT' }]);
    expect(r.ctx.state).toBe('reconnecting');
    expect(r.types).toContain('schedule_retry');
  });

  it('FATAL fails from any live state but never reopens a closed client', () => {
    expect(run([...up, { type: 'FATAL' }]).ctx).toMatchObject({ state: 'failed', failReason: 'fatal' });
    expect(run([...up, { type: 'CLOSE' }, { type: 'FATAL' }]).ctx.state).toBe('closed');
  });

  it('CONNECT after closed or failed starts over', () => {
    const closed = run([...up, { type: 'CLOSE' }]);
    expect(run([{ type: 'CONNECT' }], cfg, closed.ctx).ctx.state).toBe('connecting');
    const failed = run([...up, { type: 'CLOSED', code: 4401, reason: '' }]);
    expect(run([{ type: 'CONNECT' }], cfg, failed.ctx).ctx).toMatchObject({
      state: 'connecting',
      attempt: 0,
    });
  });

  it('RECONNECT drops a live socket and opens a fresh attempt at once, with no backoff', () => {
    const r = run([...up, { type: 'RECONNECT' }]);
    expect(r.ctx).toMatchObject({ state: 'connecting', attempt: 0 });
    expect(r.types).toEqual([
      'clear_connect_timer',
      'cancel_retry',
      'close_socket',
      'session_down',
      'start_connect_timer',
      'open',
    ]);
    // While waiting for a retry: the timer is cancelled and the attempt starts now.
    const waiting = run([...up, { type: 'CLOSED', code: 1006, reason: '' }, { type: 'RECONNECT' }]);
    expect(waiting.ctx).toMatchObject({ state: 'connecting', attempt: 0 });
    expect(waiting.types).not.toContain('close_socket');
    // From closed (or idle/failed) it simply connects.
    expect(run([...up, { type: 'CLOSE' }, { type: 'RECONNECT' }]).ctx.state).toBe('connecting');
  });
});

import { describe, expect, it } from 'vitest';
import {
  type HeartbeatConfig,
  heartbeatPinged,
  heartbeatPong,
  heartbeatReceived,
  heartbeatServerPing,
  heartbeatTick,
  initialHeartbeat,
} from './heartbeat';

const config: HeartbeatConfig = { pingIntervalMs: 25_000, deadAfterMs: 35_000, maxPongsPerSecond: 3 };

describe('heartbeat', () => {
  it('pings at once, then every interval', () => {
    let hb = initialHeartbeat(0);
    const first = heartbeatTick(hb, config, 0);
    expect(first.action).toBe('ping');
    hb = heartbeatPinged(hb, 0);
    expect(heartbeatTick(hb, config, 10_000)).toMatchObject({ action: 'none', nextCheckInMs: 15_000 });
    hb = heartbeatReceived(hb, 1_000);
    expect(heartbeatTick(hb, config, 25_000).action).toBe('ping');
  });

  it('declares the socket dead after ping_interval + 10 s of silence', () => {
    let hb = initialHeartbeat(0);
    hb = heartbeatPinged(hb, 0);
    expect(heartbeatTick(hb, config, 34_999).action).not.toBe('dead');
    expect(heartbeatTick(hb, config, 35_000).action).toBe('dead');
    hb = heartbeatReceived(hb, 30_000);
    expect(heartbeatTick(hb, config, 35_000).action).not.toBe('dead');
  });

  it('flags a lost ping when the next one goes out unanswered', () => {
    let hb = heartbeatPinged(initialHeartbeat(0), 0);
    hb = heartbeatReceived(hb, 20_000);
    expect(heartbeatTick(hb, config, 25_000)).toMatchObject({ action: 'ping', lost: true });
  });

  it('computes RTT from a matching PONG and clears the outstanding ping', () => {
    const hb = heartbeatPinged(initialHeartbeat(0), 1_000);
    const { rtt, state } = heartbeatPong(hb, { client_timestamp: 1_000 }, 1_042);
    expect(rtt).toBe(42);
    expect(state.outstanding).toBeNull();
    expect(heartbeatPong(hb, { client_timestamp: 'x' }, 1_042).rtt).toBeNull();
    expect(heartbeatPong(hb, { client_timestamp: 5_000 }, 1_042).rtt).toBeNull();
  });

  it('answers at most maxPongsPerSecond server pings', () => {
    let hb = initialHeartbeat(0);
    const answers: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const r = heartbeatServerPing(hb, config, 100 + i);
      hb = r.state;
      answers.push(r.answer);
    }
    expect(answers).toEqual([true, true, true, false, false]);
    expect(heartbeatServerPing(hb, config, 1_200).answer).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import type { ConnectionState } from '../connection/machine';
import { IDLE_SNAPSHOT } from '../index';
import { type ConnectionHealth, connectionHealthOf } from './connection-health';
import type { QualityLevel } from './quality-monitor';

const QUALITIES: readonly QualityLevel[] = ['unknown', 'excellent', 'good', 'fair', 'poor'];

// Every other state of the machine (a Record, so a new state fails to compile here until mapped).
const BY_STATE: Record<Exclude<ConnectionState, 'connected'>, ConnectionHealth> = {
  idle: 'disconnected',
  connecting: 'connecting',
  negotiating: 'connecting',
  reconnecting: 'connecting',
  offline: 'disconnected',
  closed: 'disconnected',
  failed: 'disconnected',
};

describe('connectionHealthOf', () => {
  it.each(QUALITIES)('connected with quality %s', (quality) => {
    const expected = quality === 'fair' || quality === 'poor' ? 'degraded' : 'healthy';
    expect(connectionHealthOf({ state: 'connected', quality })).toBe(expected);
  });

  it.each(Object.entries(BY_STATE) as Array<[ConnectionState, ConnectionHealth]>)(
    '%s is %s whatever the quality',
    (state, expected) => {
      for (const quality of QUALITIES) expect(connectionHealthOf({ state, quality })).toBe(expected);
    },
  );

  it('reads a whole client snapshot: a client that never connected is disconnected', () => {
    expect(connectionHealthOf(IDLE_SNAPSHOT)).toBe('disconnected');
    expect(connectionHealthOf({ ...IDLE_SNAPSHOT, state: 'connected', quality: 'fair' })).toBe('degraded');
  });
});

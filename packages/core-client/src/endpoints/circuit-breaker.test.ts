import { describe, expect, it } from 'vitest';
import { ManualClock } from '../env/manual-clock';
import { CircuitBreaker } from './circuit-breaker';

function setup(failureThreshold = 3, resetTimeoutMs = 1_000) {
  const clock = new ManualClock();
  return { clock, breaker: new CircuitBreaker({ failureThreshold, resetTimeoutMs }, clock) };
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, not before', () => {
    const { breaker } = setup(3);
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe('closed');
    expect(breaker.canAttempt()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.failures).toBe(3);
    expect(breaker.canAttempt()).toBe(false);
  });

  it('a success resets the consecutive count', () => {
    const { breaker } = setup(3);
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe('closed');
  });

  it('defaults to 5 failures and 30 s', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({}, clock);
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    expect(breaker.state).toBe('closed');
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    clock.advance(29_999);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
  });

  it('half-opens after the timeout and lets exactly one probe through', () => {
    const { breaker, clock } = setup(1, 1_000);
    breaker.recordFailure();
    expect(breaker.halfOpensAt).toBe(1_000);
    clock.advance(999);
    expect(breaker.isAvailable()).toBe(false);
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
    expect(breaker.isAvailable()).toBe(true);
    expect(breaker.isAvailable()).toBe(true); // peeking does not claim the probe
    expect(breaker.canAttempt()).toBe(true);
    expect(breaker.canAttempt()).toBe(false);
    expect(breaker.isAvailable()).toBe(false);
  });

  it('a successful probe closes the circuit', () => {
    const { breaker, clock } = setup(1, 1_000);
    breaker.recordFailure();
    clock.advance(1_000);
    expect(breaker.canAttempt()).toBe(true);
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.failures).toBe(0);
    expect(breaker.halfOpensAt).toBeUndefined();
    expect(breaker.canAttempt()).toBe(true);
    expect(breaker.canAttempt()).toBe(true);
  });

  it('a failed probe re-opens for another full timeout', () => {
    const { breaker, clock } = setup(2, 1_000);
    breaker.recordFailure();
    breaker.recordFailure();
    clock.advance(1_500);
    expect(breaker.canAttempt()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.halfOpensAt).toBe(2_500);
    clock.advance(999);
    expect(breaker.canAttempt()).toBe(false);
    clock.advance(1);
    expect(breaker.canAttempt()).toBe(true);
  });

  it('a lost probe frees its slot after resetTimeoutMs', () => {
    const { breaker, clock } = setup(1, 1_000);
    breaker.recordFailure();
    clock.advance(1_000);
    expect(breaker.availableAt()).toBe(1_000);
    expect(breaker.canAttempt()).toBe(true);
    expect(breaker.availableAt()).toBe(2_000);
    clock.advance(999);
    expect(breaker.canAttempt()).toBe(false);
    clock.advance(1);
    expect(breaker.canAttempt()).toBe(true);
  });

  it('availableAt is now when closed and the half-open time when open', () => {
    const { breaker, clock } = setup(1, 1_000);
    clock.advance(100);
    expect(breaker.availableAt()).toBe(100);
    breaker.recordFailure();
    expect(breaker.availableAt()).toBe(1_100);
  });

  it('late reports while open: failure does not extend, success closes', () => {
    const { breaker, clock } = setup(1, 1_000);
    breaker.recordFailure();
    clock.advance(500);
    breaker.recordFailure();
    expect(breaker.halfOpensAt).toBe(1_000);
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
  });

  it('rejects a zero threshold and reset() clears everything', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    const { breaker } = setup(1);
    breaker.recordFailure();
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(breaker.failures).toBe(0);
  });
});

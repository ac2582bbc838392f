import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket';

function setup(capacity = 10, refillPerSec = 5) {
  const clock = {
    t: 0,
    now() {
      return this.t;
    },
  };
  return { clock, bucket: new TokenBucket({ capacity, refillPerSec }, clock) };
}

describe('TokenBucket', () => {
  it('starts full and empties', () => {
    const { bucket } = setup(3);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    expect(bucket.remaining()).toBe(0);
  });

  it('refills with time, never past capacity', () => {
    const { bucket, clock } = setup(10, 5);
    for (let i = 0; i < 10; i++) bucket.take();
    clock.t = 1000;
    expect(bucket.remaining()).toBe(5);
    clock.t = 100_000;
    expect(bucket.remaining()).toBe(10);
  });

  it('reports the low zone and the retry delay', () => {
    const { bucket, clock } = setup(10, 2);
    for (let i = 0; i < 8; i++) bucket.take();
    expect(bucket.isLow()).toBe(false);
    bucket.take();
    expect(bucket.isLow()).toBe(true);
    bucket.take();
    expect(bucket.retryAfterSec()).toBe(0.5);
    clock.t = 500;
    expect(bucket.retryAfterSec()).toBe(0);
    expect(bucket.take()).toBe(true);
  });

  it('ignores a clock that goes backwards', () => {
    const { bucket, clock } = setup(2, 1);
    bucket.take();
    clock.t = -5000;
    expect(bucket.remaining()).toBe(1);
  });
});

/**
 * Token bucket for inbound rate limiting (docs-site/protocol §7). Pure: time comes from an injected clock,
 * so tests are exact and the bucket owns no timer.
 *
 * @example
 * const bucket = new TokenBucket({ capacity: 100, refillPerSec: 10 }, { now: Date.now });
 * if (!bucket.take()) sendError('RATE_LIMITED', { retry_after: bucket.retryAfterSec() });
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly options: { capacity: number; refillPerSec: number },
    private readonly clock: { now(): number },
  ) {
    this.tokens = options.capacity;
    this.last = clock.now();
  }

  /** Takes `n` tokens; false (and nothing taken) when fewer are left. */
  take(n = 1): boolean {
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Tokens left after refilling up to now. */
  remaining(): number {
    this.refill();
    return this.tokens;
  }

  /** True while fewer than `fraction` of the capacity is left (the warning zone). */
  isLow(fraction = 0.2): boolean {
    return this.remaining() < this.options.capacity * fraction;
  }

  /** Seconds until one token is available again (0 when one is available now). */
  retryAfterSec(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    const missing = 1 - this.tokens;
    return Math.ceil((missing / this.options.refillPerSec) * 1000) / 1000;
  }

  get capacity(): number {
    return this.options.capacity;
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.last;
    if (elapsed <= 0) return;
    this.last = now;
    this.tokens = Math.min(this.options.capacity, this.tokens + (elapsed / 1000) * this.options.refillPerSec);
  }
}

import type { Logger } from 'pino';

/**
 * One `warn` line per refused token — code, reason, remote address, never the token — so an
 * operator sees why clients cannot get in at the default log level. Rate-limited: at most
 * `burst` lines per `windowMs`; refusals beyond that are counted and the count rides on the next
 * line that is written (`suppressed`), so a flood of bad tokens cannot flood the log.
 *
 * @example
 * const log = new AuthRefusalLog(logger);
 * log.refused('AUTH_FAILED', 'token is malformed', '203.0.113.7');
 * // {"level":40,"code":"AUTH_FAILED","reason":"token is malformed","remote":"203.0.113.7","msg":"token refused"}
 */
export class AuthRefusalLog {
  #windowStart = Number.NEGATIVE_INFINITY;
  #written = 0;
  #suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly burst = 10,
    private readonly windowMs = 10_000,
  ) {}

  /** Records one refusal (`code` is the wire code, `reason` the message sent to the client). */
  refused(code: string, reason: string, remote: string): void {
    const t = this.now();
    if (t - this.#windowStart >= this.windowMs) {
      this.#windowStart = t;
      this.#written = 0;
    }
    if (this.#written >= this.burst) {
      this.#suppressed++;
      return;
    }
    this.#written++;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    this.logger.warn(
      suppressed > 0 ? { code, reason, remote, suppressed } : { code, reason, remote },
      'token refused',
    );
  }
}

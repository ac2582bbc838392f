import type { StreamPosition, TopicRecoveryResult } from './recovery-types';
import type { StampedPublication } from './topic-sequencer';

/** A recovery answer whose publications came from a shared store (their `bytes` may be unknown). */
export interface SharedRecoveryResult extends Omit<TopicRecoveryResult, 'publications'> {
  publications: StampedPublication[];
}

/**
 * The async half of a subscribe on an engine whose history lives outside this process (Redis).
 * `prepare` makes the topics' live delivery certain, reads their history and collects what fan-out
 * delivered meanwhile; the caller then subscribes the connection and sends replay + collected
 * publications in one synchronous step, and calls `release()`.
 *
 * @example
 * ```ts
 * const p = await shared.prepare(['chat'], new Map([['chat', [{ epoch, offset: 41 }]]]));
 * try { subscribeAndReplay(p.results.get('chat'), p.tapped('chat')); } finally { p.release(); }
 * ```
 */
export interface SharedLog {
  /**
   * `recover`: topic → the client's positions, `undefined` for "tell me where it starts".
   * Rejects with a `ServerError` (`ENGINE_UNAVAILABLE`) when the store is unreachable.
   */
  prepare(
    topics: readonly string[],
    recover: ReadonlyMap<string, readonly StreamPosition[] | undefined>,
  ): Promise<PreparedSubscribe>;
}

/** What {@link SharedLog.prepare} resolves with. */
export interface PreparedSubscribe {
  readonly results: ReadonlyMap<string, SharedRecoveryResult>;
  /** Live publications delivered to the topic since `prepare` began, in offset order. */
  tapped(topic: string): readonly StampedPublication[];
  /** Ends the hold `prepare` took on the topics (call after subscribing the connection). */
  release(): void;
}

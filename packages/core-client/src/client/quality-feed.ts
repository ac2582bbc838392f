/**
 * Connection quality inside the client: RTT and loss samples → the snapshot's `quality` and
 * `latency`, adaptive batching, a one-time compression request, `'quality'` events.
 *
 * @module
 */

import type { Envelope } from '../protocol/envelope';
import type { QualityMonitor } from '../quality/quality-monitor';
import type { Emitter } from './emitter';
import type { Outbound } from './outbound';
import type { SnapshotStore } from './snapshot-store';
import type { ClientSnapshot } from './types';

const ignore = (): void => {};

/**
 * RTT, jitter and loss → quality level → adaptive settings, with the monitor as a lazy chunk. Its
 * first input is a PONG, a ping interval after `server_hello`, so it is fetched when a session
 * comes up; the odd sample that beats it (or a failed fetch, retried on the next session) is not
 * counted. Positional parameters, not an options object: its key names would ship in the
 * initial bundle.
 *
 * @example
 * ```ts
 * const feed = new QualityFeed(store, outbound, trySend, () => true, emitter);
 * feed.sessionUp();
 * feed.record((q) => q.recordRtt(42));
 * ```
 */
export class QualityFeed {
  readonly #store: SnapshotStore<ClientSnapshot>;
  readonly #outbound: Outbound;
  readonly #trySend: (env: Envelope) => boolean;
  readonly #compression: () => boolean;
  readonly #emitter: Emitter;
  #quality?: QualityMonitor;
  #adaptive?: typeof import('../quality/quality-monitor').adaptiveSettings;
  #loading = false;
  #compressionAsked = false;

  /**
   * @param trySend - sends a protocol frame when connected; `false` otherwise
   * @param compression - the session does not refuse compression
   */
  constructor(
    store: SnapshotStore<ClientSnapshot>,
    outbound: Outbound,
    trySend: (env: Envelope) => boolean,
    compression: () => boolean,
    emitter: Emitter,
  ) {
    this.#store = store;
    this.#outbound = outbound;
    this.#trySend = trySend;
    this.#compression = compression;
    this.#emitter = emitter;
  }

  /** A session came up: fresh samples, and the monitor's chunk fetched if it is not in yet. */
  sessionUp(): void {
    this.#compressionAsked = false;
    this.#quality?.reset();
    if (this.#quality || this.#loading) return;
    this.#loading = true;
    import('../quality/quality-monitor')
      .then((m) => {
        this.#quality = new m.QualityMonitor();
        this.#adaptive = m.adaptiveSettings;
      }, ignore)
      .finally(() => {
        this.#loading = false;
      });
  }

  /** Records one sample and applies what changed. */
  record(sample: (q: QualityMonitor) => void): void {
    const q = this.#quality;
    if (!q || !this.#adaptive) return;
    const store = this.#store;
    sample(q);
    const before = store.getSnapshot();
    const level = q.level;
    const l = q.latency();
    const same =
      l.last === before.latency.last && l.avg === before.latency.avg && l.p95 === before.latency.p95;
    store.update({ quality: level, ...(same ? {} : { latency: l }) });
    if (level === before.quality) return;
    const s = this.#adaptive(level);
    this.#outbound.setBatching(s.batchIntervalMs, s.maxBatchSize);
    if (s.requestCompression && !this.#compressionAsked && this.#compression()) {
      this.#compressionAsked = this.#trySend({ c: 'WSE', t: 'config_update', p: { compression: true } });
    }
    this.#emitter.emit('quality', { level, previous: before.quality, latency: l });
  }
}

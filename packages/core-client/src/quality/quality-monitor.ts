/**
 * Connection quality from heartbeat round trips: RTT statistics over a sliding window, jitter,
 * loss from missed pongs, a quality level, and suggested settings per level. Pure: the runtime
 * feeds samples (`recordRtt` on each PONG, `recordLoss` when a pong is overdue).
 *
 * @module
 */

/**
 * `unknown` until the first sample.
 *
 * @example
 * ```ts
 * const level: QualityLevel = monitor.level;
 * ```
 */
export type QualityLevel = 'excellent' | 'good' | 'fair' | 'poor' | 'unknown';

/**
 * Level thresholds on the window's average RTT and loss ratio. Defaults:
 * excellent: avg < 50 ms and no loss · good: avg < 150 ms · fair: avg < 400 ms ·
 * poor: anything slower, or loss > 10 % (whatever the RTT).
 *
 * @example
 * ```ts
 * const strict: QualityThresholds = { excellentMs: 30, goodMs: 100, fairMs: 250, maxLoss: 0.05 };
 * ```
 */
export interface QualityThresholds {
  excellentMs: number;
  goodMs: number;
  fairMs: number;
  /** Loss ratio above which the level is `poor`. */
  maxLoss: number;
}

/**
 * The default thresholds (see {@link QualityThresholds}).
 *
 * @example
 * ```ts
 * new QualityMonitor({ thresholds: { ...DEFAULT_QUALITY_THRESHOLDS, fairMs: 300 } });
 * ```
 */
export const DEFAULT_QUALITY_THRESHOLDS: Readonly<QualityThresholds> = Object.freeze({
  excellentMs: 50,
  goodMs: 150,
  fairMs: 400,
  maxLoss: 0.1,
});

/**
 * Monitor settings.
 *
 * @example
 * ```ts
 * new QualityMonitor({ windowSize: 10, lossWindow: 50 });
 * ```
 */
export interface QualityMonitorOptions {
  /** RTT samples kept; default 20. */
  windowSize?: number;
  /** Pong outcomes (received or missed) kept for the loss ratio; default 20. */
  lossWindow?: number;
  thresholds?: Partial<QualityThresholds>;
}

/**
 * Latency figures in ms; `null` without samples.
 *
 * @example
 * ```ts
 * const { last, avg, p95 }: LatencyStats = monitor.latency();
 * ```
 */
export interface LatencyStats {
  last: number | null;
  avg: number | null;
  p95: number | null;
}

/**
 * RTT / jitter / loss over sliding windows → {@link QualityLevel}.
 *
 * - average: arithmetic mean of the RTT window;
 * - p95: nearest-rank 95th percentile of the window;
 * - jitter: mean absolute difference of consecutive samples (`null` below two samples);
 * - loss: missed pongs / pong outcomes in the loss window (`recordRtt` counts as received).
 *
 * @example
 * ```ts
 * const monitor = new QualityMonitor();
 * monitor.recordRtt(40);
 * monitor.recordRtt(44);
 * monitor.level;     // 'excellent'
 * monitor.jitter();  // 4
 * monitor.recordLoss();
 * monitor.level;     // 'poor' (1 of 3 pongs missed > 10 %)
 * ```
 */
export class QualityMonitor {
  readonly #windowSize: number;
  readonly #lossWindow: number;
  readonly #thresholds: QualityThresholds;
  #samples: number[] = [];
  #outcomes: boolean[] = [];

  constructor(options: QualityMonitorOptions = {}) {
    this.#windowSize = Math.max(1, options.windowSize ?? 20);
    this.#lossWindow = Math.max(1, options.lossWindow ?? 20);
    this.#thresholds = { ...DEFAULT_QUALITY_THRESHOLDS, ...options.thresholds };
  }

  /** Records one round trip (ignored unless a finite number ≥ 0). */
  recordRtt(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.#samples.push(ms);
    if (this.#samples.length > this.#windowSize) this.#samples.shift();
    this.#pushOutcome(true);
  }

  /** Records a pong that did not arrive in time. */
  recordLoss(): void {
    this.#pushOutcome(false);
  }

  /** Forgets everything (e.g. on a new connection). */
  reset(): void {
    this.#samples = [];
    this.#outcomes = [];
  }

  /** Number of RTT samples in the window. */
  get sampleCount(): number {
    return this.#samples.length;
  }

  /** The level now (see {@link QualityThresholds}). */
  get level(): QualityLevel {
    const loss = this.lossRatio();
    if (loss > this.#thresholds.maxLoss) return 'poor';
    const { avg } = this.latency();
    if (avg === null) return 'unknown';
    if (avg < this.#thresholds.excellentMs && loss === 0) return 'excellent';
    if (avg < this.#thresholds.goodMs) return 'good';
    if (avg < this.#thresholds.fairMs) return 'fair';
    return 'poor';
  }

  /** Last, average and p95 RTT of the window. */
  latency(): LatencyStats {
    const n = this.#samples.length;
    if (n === 0) return { last: null, avg: null, p95: null };
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const p95 = sorted[Math.max(0, Math.ceil(0.95 * n) - 1)] as number;
    const avg = this.#samples.reduce((a, b) => a + b, 0) / n;
    return { last: this.#samples[n - 1] as number, avg, p95 };
  }

  /** Mean absolute difference between consecutive RTT samples; `null` below two samples. */
  jitter(): number | null {
    if (this.#samples.length < 2) return null;
    let sum = 0;
    for (let i = 1; i < this.#samples.length; i++) {
      sum += Math.abs((this.#samples[i] as number) - (this.#samples[i - 1] as number));
    }
    return sum / (this.#samples.length - 1);
  }

  /** Missed pongs / pong outcomes in the loss window; 0 without outcomes. */
  lossRatio(): number {
    if (this.#outcomes.length === 0) return 0;
    return this.#outcomes.filter((ok) => !ok).length / this.#outcomes.length;
  }

  #pushOutcome(ok: boolean): void {
    this.#outcomes.push(ok);
    if (this.#outcomes.length > this.#lossWindow) this.#outcomes.shift();
  }
}

/**
 * Suggested outbound settings for a level.
 *
 * @example
 * ```ts
 * const s: AdaptiveSettings = adaptiveSettings('poor');
 * ```
 */
export interface AdaptiveSettings {
  /** How long to collect outbound messages into one `batch`; 0 = send at once. */
  batchIntervalMs: number;
  /** Most messages per `batch`. */
  maxBatchSize: number;
  /** Compress outbound frames above this many bytes. */
  compressionThreshold: number;
  /** Whether to ask the server for compression (`config_update`). */
  requestCompression: boolean;
}

const NORMAL: AdaptiveSettings = Object.freeze({
  batchIntervalMs: 0,
  maxBatchSize: 1,
  compressionThreshold: 1024,
  requestCompression: false,
});

const SETTINGS: Readonly<Record<QualityLevel, Readonly<AdaptiveSettings>>> = Object.freeze({
  excellent: NORMAL,
  good: NORMAL,
  unknown: NORMAL,
  fair: Object.freeze({
    batchIntervalMs: 20,
    maxBatchSize: 20,
    compressionThreshold: 1024,
    requestCompression: false,
  }),
  poor: Object.freeze({
    batchIntervalMs: 100,
    maxBatchSize: 50,
    compressionThreshold: 256,
    requestCompression: true,
  }),
});

/**
 * Suggested settings per level: no batching and the protocol's 1 KiB compression threshold
 * while the link is good (or not yet measured); light batching (20 ms, 20 messages) when
 * `fair`; when `poor`, batch harder (100 ms, 50 messages), compress from 256 bytes and ask the
 * server for compression. Returns a frozen shared object.
 *
 * @example
 * ```ts
 * if (monitor.level === 'poor') {
 *   const s = adaptiveSettings('poor'); // { batchIntervalMs: 100, maxBatchSize: 50, compressionThreshold: 256, requestCompression: true }
 * }
 * ```
 */
export function adaptiveSettings(level: QualityLevel): Readonly<AdaptiveSettings> {
  return SETTINGS[level] ?? NORMAL;
}

/**
 * The connection quality level changed.
 *
 * @example
 * ```ts
 * client.on('quality', (ev: QualityEvent) => showBars(ev.level));
 * ```
 */
export interface QualityEvent {
  readonly level: QualityLevel;
  readonly previous: QualityLevel;
  readonly latency: LatencyStats;
}

// Log-linear latency histogram in microseconds: 8 sub-buckets per power of two (≤ 12.5 % error),
// fixed size, mergeable by adding arrays. Recording is a clz32 and an increment.

const SUB = 8;
const SUB_BITS = 3;
export const HIST_SIZE = SUB * 32;

/** Bucket index of a non-negative integer value (µs). */
export function bucketOf(v) {
  if (v < SUB) return Math.max(0, v);
  const e = 31 - Math.clz32(v); // ≥ 3
  return (e - SUB_BITS + 1) * SUB + ((v >>> (e - SUB_BITS)) & (SUB - 1));
}

/** Lower bound (µs) of a bucket. */
export function bucketLow(i) {
  if (i < SUB) return i;
  const e = Math.floor(i / SUB) + SUB_BITS - 1;
  return (SUB + (i % SUB)) * 2 ** (e - SUB_BITS);
}

export function newHist() {
  return new Float64Array(HIST_SIZE);
}

export function record(h, us) {
  h[bucketOf(us > 2147483647 ? 2147483647 : us | 0)]++;
}

export function merge(into, from) {
  for (let i = 0; i < HIST_SIZE; i++) into[i] += from[i];
  return into;
}

export function count(h) {
  let n = 0;
  for (let i = 0; i < HIST_SIZE; i++) n += h[i];
  return n;
}

/** Percentile in milliseconds (bucket midpoint), or null when empty. */
export function percentileMs(h, p) {
  const total = count(h);
  if (total === 0) return null;
  const want = Math.max(1, Math.ceil(total * p));
  let acc = 0;
  for (let i = 0; i < HIST_SIZE; i++) {
    acc += h[i];
    if (acc >= want) {
      const lo = bucketLow(i);
      const hi = bucketLow(i + 1);
      return (lo + hi) / 2 / 1000;
    }
  }
  return null;
}

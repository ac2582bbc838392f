// The benchmark payload: ~100 bytes of JSON. `bseq` and `bts` come first so the load generator
// can read them from the bytes without decoding; `bts` is µs since the epoch (same clock on one box).
import { performance } from 'node:perf_hooks';

export const TOPIC = 'bench';
// {"bseq":1234567,"bts":1764100000000000,"pad":"…"} is 100 bytes with a 52-char pad.
export const PAD = 'x'.repeat(52);
const origin = performance.timeOrigin;

export const nowUs = () => Math.round((origin + performance.now()) * 1000);

export const payloadString = (seq, ts) => `{"bseq":${seq},"bts":${ts},"pad":"${PAD}"}`;
export const payloadObject = (seq, ts) => ({ bseq: seq, bts: ts, pad: PAD });

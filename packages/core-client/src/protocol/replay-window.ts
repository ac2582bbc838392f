/**
 * The exact set of the last N accepted E2E version 1 IVs, in fixed typed-array memory (the replay
 * cache of {@link E2EChannel}). It replaced a `Set<string>` of 12-char strings, which held 53 KB of
 * V8 heap per full 1 024-IV cache (74 KB once evicting); this holds ≈ 18.6 KB (package README, "v1
 * replay cache"; `bench/replay-memory.ts`).
 *
 * Layout:
 * - `ring`: the IVs in arrival order, 12 bytes per slot. It has `N + max(1, N/8)` slots: a
 *   `delete` of an entry that is neither the newest nor the oldest leaves a hole, and the slack lets
 *   holes pile up before one in-place compaction (amortised O(1) per `add`).
 * - `index`: an open-addressing table (a power of two ≥ 2N slots, so at most half full) of ring
 *   positions + 1 (0 = empty), linear probing, backward-shift deletion (no tombstones, so probe
 *   runs never grow from churn). An entry is live iff the index points at its ring slot.
 * - The hash is keyed by per-window random values (a multiply-add over the three 32-bit words
 *   with random odd multipliers, then a bit mixer), so a peer cannot choose IVs that share one
 *   probe run and turn every frame into a scan of the window.
 *
 * Semantics are those of the `Set` + FIFO it replaced: `add` of a present IV changes nothing; past
 * N live entries the oldest live one goes; `delete` removes an IV wherever it is (the channel
 * deletes an IV whose frame failed to decrypt, possibly after later frames were added). No false
 * positives, no false negatives.
 *
 * @module
 */
import { IV_LENGTH } from './limits';

/** A hash of the 12 bytes at `bytes[at…]` (any uint32; the window masks it). Tests only. */
export type IvHash = (bytes: Uint8Array, at: number) => number;

/** Injected randomness and, for tests, the hash. */
export interface ReplayWindowOptions {
  /** Fills `bytes` with random values (default `crypto.getRandomValues`). */
  readonly random?: (bytes: Uint8Array<ArrayBuffer>) => unknown;
  /** Replaces the keyed hash (tests force collisions with it). */
  readonly hash?: IvHash;
}

const word = (b: Uint8Array, i: number): number =>
  ((b[i] as number) |
    ((b[i + 1] as number) << 8) |
    ((b[i + 2] as number) << 16) |
    ((b[i + 3] as number) << 24)) >>>
  0;

function sameIv(a: Uint8Array, i: number, b: Uint8Array, j: number): boolean {
  for (let k = 0; k < IV_LENGTH; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
}

function keyedHash(random: (bytes: Uint8Array<ArrayBuffer>) => unknown): IvHash {
  const k = new Uint32Array(4);
  random(new Uint8Array(k.buffer));
  const a0 = (k[0] as number) | 1;
  const a1 = (k[1] as number) | 1;
  const a2 = (k[2] as number) | 1;
  const s = k[3] as number;
  return (b, at) => {
    // Σ aᵢ·wᵢ mod 2³² with random odd aᵢ: two distinct IVs collide on all 32 bits with
    // probability ≈ 2⁻³¹ over the key; the mixer spreads that into the low bits the table uses.
    let h =
      (Math.imul(word(b, at), a0) + Math.imul(word(b, at + 4), a1) + Math.imul(word(b, at + 8), a2)) ^ s;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
}

/**
 * The last `capacity` distinct IVs added (and not deleted). Allocates everything in the constructor:
 * create it when the first IV arrives.
 *
 * @example
 * const seen = new ReplayWindow(1024);
 * const iv = frame.slice(2, 14);
 * if (seen.has(iv)) throw refused('replayed');
 * seen.add(iv); // evicts the oldest past 1 024
 */
export class ReplayWindow {
  /** Index slots examined so far (lookups, inserts, deletions): tests bound the work with it. */
  probes = 0;
  readonly #ring: Uint8Array;
  readonly #slots: number;
  readonly #index: Uint16Array | Uint32Array;
  readonly #mask: number;
  readonly #hash: IvHash;
  #head = 0;
  #span = 0; // ring slots from the oldest to the newest entry, holes included
  #size = 0;

  constructor(
    readonly capacity: number,
    options: ReplayWindowOptions = {},
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`ReplayWindow capacity must be a positive integer, got ${capacity}`);
    this.#slots = capacity + Math.max(1, capacity >> 3);
    this.#ring = new Uint8Array(this.#slots * IV_LENGTH);
    let size = 2;
    while (size < 2 * capacity) size *= 2;
    this.#mask = size - 1;
    this.#index = this.#slots < 0xffff ? new Uint16Array(size) : new Uint32Array(size);
    this.#hash = options.hash ?? keyedHash(options.random ?? ((b) => globalThis.crypto.getRandomValues(b)));
  }

  /** IVs held. */
  get size(): number {
    return this.#size;
  }

  /** True when `iv` (12 bytes) is held. */
  has(iv: Uint8Array): boolean {
    return this.#find(checked(iv)) >= 0;
  }

  /** Adds `iv` (12 bytes; copied); past `capacity` the oldest goes. False when it was held already. */
  add(iv: Uint8Array): boolean {
    if (this.#find(checked(iv)) >= 0) return false;
    if (this.#size === this.capacity) this.#evictOldest();
    if (this.#span === this.#slots) this.#compact();
    const pos = (this.#head + this.#span) % this.#slots;
    this.#ring.set(iv, pos * IV_LENGTH);
    this.#span++;
    this.#size++;
    this.#insert(pos);
    return true;
  }

  /** Removes `iv` wherever it is in the order. False when it was not held. */
  delete(iv: Uint8Array): boolean {
    const slot = this.#find(checked(iv));
    if (slot < 0) return false;
    const pos = (this.#index[slot] as number) - 1;
    this.#remove(slot);
    this.#size--;
    if (this.#size === 0) {
      this.#head = 0;
      this.#span = 0;
    } else if (pos === (this.#head + this.#span - 1) % this.#slots) this.#span--;
    else if (pos === this.#head) {
      this.#head = (this.#head + 1) % this.#slots;
      this.#span--;
    }
    return true;
  }

  /** Forgets every IV (the memory stays allocated). */
  clear(): void {
    this.#index.fill(0);
    this.#head = 0;
    this.#span = 0;
    this.#size = 0;
  }

  #home(bytes: Uint8Array, at: number): number {
    return this.#hash(bytes, at) & this.#mask;
  }

  // The index slot holding `iv`, or -1.
  #find(iv: Uint8Array): number {
    const index = this.#index;
    for (let i = this.#home(iv, 0); ; i = (i + 1) & this.#mask) {
      this.probes++;
      const e = index[i] as number;
      if (e === 0) return -1;
      if (sameIv(this.#ring, (e - 1) * IV_LENGTH, iv, 0)) return i;
    }
  }

  // The index slot pointing at ring position `pos`, or -1 when that position is a hole.
  #slotOf(pos: number): number {
    const index = this.#index;
    for (let i = this.#home(this.#ring, pos * IV_LENGTH); ; i = (i + 1) & this.#mask) {
      this.probes++;
      const e = index[i] as number;
      if (e === 0) return -1;
      if (e === pos + 1) return i;
    }
  }

  #insert(pos: number): void {
    const index = this.#index;
    let i = this.#home(this.#ring, pos * IV_LENGTH);
    for (this.probes++; index[i] !== 0; this.probes++) i = (i + 1) & this.#mask;
    index[i] = pos + 1;
  }

  // Backward-shift deletion: pull later entries of the run into the gap when their home allows it.
  #remove(slot: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let hole = slot;
    for (let j = (slot + 1) & mask; ; j = (j + 1) & mask) {
      this.probes++;
      const e = index[j] as number;
      if (e === 0) break;
      const home = this.#home(this.#ring, (e - 1) * IV_LENGTH);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        index[hole] = e;
        hole = j;
      }
    }
    index[hole] = 0;
  }

  // Drops the oldest live entry, skipping the holes before it (each hole is skipped once).
  #evictOldest(): void {
    for (;;) {
      const slot = this.#slotOf(this.#head);
      this.#head = (this.#head + 1) % this.#slots;
      this.#span--;
      if (slot >= 0) {
        this.#remove(slot);
        this.#size--;
        return;
      }
    }
  }

  // The ring is full of entries and holes: slide the live entries together (order kept, starting
  // at head; a write never passes the read), then rebuild the index.
  #compact(): void {
    const ring = this.#ring;
    let live = 0;
    for (let r = 0; r < this.#span; r++) {
      const from = (this.#head + r) % this.#slots;
      if (this.#slotOf(from) < 0) continue;
      const to = (this.#head + live) % this.#slots;
      if (to !== from) ring.copyWithin(to * IV_LENGTH, from * IV_LENGTH, (from + 1) * IV_LENGTH);
      live++;
    }
    this.#index.fill(0);
    this.#span = live;
    for (let k = 0; k < live; k++) this.#insert((this.#head + k) % this.#slots);
  }
}

function checked(iv: Uint8Array): Uint8Array {
  if (iv.length !== IV_LENGTH) throw new RangeError(`an IV is ${IV_LENGTH} bytes, got ${iv.length}`);
  return iv;
}

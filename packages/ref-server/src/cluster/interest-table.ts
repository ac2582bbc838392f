import { Capability, type ClusterFrame, FrameType, MAX_FRAME_BYTES } from './cluster-frame';

/** The part of a link the table reads. */
export interface InterestLink {
  has(capability: number): boolean;
}

interface Entry {
  /** The peer's RESYNC arrived: `topics` is its full set from then on. */
  resynced: boolean;
  topics: Set<string>;
}

/**
 * Which topics each peer has subscribers for (docs-site/protocol §9 interest routing). Pure bookkeeping.
 *
 * Rules: until a peer's RESYNC arrives it gets every MSG (it may have subscribers we have not heard
 * of); after it, only topics in its set (RESYNC replaces the set, SUB/UNSUB edit it). A peer without
 * the interest capability gets everything. Bound (decided here): a peer may announce at most
 * `maxTopics` topics; past that the table forgets its set and sends it everything until its next
 * RESYNC — never a lost message, at worst extra traffic.
 *
 * @example
 * ```ts
 * const t = new InterestTable();
 * t.open(link); t.resync(link, ['chat']);
 * t.wants(link, 'news'); // false
 * ```
 */
export class InterestTable {
  private readonly byLink = new Map<InterestLink, Entry>();

  constructor(private readonly maxTopics = 1_000_000) {}

  open(link: InterestLink): void {
    this.byLink.set(link, { resynced: false, topics: new Set() });
  }

  close(link: InterestLink): void {
    this.byLink.delete(link);
  }

  wants(link: InterestLink, topic: string): boolean {
    if (!link.has(Capability.INTEREST)) return true;
    const entry = this.byLink.get(link);
    return !entry?.resynced || entry.topics.has(topic);
  }

  resync(link: InterestLink, topics: readonly string[]): void {
    const entry = this.byLink.get(link);
    if (!entry) return;
    if (topics.length > this.maxTopics) {
      entry.resynced = false;
      entry.topics = new Set();
      return;
    }
    entry.topics = new Set(topics.filter((t) => t !== ''));
    entry.resynced = true;
  }

  change(link: InterestLink, topic: string, present: boolean): void {
    const entry = this.byLink.get(link);
    if (!entry) return;
    if (!present) {
      entry.topics.delete(topic);
      return;
    }
    if (entry.topics.size >= this.maxTopics) {
      entry.resynced = false;
      entry.topics = new Set();
      return;
    }
    entry.topics.add(topic);
  }

  /** Whether the peer announced `key` (SUB or RESYNC); unlike {@link wants}, never assumed. */
  announced(link: InterestLink, key: string): boolean {
    return this.byLink.get(link)?.topics.has(key) === true;
  }

  /** Whether the peer's RESYNC arrived and how many topics it announced. */
  describe(link: InterestLink): { resynced: boolean; topics: number } {
    const entry = this.byLink.get(link);
    return { resynced: entry?.resynced ?? false, topics: entry?.topics.size ?? 0 };
  }

  /** Topics a peer announced (for tests and clusterInfo). */
  size(link: InterestLink): number {
    return this.byLink.get(link)?.topics.size ?? 0;
  }
}

const utf8 = new TextEncoder();

/**
 * The frames that announce a full topic set: RESYNC (newline-separated) with what fits in one frame,
 * then SUB for the rest. Decided here: same result on the peer as one big RESYNC, since a link
 * delivers frames in order.
 *
 * @example
 * ```ts
 * for (const f of resyncFrames(['chat', 'news'])) link.send(f);
 * ```
 */
export function resyncFrames(topics: readonly string[]): ClusterFrame[] {
  let body = '';
  let i = 0;
  for (; i < topics.length; i++) {
    const next = body === '' ? (topics[i] as string) : `${body}\n${topics[i]}`;
    if (next.length * 3 > MAX_FRAME_BYTES - 64) break;
    body = next;
  }
  const frames: ClusterFrame[] = [
    { type: FrameType.RESYNC, flags: 0, topic: '', payload: utf8.encode(body) },
  ];
  for (; i < topics.length; i++)
    frames.push({ type: FrameType.SUB, flags: 0, topic: topics[i] as string, payload: new Uint8Array(0) });
  return frames;
}

import type { PresenceMember } from './presence-types';

/** What a page is read from (a `PresenceStore`). */
export interface PresencePageSource {
  userIds(topic: string): string[];
  member(topic: string, userId: string): (PresenceMember & { bytes: number }) | undefined;
}

/** One page of a `presence` query reply. */
export interface PresencePage {
  /** No prototype: any user id (even `__proto__`) is a plain key. */
  members: Record<string, PresenceMember>;
  /** The last user id of this page when more follow (the next query's `cursor`). */
  next?: string;
  /** Approximate JSON bytes of `members` (what the rate limit is charged). */
  bytes: number;
}

/** Default and largest `limit` of a `presence` query, and the byte budget of one page. */
export const PRESENCE_PAGE = Object.freeze({ defaultLimit: 100, maxLimit: 1000, maxBytes: 256 * 1024 });

/**
 * One page of a topic's members in user-id order (UTF-16 code unit order), starting after
 * `cursor`: at most `limit` users and, past the first, no more than `maxBytes` of JSON. Members who
 * join or leave between pages appear or not; nobody present throughout is missed or repeated.
 *
 * @example
 * ```ts
 * let page = presencePage(store, 'room', undefined, 100);
 * while (page.next) page = presencePage(store, 'room', page.next, 100);
 * ```
 */
export function presencePage(
  source: PresencePageSource,
  topic: string,
  cursor: string | undefined,
  limit: number,
  maxBytes: number = PRESENCE_PAGE.maxBytes,
): PresencePage {
  const ids = source.userIds(topic).filter((id) => cursor === undefined || id > cursor);
  ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const members = Object.create(null) as Record<string, PresenceMember>;
  let bytes = 2;
  let count = 0;
  let last: string | undefined;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    const m = source.member(topic, id);
    if (!m) continue;
    // {"<id>":{"data":…,"connections":N}},
    const size = id.length + m.bytes + 40;
    if (count >= limit || (count > 0 && bytes + size > maxBytes)) return { members, next: last, bytes };
    members[id] = { data: m.data, connections: m.connections };
    bytes += size;
    count++;
    last = id;
  }
  return { members, bytes };
}

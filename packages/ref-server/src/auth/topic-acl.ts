import type { VerifiedToken } from './token-verifier';

/** Longest topic name, in UTF-8 bytes. */
export const MAX_TOPIC_BYTES = 256;

/**
 * Glob match over whole strings, by code point. Semantics (decided here):
 * - `*` matches any run of characters, **including the empty run** and including `:`/`/` — there is
 *   no segment notion, so `room:*` matches `room:1`, `room:1:chat` and `room:`;
 * - `?` matches exactly one character (one code point, so one emoji);
 * - every other character matches itself; there is no escape, no `[...]` class, matching is
 *   case-sensitive.
 * Runs in O(len(glob) × len(value)) worst case with no regex (no ReDoS on hostile globs).
 *
 * @example
 * matchGlob('room:*', 'room:1');   // true
 * matchGlob('user:?', 'user:42');  // false
 * matchGlob('*', '');              // true
 */
export function matchGlob(glob: string, value: string): boolean {
  if (glob === '*') return true;
  if (!glob.includes('*') && !glob.includes('?')) return glob === value;
  const g = Array.from(glob);
  const v = Array.from(value);
  let gi = 0;
  let vi = 0;
  let starG = -1; // position after the last '*' seen
  let starV = 0; // value position that '*' is currently assumed to extend to
  while (vi < v.length) {
    const c = g[gi];
    if (c === '*') {
      starG = ++gi;
      starV = vi;
    } else if (c !== undefined && (c === '?' || c === v[vi])) {
      gi++;
      vi++;
    } else if (starG !== -1) {
      gi = starG;
      vi = ++starV; // let the last '*' swallow one more character and retry
    } else {
      return false;
    }
  }
  while (g[gi] === '*') gi++;
  return gi === g.length;
}

/**
 * Whether a token's `wse_topics` ACL admits `topic`. No ACL (no claim) = allowed; a `deny` match
 * always wins; otherwise some `allow` glob must match.
 *
 * @example
 * topicAllowed({ allow: ['room:*'], deny: ['room:admin'] }, 'room:1');      // true
 * topicAllowed({ allow: ['room:*'], deny: ['room:admin'] }, 'room:admin');  // false
 * topicAllowed(undefined, 'anything');                                      // true
 */
export function topicAllowed(acl: VerifiedToken['topics'], topic: string): boolean {
  if (!acl) return true;
  if (acl.deny.some((g) => matchGlob(g, topic))) return false;
  return acl.allow.some((g) => matchGlob(g, topic));
}

/**
 * Whether a connection's identity admits `topic`: its token ACL (`acl`) AND the app's runtime ACL
 * (`runtimeAcl`, set by `server.setTopicAcl`) must both allow it.
 *
 * @example
 * identityAllows({ acl: undefined, runtimeAcl: { allow: ['jobs'], deny: [] } }, 'chat'); // false
 */
export function identityAllows(
  identity: { acl?: VerifiedToken['topics']; runtimeAcl?: VerifiedToken['topics'] },
  topic: string,
): boolean {
  return topicAllowed(identity.acl, topic) && topicAllowed(identity.runtimeAcl, topic);
}

/**
 * Checks a topic name from the wire: a string of 1..256 UTF-8 bytes, well-formed Unicode (no lone
 * surrogates), no control characters U+0000–U+001F or U+007F. Returns null when valid, otherwise a
 * message suitable for `failed_topics[].message`.
 *
 * @example
 * validateTopicName('room:1');      // null
 * validateTopicName('bad\ntopic');  // 'topic contains a control character'
 * validateTopicName(42);            // 'topic must be a string'
 */
export function validateTopicName(topic: unknown): string | null {
  if (typeof topic !== 'string') return 'topic must be a string';
  if (topic.length === 0) return 'topic must not be empty';
  // Every UTF-16 unit is at least one UTF-8 byte: cheap early exit for huge strings.
  if (topic.length > MAX_TOPIC_BYTES) return `topic is longer than ${MAX_TOPIC_BYTES} bytes`;
  let bytes = 0;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c <= 0x1f || c === 0x7f) return 'topic contains a control character';
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = topic.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return 'topic is not well-formed Unicode';
      bytes += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return 'topic is not well-formed Unicode';
    else bytes += 3;
  }
  return bytes > MAX_TOPIC_BYTES ? `topic is longer than ${MAX_TOPIC_BYTES} bytes` : null;
}

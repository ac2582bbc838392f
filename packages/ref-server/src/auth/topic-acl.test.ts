import { describe, expect, it } from 'vitest';
import { matchGlob, topicAllowed, validateTopicName } from './topic-acl';

describe('matchGlob', () => {
  it.each([
    ['room:*', 'room:1', true],
    ['room:*', 'room:1:chat', true],
    ['room:*', 'room:', true],
    ['room:*', 'rooms:1', false],
    ['*', '', true],
    ['*', 'anything/at:all', true],
    ['*:chat', 'room:1:chat', true],
    ['*:chat', 'room:1:chatx', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['user:?', 'user:7', true],
    ['user:?', 'user:42', false],
    ['user:??', 'user:42', true],
    ['?', '😀', true],
    ['exact', 'exact', true],
    ['exact', 'Exact', false],
    ['', '', true],
    ['', 'x', false],
    ['**', 'x', true],
    ['a.b', 'aXb', false],
  ])('%s vs %s → %s', (glob, value, expected) => {
    expect(matchGlob(glob, value)).toBe(expected);
  });

  it('stays fast on a pathological glob', () => {
    const glob = `${'*a'.repeat(64)}b`;
    const value = 'a'.repeat(256);
    const t0 = performance.now();
    expect(matchGlob(glob, value)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(200);
  });
});

describe('topicAllowed', () => {
  const acl = { allow: ['room:*', 'lobby'], deny: ['room:admin*'] };
  it('no claim allows everything', () => {
    expect(topicAllowed(undefined, 'anything')).toBe(true);
  });
  it('allow globs admit, others are refused', () => {
    expect(topicAllowed(acl, 'room:1')).toBe(true);
    expect(topicAllowed(acl, 'lobby')).toBe(true);
    expect(topicAllowed(acl, 'lobby2')).toBe(false);
  });
  it('deny wins over allow', () => {
    expect(topicAllowed(acl, 'room:admin')).toBe(false);
    expect(topicAllowed({ allow: ['*'], deny: ['*'] }, 'x')).toBe(false);
  });
  it('an empty allow list admits nothing', () => {
    expect(topicAllowed({ allow: [], deny: [] }, 'x')).toBe(false);
  });
});

describe('validateTopicName', () => {
  it('accepts ordinary and multi-byte names up to 256 bytes', () => {
    expect(validateTopicName('room:1')).toBeNull();
    expect(validateTopicName('a'.repeat(256))).toBeNull();
    expect(validateTopicName('é'.repeat(128))).toBeNull(); // 256 bytes
    expect(validateTopicName('😀'.repeat(64))).toBeNull(); // 256 bytes
  });
  it('rejects non-strings and empty', () => {
    expect(validateTopicName(1)).toMatch(/string/);
    expect(validateTopicName(null)).toMatch(/string/);
    expect(validateTopicName(['a'])).toMatch(/string/);
    expect(validateTopicName('')).toMatch(/empty/);
  });
  it('rejects names over 256 UTF-8 bytes', () => {
    expect(validateTopicName('a'.repeat(257))).toMatch(/256/);
    expect(validateTopicName('é'.repeat(129))).toMatch(/256/); // 129 chars, 258 bytes
    expect(validateTopicName(`${'😀'.repeat(64)}a`)).toMatch(/256/);
    expect(validateTopicName('x'.repeat(1_000_000))).toMatch(/256/);
  });
  it('rejects control characters and lone surrogates', () => {
    for (const c of ['\u0000', '\n', '\t', '\u001f', '\u007f'])
      expect(validateTopicName(`a${c}b`)).toMatch(/control/);
    expect(validateTopicName('a\ud800b')).toMatch(/Unicode/);
    expect(validateTopicName('a\udc00')).toMatch(/Unicode/);
    expect(validateTopicName('\u0080ok')).toBeNull(); // C1 range is not in the rule
  });
});

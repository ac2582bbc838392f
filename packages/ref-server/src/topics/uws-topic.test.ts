import { describe, expect, it } from 'vitest';
import { validateTopicName } from '../auth/topic-acl';
import { PLAIN_PREFIX, uwsTopic } from './uws-topic';

describe('uwsTopic', () => {
  it('a client topic keeps its name; its uncompressed name is one no client topic can take', () => {
    expect(uwsTopic('chat', 'compressed')).toBe('chat');
    const plain = uwsTopic('chat', 'plain');
    expect(plain).toBe(`${PLAIN_PREFIX}chat`);
    expect(validateTopicName(plain)).toBe('topic contains a control character');
  });

  it('never maps two (topic, variant) pairs to one name, even for app-chosen control-character topics', () => {
    const topics = [
      'chat',
      '\u0001chat',
      '\u0002chat',
      '\u0002\u0001chat',
      '\u0001\u0001chat',
      '\u0000all',
      'x',
    ];
    const names = new Map<string, string>();
    for (const t of topics) {
      for (const v of ['compressed', 'plain'] as const) {
        const name = uwsTopic(t, v);
        expect(names.get(name), `${JSON.stringify(t)} ${v}`).toBeUndefined();
        names.set(name, `${t}/${v}`);
        expect(name.startsWith(PLAIN_PREFIX)).toBe(v === 'plain');
      }
    }
  });
});

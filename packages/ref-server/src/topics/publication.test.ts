import { describe, expect, it } from 'vitest';
import { reservedEventType, toPublication } from './publication';

describe('toPublication (docs-site/protocol §4: only {t|type, p|payload} is an event)', () => {
  it('keeps an event with a type and a payload', () => {
    const env = toPublication('chat', { t: 'chat_message', p: { text: 'hi' }, pri: 8 });
    expect(env.t).toBe('chat_message');
    expect(env.p).toEqual({ text: 'hi' });
    expect(env.pri).toBe(8);
    expect(toPublication('chat', { type: 'chat_message', payload: { a: 1 } }).p).toEqual({ a: 1 });
  });

  it('wraps a typed object without a payload whole, so no field is dropped', () => {
    const env = toPublication('clock', { t: 'tick', n: 1 });
    expect(env.t).toBe('publication');
    expect(env.p).toEqual({ topic: 'clock', data: { t: 'tick', n: 1 } });
    expect(toPublication('clock', { type: 'tick', n: 2 }).p).toEqual({
      topic: 'clock',
      data: { type: 'tick', n: 2 },
    });
  });

  it('wraps plain data, and broadcasts without a topic', () => {
    expect(toPublication('prices', 42).p).toEqual({ topic: 'prices', data: 42 });
    const b = toPublication(undefined, { t: 'tick', n: 1 });
    expect(b.t).toBe('broadcast');
    expect(b.p).toEqual({ data: { t: 'tick', n: 1 } });
  });

  it('a reserved type without a payload is wrapped, not relayed (nothing to forge)', () => {
    expect(reservedEventType({ t: 'presence_join', n: 1 })).toBeUndefined();
    expect(toPublication('x', { t: 'presence_join', n: 1 }).t).toBe('publication');
    expect(reservedEventType({ t: 'presence_join', p: {} })).toBe('presence_join');
  });
});

import { describe, expect, it } from 'vitest';
import { SerialInbox } from './serial-inbox';

describe('SerialInbox', () => {
  it('runs sync items at once and keeps order across async ones', async () => {
    const log: string[] = [];
    let release: () => void = () => {};
    const inbox = new SerialInbox<string>(
      undefined,
      {
        run: (_owner, item) => {
          log.push(`start ${item}`);
          if (item === 'slow') return new Promise<void>((r) => (release = r));
        },
        overflow: () => log.push('overflow'),
      },
      10,
    );
    inbox.push('a', (x) => x);
    inbox.push('slow', (x) => x);
    inbox.push('b', (x) => `${x}-copy`);
    expect(log).toEqual(['start a', 'start slow']);
    expect(inbox.queued).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['start a', 'start slow', 'start b-copy']);
  });

  it('reports overflow while busy and survives throwing and rejecting runs', async () => {
    let calls = 0;
    let overflow = 0;
    const inbox = new SerialInbox<number, { name: string }>(
      { name: 'conn' },
      {
        run: (owner, n) => {
          expect(owner.name).toBe('conn');
          calls++;
          if (n === 0) throw new Error('boom');
          if (n === 1) return Promise.reject(new Error('later'));
        },
        overflow: () => overflow++,
      },
      1,
    );
    inbox.push(0, (x) => x);
    inbox.push(1, (x) => x);
    inbox.push(2, (x) => x);
    inbox.push(3, (x) => x);
    expect(overflow).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toBe(3);
  });
});

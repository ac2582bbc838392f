import { describe, expect, it } from 'vitest';
import { SerialInbox, type TurnBudget } from './serial-inbox';

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

  it('runs at most the turn budget per turn and defers the rest, in order', () => {
    const ran: string[] = [];
    const later: Array<() => void> = [];
    let turn = 0;
    const budget: TurnBudget = {
      perTurn: 3,
      maxQueued: 100,
      turn: () => turn,
      defer: (fn) => later.push(fn),
    };
    const inbox = new SerialInbox<string>(
      undefined,
      { run: (_o, item) => void ran.push(item), overflow: () => ran.push('overflow'), cost: (i) => i.length },
      100,
      budget,
    );
    for (const item of ['a', 'b', 'cc', 'd', 'e', 'f']) inbox.push(item, (x) => x);
    // a (1) + b (1) + cc (2) pass the budget of 3 on the third item; the rest waits.
    expect(ran).toEqual(['a', 'b', 'cc']);
    expect(inbox.queued).toBe(3);
    expect(later).toHaveLength(1);
    turn++;
    (later.shift() as () => void)();
    expect(ran).toEqual(['a', 'b', 'cc', 'd', 'e', 'f']);
    expect(inbox.idle).toBe(true);
  });

  it('overflows when the queued units pass maxQueued', () => {
    let overflows = 0;
    const budget: TurnBudget = { perTurn: 1, maxQueued: 5, turn: () => 0, defer: () => {} };
    const inbox = new SerialInbox<string>(
      undefined,
      { run: () => {}, overflow: () => overflows++, cost: (i) => i.length },
      100,
      budget,
    );
    inbox.push('x', (x) => x); // runs
    inbox.push('yyy', (x) => x); // waits (3)
    inbox.push('zz', (x) => x); // waits (5)
    expect(overflows).toBe(0);
    inbox.push('w', (x) => x); // 6 > 5
    expect(overflows).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { roundRobin } from '../../src/util/round-robin.js';

const party = (order: number) => ({ order });

describe('roundRobin', () => {
  it('every party goes first in turn, whatever order the ready set arrives in', () => {
    const a = party(0);
    const b = party(1);
    const c = party(2);
    let cursor = -1;
    const firsts: number[] = [];
    for (let round = 0; round < 6; round++) {
      // The ready set comes back in last round's serving order, as the groups re-add themselves.
      const ready = round % 2 === 0 ? [c, a, b] : [b, c, a];
      const next = roundRobin(ready, cursor);
      cursor = next.cursor;
      firsts.push(next.order[0]?.order ?? -1);
      expect(next.order).toHaveLength(3);
    }
    expect(firsts).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('skips parties that are not ready and wraps around', () => {
    const next = roundRobin([party(0), party(5)], 3);
    expect(next.order.map((p) => p.order)).toEqual([5, 0]);
    expect(roundRobin([party(0), party(5)], next.cursor).order.map((p) => p.order)).toEqual([0, 5]);
  });

  it('an empty round keeps the cursor', () => {
    expect(roundRobin([], 7)).toEqual({ order: [], cursor: 7 });
  });
});

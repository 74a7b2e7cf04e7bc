import { describe, expect, it } from 'vitest';
import { RouteStore } from '../../src/rib/route-store.js';
import { DOUBLING_LIMIT, grownCapacity, grownColumn, RESERVED_ENTRIES } from '../../src/util/capacity.js';

describe('grownCapacity', () => {
  it('doubles a small column until the index fits', () => {
    expect(grownCapacity(1024, 1024)).toBe(2048);
    expect(grownCapacity(256, 1000)).toBe(1024);
    expect(grownCapacity(0, 0)).toBe(1);
    expect(grownCapacity(DOUBLING_LIMIT / 2, DOUBLING_LIMIT / 2)).toBe(DOUBLING_LIMIT);
  });

  it('jumps to the reserved room once past the doubling limit, then doubles again', () => {
    expect(grownCapacity(DOUBLING_LIMIT, DOUBLING_LIMIT)).toBe(RESERVED_ENTRIES);
    expect(grownCapacity(1024, DOUBLING_LIMIT + 1)).toBe(RESERVED_ENTRIES);
    expect(grownCapacity(RESERVED_ENTRIES, RESERVED_ENTRIES)).toBe(RESERVED_ENTRIES * 2);
  });
});

describe('RouteStore growth', () => {
  it('copies its columns only while small: from 4k to 4M routes the arrays stay the same', () => {
    const store = new RouteStore();
    const copies = new Set<Uint32Array>();
    for (let i = 0; i < 1_100_000; i++) {
      const route = store.allocate();
      store.prefix[route] = i;
      if (i >= DOUBLING_LIMIT) copies.add(store.prefix);
    }
    expect(copies.size).toBe(1);
    expect(store.prefix.length).toBe(RESERVED_ENTRIES);
    expect(store.prefix[1_099_999]).toBe(1_099_999);
    expect(store.prefix[12345]).toBe(12345);
  });
});

describe('grownColumn', () => {
  it('copies a column into a larger one of the same type, the new room reading 0', () => {
    const column = Int32Array.from([5, -1, 7]);
    const grown = grownColumn(column, 8);
    expect(grown).toBeInstanceOf(Int32Array);
    expect([...grown]).toEqual([5, -1, 7, 0, 0, 0, 0, 0]);
  });
});

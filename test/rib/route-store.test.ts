// The route store's slots: released slots are reused last-in first-out
// through the free list threaded in their prefix column, and a reused slot
// reads as new (its sparse columns back at 0).
import { describe, expect, it } from 'vitest';
import { RouteFlag, RouteStore } from '../../src/rib/route-store.js';

describe('RouteStore slots', () => {
  it('reuses released slots, last released first, before growing; counts stay exact', () => {
    const store = new RouteStore(16);
    const routes = Array.from({ length: 10 }, (_, i) => {
      const route = store.allocate();
      store.prefix[route] = 100 + i;
      store.source[route] = 1;
      store.initAttrs(route, 7, 7);
      return route;
    });
    expect(routes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const route of [3, 7, 5]) store.release(route);
    expect(store.count).toBe(7);
    expect(store.isLive(7)).toBe(false);
    expect(store.isLive(6)).toBe(true);
    expect(store.prefix[6]).toBe(106);
    expect([store.allocate(), store.allocate(), store.allocate()]).toEqual([5, 7, 3]);
    expect(store.allocate()).toBe(10);
    expect(store.count).toBe(11);
    expect(store.end).toBe(11);
  });

  it('a reused slot reads as new: prefix, path id, as-received set and flags back at 0', () => {
    const store = new RouteStore(4);
    const route = store.allocate();
    store.prefix[route] = 42;
    store.setPathId(route, 9);
    store.initAttrs(route, 1, 2);
    expect(store.pathIdOf(route)).toBe(9);
    expect(store.rawAttrOf(route)).toBe(1);
    store.flags[route] = (store.flags[route] as number) | RouteFlag.stale | RouteFlag.doomed;
    store.clearMarks(route);
    expect(store.pathIdOf(route)).toBe(9);
    expect((store.flags[route] as number) & (RouteFlag.stale | RouteFlag.doomed)).toBe(0);
    const other = store.allocate();
    store.release(other);
    store.release(route);
    const again = store.allocate();
    expect(again).toBe(route);
    expect(store.prefix[again]).toBe(0);
    expect(store.pathIdOf(again)).toBe(0);
    expect(store.flags[again]).toBe(0);
    store.initAttrs(again, 5, 5);
    expect(store.rawAttrOf(again)).toBe(5);
    store.setAttrs(again, 6, 5);
    expect(store.rawAttrOf(again)).toBe(6);
    store.clearMarks(again);
    expect(store.rawAttrOf(again)).toBe(6);
    store.setAttrs(again, 5, 5);
    expect(store.rawAttrOf(again)).toBe(5);
    expect(store.allocate()).toBe(other);
  });

  it('a million routes withdrawn and announced again reuse the same million slots', () => {
    const store = new RouteStore();
    const n = 1_000_000;
    for (let i = 0; i < n; i++) store.prefix[store.allocate()] = i;
    for (let r = 0; r < n; r++) store.release(r);
    expect(store.count).toBe(0);
    for (let i = 0; i < n; i++) store.prefix[store.allocate()] = i;
    expect(store.end).toBe(n);
    expect(store.count).toBe(n);
  });
});

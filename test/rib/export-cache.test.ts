import { describe, expect, it } from 'vitest';
import type { PathAttributes } from '../../src/bgp/codec/index.js';
import { AttributeStore } from '../../src/rib/attribute-store.js';
import { ExportCache } from '../../src/rib/export-cache.js';

const attributes = (med: number): PathAttributes => ({ origin: 0, asPath: [], nextHop: '10.0.0.1', med });

describe('ExportCache', () => {
  it('answers for the source it was computed for, with a reference to the result', () => {
    const attrs = new AttributeStore();
    const cache = new ExportCache(attrs);
    const best = attrs.intern(attributes(1), '10.0.0.1');
    const out = attrs.intern(attributes(2), '10.0.0.9');
    expect(cache.lookup(best, 3)).toBeUndefined();
    cache.store(best, 3, out);
    expect(cache.lookup(best, 3)).toBe(out);
    attrs.release(out.id); // the reference lookup() handed over
    expect(cache.lookup(best, 4)).toBeUndefined();
    cache.store(best, 4, null);
    expect(cache.lookup(best, 4)).toBeNull();
    // One entry per set: the first source's result was replaced.
    expect(cache.lookup(best, 3)).toBeUndefined();
  });

  it('misses once the best set went and another set took its id', () => {
    const attrs = new AttributeStore();
    const cache = new ExportCache(attrs);
    const best = attrs.intern(attributes(1), '10.0.0.1');
    cache.store(best, 3, null);
    attrs.release(best.id);
    const other = attrs.intern(attributes(5), '10.0.0.1');
    expect(other.id).toBe(best.id);
    expect(cache.lookup(other, 3)).toBeUndefined();
  });

  it('misses once the result went, even if its id now holds another set', () => {
    const attrs = new AttributeStore();
    const cache = new ExportCache(attrs);
    const best = attrs.intern(attributes(1), '10.0.0.1');
    const out = attrs.intern(attributes(2), '10.0.0.9');
    cache.store(best, 3, out);
    attrs.release(out.id);
    expect(cache.lookup(best, 3)).toBeUndefined();
    const reused = attrs.intern(attributes(7), '10.0.0.9');
    expect(reused.id).toBe(out.id);
    expect(cache.lookup(best, 3)).toBeUndefined();
  });

  it('forgets everything on clear() and grows past its first ids', () => {
    const attrs = new AttributeStore();
    const cache = new ExportCache(attrs);
    const sets = Array.from({ length: 3000 }, (_, i) => attrs.intern(attributes(i), '10.0.0.1'));
    for (const set of sets) cache.store(set, 1, null);
    expect(sets.every((set) => cache.lookup(set, 1) === null)).toBe(true);
    cache.clear();
    expect(sets.some((set) => cache.lookup(set, 1) !== undefined)).toBe(false);
  });
});

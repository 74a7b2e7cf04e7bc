// The attribute store's key index: byte keys in one arena, an open-addressing
// table of ids. Checked against a Map under random inserts and removals,
// with a hash that collides on purpose (long probe chains, deletions inside
// them), and for bounded memory under churn.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteKeyIndex, hashBytes } from '../../src/rib/byte-key-index.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const text = (key: Uint8Array): string => Buffer.from(key).toString('latin1');

/** Three bits of hash: a few hundred keys share eight probe chains. */
const collidingHash = (key: Uint8Array): number => hashBytes(key, 0, key.length) & 7;

describe('ByteKeyIndex', () => {
  it('finds what was inserted, by bytes anywhere in a buffer', () => {
    const index = new ByteKeyIndex();
    const key = bytes('4i\x40\x01\x01\x00');
    index.insert(7, hashBytes(key, 0, key.length), key, 0, key.length);
    const framed = bytes(`xx${text(key)}yy`);
    expect(index.find(hashBytes(framed, 2, 8), framed, 2, 8)).toBe(7);
    expect(index.find(hashBytes(framed, 2, 7), framed, 2, 7)).toBe(-1);
    expect(text(index.keyOf(7))).toBe(text(key));
    expect(index.count).toBe(1);
  });

  it('agrees with a Map under random inserts and removals, with colliding hashes', () => {
    const operation = fc.record({ key: fc.string({ minLength: 1, maxLength: 12 }), remove: fc.boolean() });
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 400 }), (operations) => {
        const index = new ByteKeyIndex();
        const model = new Map<string, number>();
        const freeIds: number[] = [];
        let nextId = 0;
        for (const { key: keyText, remove } of operations) {
          const key = bytes(keyText);
          const found = index.find(collidingHash(key), key, 0, key.length);
          expect(found).toBe(model.get(keyText) ?? -1);
          if (found >= 0 && remove) {
            index.remove(found);
            model.delete(keyText);
            freeIds.push(found);
          } else if (found < 0) {
            const id = freeIds.pop() ?? nextId++;
            index.insert(id, collidingHash(key), key, 0, key.length);
            model.set(keyText, id);
          }
        }
        expect(index.count).toBe(model.size);
        for (const [keyText, id] of model) {
          const key = bytes(keyText);
          expect(index.find(collidingHash(key), key, 0, key.length)).toBe(id);
          expect(text(index.keyOf(id))).toBe(keyText);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reuses the arena under churn: memory stays bounded while keys come and go', () => {
    const index = new ByteKeyIndex();
    let sizeAfterFirstCycle = 0;
    let inserted = 0;
    for (let cycle = 0; cycle < 20; cycle++) {
      // 200 keys of 40 octets alive at a time, 2000 distinct keys per cycle.
      for (let i = 0; i < 2000; i++, inserted++) {
        const key = bytes(
          `4i-cycle-${String(cycle).padStart(2, '0')}-key-${String(i).padStart(4, '0')}-${'x'.repeat(17)}`,
        );
        const id = inserted % 200;
        if (inserted >= 200) index.remove(id);
        index.insert(id, hashBytes(key, 0, key.length), key, 0, key.length);
      }
      if (cycle === 0) sizeAfterFirstCycle = index.byteSize;
    }
    expect(index.count).toBe(200);
    expect(index.byteSize).toBe(sizeAfterFirstCycle);
    // Keys moved by compaction are still found, and read back whole.
    const last = bytes(`4i-cycle-19-key-1999-${'x'.repeat(17)}`);
    const id = index.find(hashBytes(last, 0, last.length), last, 0, last.length);
    expect(id).toBeGreaterThanOrEqual(0);
    expect(text(index.keyOf(id))).toBe(text(last));
  });

  it('refuses an empty key and an id that holds one', () => {
    const index = new ByteKeyIndex();
    const key = bytes('4i');
    expect(() => index.insert(0, 0, key, 0, 0)).toThrow(/empty key/);
    index.insert(0, hashBytes(key, 0, 2), key, 0, 2);
    expect(() => index.insert(0, hashBytes(key, 0, 2), key, 0, 2)).toThrow(/holds a key/);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prefixesFromStrings } from '../../src/bgp/codec/nlri.js';
import { PrefixTable } from '../../src/net/prefix-table.js';

describe('PrefixTable', () => {
  it('gives each distinct prefix one dense id, and finds it again', () => {
    const table = new PrefixTable(1, 4);
    const list = prefixesFromStrings(1, ['10.0.0.0/8', '10.0.0.0/16', '10.0.0.0/8', '0.0.0.0/0']);
    const ids = [0, 1, 2, 3].map((i) =>
      table.internKey(list.words, i * table.wordsPerKey, list.lengths[i] as number),
    );
    expect(ids).toEqual([0, 1, 0, 2]);
    expect(table.count).toBe(3);
    expect(table.toString(1)).toBe('10.0.0.0/16');
    const find = (text: string) => {
      const key = prefixesFromStrings(1, [text]);
      return table.findKey(key.words, 0, key.lengths[0] as number);
    };
    expect(find('10.0.0.0/16')).toBe(1);
    expect(find('10.0.0.0/24')).toBe(-1);
  });

  it('behaves like a Map through growth and removals (IPv4 and IPv6)', () => {
    for (const afi of [1, 2] as const) {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 })), { maxLength: 600 }),
          (operations) => {
            const table = new PrefixTable(afi, 2);
            const model = new Map<string, number>();
            const text = (n: number) =>
              afi === 1 ? `10.${n >> 8}.${n & 0xff}.0/24` : `fd00:${n.toString(16)}:1::/48`;
            for (const [add, n] of operations) {
              const list = prefixesFromStrings(afi, [text(n)]);
              if (add) {
                const id = table.internKey(list.words, 0, list.lengths[0] as number);
                if (model.has(text(n))) expect(id).toBe(model.get(text(n)));
                model.set(text(n), id);
              } else {
                const id = table.findKey(list.words, 0, list.lengths[0] as number);
                expect(id).toBe(model.get(text(n)) ?? -1);
                if (id >= 0) {
                  table.remove(id);
                  model.delete(text(n));
                }
              }
            }
            expect(table.count).toBe(model.size);
            for (const [prefix, id] of model) {
              const key = prefixesFromStrings(afi, [prefix]);
              expect(table.findKey(key.words, 0, key.lengths[0] as number)).toBe(id);
              expect(table.toString(id)).toBe(prefix);
            }
          },
        ),
        { numRuns: 100 },
      );
    }
  });
});

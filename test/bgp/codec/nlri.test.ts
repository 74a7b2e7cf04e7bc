import { describe, expect, it } from 'vitest';
import {
  BufferWriter,
  concatPrefixes,
  decodePrefixes,
  encodePrefixes,
  type Prefixes,
  parsePrefix,
  prefixesFromStrings,
  prefixesToStrings,
  slicePrefixes,
} from '../../../src/bgp/codec/index.js';
import { hex } from './build.js';

function decode(bytes: number[], afi: 1 | 2, addPath = false): Prefixes | string {
  return decodePrefixes(Uint8Array.from(bytes), 0, bytes.length, afi, addPath);
}

describe('NLRI (RFC 4271 §4.3, RFC 4760, RFC 7911)', () => {
  it('decodes IPv4 prefixes of every octet count', () => {
    const list = decode(
      [0, 8, 10, 16, 172, 18, 24, 10, 233, 1, 32, 10, 233, 1, 10, 25, 10, 0, 0, 128],
      1,
    ) as Prefixes;
    expect(prefixesToStrings(list)).toEqual([
      '0.0.0.0/0',
      '10.0.0.0/8',
      '172.18.0.0/16',
      '10.233.1.0/24',
      '10.233.1.10/32',
      '10.0.0.128/25',
    ]);
  });

  it('decodes IPv6 prefixes', () => {
    const list = decode(
      [64, 0xfd, 0, 0x02, 0x33, 0, 1, 0, 0, 0, 128, ...new Array(15).fill(0), 1, 3, 0x20],
      2,
    ) as Prefixes;
    expect(prefixesToStrings(list)).toEqual(['fd00:233:1::/64', '::/0', '::1/128', '2000::/3']);
  });

  it('clears host bits beyond the length so equal prefixes have equal keys', () => {
    const list = decode([20, 10, 0xff, 0xff], 1) as Prefixes;
    expect(prefixesToStrings(list)).toEqual(['10.255.240.0/20']);
    const v6 = decode([9, 0xff, 0xff], 2) as Prefixes;
    expect(prefixesToStrings(v6)).toEqual(['ff80::/9']);
  });

  it('reads ADD-PATH path identifiers (RFC 7911 §3)', () => {
    const list = decode(
      [0, 0, 0, 1, 24, 10, 233, 1, 0xff, 0xff, 0xff, 0xff, 24, 10, 233, 1],
      1,
      true,
    ) as Prefixes;
    expect(prefixesToStrings(list)).toEqual(['10.233.1.0/24', '10.233.1.0/24']);
    expect([...(list.pathIds ?? [])]).toEqual([1, 0xffffffff]);
  });

  it('rejects a length beyond the family maximum and a prefix that overruns the field', () => {
    expect(decode([33, 10, 0, 0, 0, 0], 1)).toMatch(/length 33 > 32/);
    expect(decode([129, ...new Array(17).fill(0)], 2)).toMatch(/length 129 > 128/);
    expect(decode([24, 10, 233], 1)).toMatch(/past the end/);
    expect(decode([0, 0, 1], 1, true)).toMatch(/truncated/);
  });

  it('encodes back byte for byte, with and without path identifiers', () => {
    const bytes = [0, 0, 0, 7, 22, 10, 233, 4, 0, 0, 0, 9, 0];
    const list = decode(bytes, 1, true) as Prefixes;
    const writer = new BufferWriter(4);
    encodePrefixes(writer, list);
    expect(hex(writer.toBytes())).toBe(hex(Uint8Array.from(bytes)));
    const plain = new BufferWriter(4);
    encodePrefixes(plain, list, 0, list.count, false);
    expect(hex(plain.toBytes())).toBe('160ae90400');
  });

  it('parses prefix text and notes host bits', () => {
    expect(parsePrefix('10.233.1.0/24')).toEqual({
      afi: 1,
      length: 24,
      words: [0x0ae90100],
      hadHostBits: false,
    });
    expect(parsePrefix('10.233.1.10/24')?.hadHostBits).toBe(true);
    expect(parsePrefix('fd00::/8')).toEqual({
      afi: 2,
      length: 8,
      words: [0xfd000000, 0, 0, 0],
      hadHostBits: false,
    });
    for (const bad of [
      '10.0.0.0',
      '10.0.0.0/33',
      '10.0.0/8',
      'fd00::/129',
      'x/1',
      '10.0.0.0/-1',
      '10.0.0.0/ 8',
    ]) {
      expect(parsePrefix(bad)).toBeNull();
    }
  });

  it('slices and concatenates lists', () => {
    const list = prefixesFromStrings(2, ['fd00::/8', '2001:db8::/32', '::/0'], [1, 2, 3]);
    expect(prefixesToStrings(slicePrefixes(list, 1, 3))).toEqual(['2001:db8::/32', '::/0']);
    const joined = concatPrefixes(2, [slicePrefixes(list, 2, 3), slicePrefixes(list, 0, 1)]);
    expect(prefixesToStrings(joined)).toEqual(['::/0', 'fd00::/8']);
    expect([...(joined.pathIds ?? [])]).toEqual([3, 1]);
  });
});

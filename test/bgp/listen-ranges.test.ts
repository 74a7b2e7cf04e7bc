import { describe, expect, it } from 'vitest';
import { matchListenRange, rangeContains } from '../../src/bgp/listen-ranges.js';

describe('rangeContains', () => {
  it.each([
    ['172.18.8.0/24', '172.18.8.103', true],
    ['172.18.8.0/24', '172.18.9.1', false],
    ['0.0.0.0/0', '203.0.113.7', true],
    ['10.0.0.0/8', 'fd00::1', false],
    ['fd00:18:8::/64', 'fd00:18:8::c', true],
    ['fd00:18:8::/64', 'fd00:18:9::c', false],
    ['fd00::/8', '10.0.0.1', false],
    ['172.18.8.5/32', '172.18.8.5', true],
  ])('%s contains %s: %s', (prefix, address, expected) => {
    expect(rangeContains(prefix, address)).toBe(expected);
  });
});

describe('matchListenRange', () => {
  const wide = { prefix: '172.18.0.0/16', limit: 10, name: 'wide' };
  const narrow = { prefix: '172.18.8.0/24', limit: 2, name: 'narrow' };
  const v6 = { prefix: 'fd00:18::/48', limit: 1, name: 'v6' };
  const ranges = [wide, narrow, v6];

  it('the most specific range containing the address takes it, whatever the order', () => {
    expect(matchListenRange(ranges, '172.18.8.9', () => 0)).toEqual({ kind: 'accept', range: narrow });
    expect(matchListenRange([narrow, wide], '172.18.8.9', () => 0)).toEqual({
      kind: 'accept',
      range: narrow,
    });
    expect(matchListenRange(ranges, '172.18.9.9', () => 0)).toEqual({ kind: 'accept', range: wide });
    expect(matchListenRange(ranges, 'fd00:18::5', () => 0)).toEqual({ kind: 'accept', range: v6 });
  });

  it('an address in no range is none', () => {
    expect(matchListenRange(ranges, '10.0.0.1', () => 0)).toEqual({ kind: 'none' });
    expect(matchListenRange([], '172.18.8.9', () => 0)).toEqual({ kind: 'none' });
  });

  it('a range at its limit refuses; one below it accepts; the wider range does not take the overflow', () => {
    const members = new Map([
      [narrow.prefix, 2],
      [wide.prefix, 0],
    ]);
    const count = (range: { prefix: string }) => members.get(range.prefix) ?? 0;
    expect(matchListenRange(ranges, '172.18.8.9', count)).toEqual({ kind: 'full', range: narrow });
    members.set(narrow.prefix, 1);
    expect(matchListenRange(ranges, '172.18.8.9', count)).toEqual({ kind: 'accept', range: narrow });
  });
});

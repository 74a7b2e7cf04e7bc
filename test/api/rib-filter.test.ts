// rib show's filters on the destinations the API answers with: prefixes
// inside a prefix (gobgp longer-prefixes), paths carrying a community, paths
// whose AS_PATH contains an AS; a destination left with no path goes.

import { describe, expect, it } from 'vitest';
import { filterDestinations } from '../../src/api/rib-filter.js';
import type { DestinationJson, PathJson } from '../../src/api/types.js';

function path(asns: number[], communities: string[]): PathJson {
  return {
    best: true,
    installed: true,
    neighbor: '172.18.8.102',
    nextHop: '172.18.8.102',
    asPath: asns.join(' '),
    asPathSegments: asns.length === 0 ? [] : [{ type: 2, asns }],
    origin: 'igp',
    communities,
    largeCommunities: [],
    extendedCommunities: [],
    ageSeconds: 1,
    stale: false,
    accepted: true,
    eligible: true,
  };
}

const destinations: DestinationJson[] = [
  { prefix: '10.233.0.0/16', paths: [path([64513], [])] },
  { prefix: '10.233.1.0/24', paths: [path([64513, 64514], ['64512:100']), path([64515], ['blackhole'])] },
  { prefix: '10.234.0.0/24', paths: [path([], ['64512:100'])] },
];

const prefixes = (list: readonly DestinationJson[]) => list.map((d) => `${d.prefix}:${d.paths.length}`);

describe('filterDestinations', () => {
  it('no filter: all, as they are (an Adj-RIB-Out entry may have no path to show)', () => {
    const empty: DestinationJson = { prefix: '10.9.0.0/24', paths: [] };
    expect(filterDestinations([...destinations, empty], {})).toEqual([...destinations, empty]);
  });

  it('longer prefixes: the prefix itself and those inside it', () => {
    expect(prefixes(filterDestinations(destinations, { longerPrefixesOf: '10.233.0.0/16' }))).toEqual([
      '10.233.0.0/16:1',
      '10.233.1.0/24:2',
    ]);
    expect(prefixes(filterDestinations(destinations, { longerPrefixesOf: '10.233.1.0/24' }))).toEqual([
      '10.233.1.0/24:2',
    ]);
  });

  it('community: the paths carrying it, by value (BLACKHOLE is 65535:666)', () => {
    expect(prefixes(filterDestinations(destinations, { community: '64512:100' }))).toEqual([
      '10.233.1.0/24:1',
      '10.234.0.0/24:1',
    ]);
    expect(prefixes(filterDestinations(destinations, { community: '65535:666' }))).toEqual([
      '10.233.1.0/24:1',
    ]);
  });

  it('AS_PATH contains an AS; filters combine', () => {
    expect(prefixes(filterDestinations(destinations, { asPathContains: 64514 }))).toEqual([
      '10.233.1.0/24:1',
    ]);
    expect(
      prefixes(
        filterDestinations(destinations, { asPathContains: 64513, longerPrefixesOf: '10.233.1.0/24' }),
      ),
    ).toEqual(['10.233.1.0/24:1']);
  });
});

// Local routes (originate: and rib add) and one validated UPDATE into the
// RIB, against a real RIB.
import { describe, expect, it } from 'vitest';
import { emptyPrefixes, prefixesFromStrings, type UpdateMessage } from '../../src/bgp/codec/index.js';
import type { AddressFamily } from '../../src/bgp/family.js';
import { applyUpdate } from '../../src/rib/inbound.js';
import { type LocalRoute, LocalRoutes } from '../../src/rib/origination.js';
import { ACCEPT_ALL } from '../../src/rib/policy.js';
import { Rib } from '../../src/rib/rib.js';

function newRib(): Rib {
  return new Rib({
    localAsn: 64512,
    routerId: '192.0.2.1',
    clusterId: '192.0.2.1',
    maxPaths: 1,
    alwaysCompareMed: false,
    preferOldestExternal: false,
  });
}

/** The best routes of a family as "prefix med" (med "-" when absent). */
function best(rib: Rib, family: AddressFamily): string[] {
  const f = rib.family(family);
  const out: string[] = [];
  for (let p = 0; p < f.prefixes.capacity; p++) {
    const route = rib.bestRoute(family, p);
    if (route < 0) continue;
    out.push(`${f.prefixes.toString(p)} ${rib.routeAttr(family, route).attributes.med ?? '-'}`);
  }
  return out.sort();
}

const route = (prefix: string, origin: LocalRoute['origin'], med: number | null = null): LocalRoute => ({
  prefix,
  nextHop: null,
  communities: [],
  largeCommunities: [],
  med,
  localPref: null,
  origin,
});

describe('LocalRoutes', () => {
  it('a runtime route wins over a configured one; removing it brings the configured one back', () => {
    const rib = newRib();
    const local = new LocalRoutes(rib);
    local.syncConfigured([route('10.233.1.0/24', 'config', 1)]);
    expect(best(rib, 'ipv4-unicast')).toEqual(['10.233.1.0/24 1']);
    expect(local.originate(route('10.233.1.0/24', 'runtime', 2))).toBe(true);
    expect(best(rib, 'ipv4-unicast')).toEqual(['10.233.1.0/24 2']);
    // A reload that keeps the configured route does not displace the runtime one.
    local.syncConfigured([route('10.233.1.0/24', 'config', 3)]);
    expect(best(rib, 'ipv4-unicast')).toEqual(['10.233.1.0/24 2']);
    expect(local.withdrawOriginated('10.233.1.0/24', 'runtime')).toBe(true);
    expect(best(rib, 'ipv4-unicast')).toEqual(['10.233.1.0/24 3']);
    expect(local.withdrawOriginated('10.233.1.0/24', 'runtime')).toBe(false);
  });

  it('keys prefixes canonically (host bits, IPv6 text) and withdraws what leaves the config', () => {
    const rib = newRib();
    const local = new LocalRoutes(rib);
    local.syncConfigured([route('fd00:233:1:0::/64', 'config'), route('10.233.1.0/24', 'config')]);
    expect(local.list().map((r) => r.prefix)).toEqual(['fd00:233:1::/64', '10.233.1.0/24']);
    expect(best(rib, 'ipv6-unicast')).toEqual(['fd00:233:1::/64 -']);
    local.syncConfigured([route('10.233.1.0/24', 'config')]);
    expect(best(rib, 'ipv6-unicast')).toEqual([]);
    expect(local.originate(route('not a prefix', 'runtime'))).toBe(false);
  });
});

describe('applyUpdate', () => {
  const update = (announced: string[], withdrawn: string[]): UpdateMessage => ({
    type: 'update',
    withdrawn: withdrawn.length > 0 ? prefixesFromStrings(1, withdrawn) : emptyPrefixes(1),
    attributes: { origin: 0, asPath: [], nextHop: '192.0.2.2', localPref: 100 },
    nlri: announced.length > 0 ? prefixesFromStrings(1, announced) : emptyPrefixes(1),
  });

  it('withdraws, then announces; returns the accepted count of each family announced in', () => {
    const rib = newRib();
    const source = rib.addSource({
      address: '192.0.2.2',
      asn: 64512,
      routerId: 2,
      external: false,
      routeReflectorClient: false,
      importPolicy: ACCEPT_ALL,
    });
    const first = update(['10.1.0.0/24', '10.2.0.0/24'], []);
    expect(applyUpdate(rib, source.id, ['ipv4-unicast'], first, first.attributes, false)).toEqual([
      { family: 'ipv4-unicast', accepted: 2 },
    ]);
    const second = update(['10.3.0.0/24'], ['10.1.0.0/24']);
    applyUpdate(rib, source.id, ['ipv4-unicast'], second, second.attributes, false);
    expect(best(rib, 'ipv4-unicast').map((r) => r.split(' ')[0])).toEqual(['10.2.0.0/24', '10.3.0.0/24']);
  });

  it('treat-as-withdraw withdraws what the UPDATE announces; a family not negotiated is ignored', () => {
    const rib = newRib();
    const source = rib.addSource({
      address: '192.0.2.2',
      asn: 64512,
      routerId: 2,
      external: false,
      routeReflectorClient: false,
      importPolicy: ACCEPT_ALL,
    });
    const announce = update(['10.1.0.0/24'], []);
    applyUpdate(rib, source.id, ['ipv4-unicast'], announce, announce.attributes, false);
    expect(applyUpdate(rib, source.id, ['ipv4-unicast'], announce, announce.attributes, true)).toEqual([]);
    expect(best(rib, 'ipv4-unicast')).toEqual([]);
    expect(applyUpdate(rib, source.id, ['ipv6-unicast'], announce, announce.attributes, false)).toEqual([]);
    expect(best(rib, 'ipv4-unicast')).toEqual([]);
  });
});

// The address-family table: every lookup agrees with the descriptors, so a
// new family is one entry (BIRD's bgp_af_table).
import { describe, expect, it } from 'vitest';
import { maxPrefixLength, wordsPerPrefix } from '../../src/bgp/codec/nlri.js';
import {
  addressFamilies,
  familyAfiSafi,
  familyByName,
  familyDescriptors,
  familyOf,
  familyOfAfi,
  familyOfIpVersion,
  familyTable,
} from '../../src/bgp/family.js';

describe('family table', () => {
  it('indexes are dense and in order; names, AFI/SAFI, versions and short names round-trip', () => {
    expect(familyDescriptors.map((d) => d.index)).toEqual(familyDescriptors.map((_, i) => i));
    expect(addressFamilies).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    for (const d of familyDescriptors) {
      expect(familyTable[d.name]).toBe(d);
      expect(familyAfiSafi(d.name)).toEqual({ afi: d.afi, safi: d.safi });
      expect(familyOf(d.afi, d.safi)).toBe(d.name);
      expect(familyOfAfi(d.afi)).toBe(d.name);
      expect(familyOfIpVersion(d.ipVersion)).toBe(d.name);
      expect(familyByName(d.name)).toBe(d.name);
      expect(familyByName(d.shortName)).toBe(d.name);
      // The codec's own view of the AFI agrees.
      expect(wordsPerPrefix(d.afi)).toBe(d.wordsPerKey);
      expect(maxPrefixLength(d.afi)).toBe(d.addressBits);
    }
  });

  it('only IPv4 unicast uses the NEXT_HOP attribute (RFC 4271 vs RFC 4760)', () => {
    expect(familyDescriptors.filter((d) => d.nextHopAttribute).map((d) => d.name)).toEqual(['ipv4-unicast']);
  });

  it('families the agent does not carry are null', () => {
    expect(familyOf(1, 2)).toBeNull();
    expect(familyOf(25, 70)).toBeNull();
    expect(familyByName('l2vpn-evpn')).toBeNull();
  });
});

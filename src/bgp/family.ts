// The address families the agent exchanges (RFC 4760 AFI/SAFI pairs), one
// descriptor each (BIRD's bgp_af_table): code that needs to tell IPv4 from
// IPv6 reads the descriptor instead of comparing names, so a new family is
// one entry here.

import { Afi, Safi } from './codec/iana.js';

export type AddressFamily = 'ipv4-unicast' | 'ipv6-unicast';

export interface FamilyDescriptor {
  readonly name: AddressFamily;
  readonly afi: 1 | 2;
  readonly safi: 1;
  /** Position in per-family arrays (counters, tables). */
  readonly index: 0 | 1;
  readonly ipVersion: 4 | 6;
  /** Bits in an address; the longest prefix length. */
  readonly addressBits: 32 | 128;
  /** 32-bit words per prefix key (src/net/prefix-table.ts). */
  readonly wordsPerKey: 1 | 4;
  /** The CLI's short name (`--family ipv4`). */
  readonly shortName: 'ipv4' | 'ipv6';
  /**
   * The next hop travels in the NEXT_HOP attribute and prefixes in the
   * UPDATE's own fields (RFC 4271 §4.3): IPv4 unicast only; every other
   * family uses MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760).
   */
  readonly nextHopAttribute: boolean;
}

export const familyTable: Readonly<Record<AddressFamily, FamilyDescriptor>> = Object.freeze({
  'ipv4-unicast': Object.freeze({
    name: 'ipv4-unicast',
    afi: Afi.ipv4,
    safi: Safi.unicast,
    index: 0,
    ipVersion: 4,
    addressBits: 32,
    wordsPerKey: 1,
    shortName: 'ipv4',
    nextHopAttribute: true,
  }),
  'ipv6-unicast': Object.freeze({
    name: 'ipv6-unicast',
    afi: Afi.ipv6,
    safi: Safi.unicast,
    index: 1,
    ipVersion: 6,
    addressBits: 128,
    wordsPerKey: 4,
    shortName: 'ipv6',
    nextHopAttribute: false,
  }),
});

/** Every family, in index order. */
export const familyDescriptors: readonly FamilyDescriptor[] = Object.freeze(
  Object.values(familyTable).sort((a, b) => a.index - b.index),
);

export const addressFamilies: readonly AddressFamily[] = Object.freeze(
  familyDescriptors.map((descriptor) => descriptor.name),
);

export function familyAfiSafi(family: AddressFamily): { afi: 1 | 2; safi: 1 } {
  const descriptor = familyTable[family];
  return { afi: descriptor.afi, safi: descriptor.safi };
}

/** The family of an AFI/SAFI pair, or null for families the agent does not carry. */
export function familyOf(afi: number, safi: number): AddressFamily | null {
  for (const descriptor of familyDescriptors)
    if (descriptor.afi === afi && descriptor.safi === safi) return descriptor.name;
  return null;
}

/** The unicast family of a prefix's AFI (the codec's Prefixes carry only unicast AFIs). */
export function familyOfAfi(afi: 1 | 2): AddressFamily {
  return (familyOf(afi, Safi.unicast) ?? 'ipv4-unicast') as AddressFamily;
}

/** The family of an IP version (4 or 6). */
export function familyOfIpVersion(version: 4 | 6): AddressFamily {
  for (const descriptor of familyDescriptors) if (descriptor.ipVersion === version) return descriptor.name;
  return 'ipv4-unicast';
}

/** A family by its long or short name ("ipv4-unicast", "ipv4"), or null. */
export function familyByName(name: string): AddressFamily | null {
  for (const descriptor of familyDescriptors)
    if (descriptor.name === name || descriptor.shortName === name) return descriptor.name;
  return null;
}

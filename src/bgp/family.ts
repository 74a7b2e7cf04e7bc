// The address families the agent exchanges (RFC 4760 AFI/SAFI pairs).

import { Afi, Safi } from './codec/iana.js';

export type AddressFamily = 'ipv4-unicast' | 'ipv6-unicast';

export const addressFamilies: readonly AddressFamily[] = ['ipv4-unicast', 'ipv6-unicast'];

export function familyAfiSafi(family: AddressFamily): { afi: 1 | 2; safi: 1 } {
  return family === 'ipv4-unicast'
    ? { afi: Afi.ipv4, safi: Safi.unicast }
    : { afi: Afi.ipv6, safi: Safi.unicast };
}

/** The family of an AFI/SAFI pair, or null for families the agent does not carry. */
export function familyOf(afi: number, safi: number): AddressFamily | null {
  if (safi !== Safi.unicast) return null;
  if (afi === Afi.ipv4) return 'ipv4-unicast';
  if (afi === Afi.ipv6) return 'ipv6-unicast';
  return null;
}

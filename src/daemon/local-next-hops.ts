// Which addresses stand for "self" as a next hop on a session: the local
// address of the TCP connection, and the other family's addresses of the
// interface that carries it (RFC 2545 §3: a global IPv6 next hop, and the
// link-local one beside it on a shared link). Reads the host's interfaces.

import { networkInterfaces } from 'node:os';
import { canonicalIp, ipFamilyOf, isIpv6LinkLocal, parseIpv6 } from '../net/ip.js';
import type { LocalNextHops } from '../rib/export.js';

/** The addresses to use as "self" next hop on a session with this local address. */
export function localNextHopsFor(localAddress: string | null): LocalNextHops {
  if (localAddress === null) return { ipv4: null, ipv6: null, ipv6LinkLocal: null };
  const address = canonicalIp(localAddress.replace(/^::ffff:(?=\d+\.)/, '')) ?? localAddress;
  let ipv4 = ipFamilyOf(address) === 4 ? address : null;
  let ipv6 = ipFamilyOf(address) === 6 ? address : null;
  let ipv6LinkLocal: string | null = null;
  for (const addresses of Object.values(networkInterfaces())) {
    if (addresses === undefined || !addresses.some((a) => canonicalIp(a.address) === address)) continue;
    for (const a of addresses) {
      if (a.family === 'IPv4' && ipv4 === null) ipv4 = a.address;
      if (a.family === 'IPv6') {
        const bytes = parseIpv6(a.address.split('%')[0] ?? '');
        if (bytes === null) continue;
        if (isIpv6LinkLocal(bytes)) ipv6LinkLocal ??= canonicalIp(a.address.split('%')[0] ?? '');
        else ipv6 ??= canonicalIp(a.address);
      }
    }
  }
  if (ipv6 !== null && ipv6LinkLocal === ipv6) ipv6LinkLocal = null;
  return { ipv4, ipv6, ipv6LinkLocal };
}

/**
 * Canonical forms already worked out, by the socket's text: every UPDATE
 * asks (its NEXT_HOP is checked against the address), and a regular
 * expression and a parse per UPDATE were 3 % of a full-table load. The
 * addresses are the sessions' own, a few; the map is dropped if it ever
 * grows large.
 */
const ownAddresses = new Map<string, string | null>();
const OWN_ADDRESSES_KEPT = 1024;

/** The session's local address as the RIB compares it: canonical, IPv4-mapped IPv6 unwrapped. */
export function ownAddress(localAddress: string | null): string | null {
  if (localAddress === null) return null;
  const known = ownAddresses.get(localAddress);
  if (known !== undefined) return known;
  const own = canonicalIp(localAddress.replace(/^::ffff:(?=\d+\.)/, ''));
  if (ownAddresses.size >= OWN_ADDRESSES_KEPT) ownAddresses.clear();
  ownAddresses.set(localAddress, own);
  return own;
}

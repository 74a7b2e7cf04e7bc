// Route prefixes as flow matches see them: prefix text to address bytes
// (parsed in place, no allocation for IPv4: this runs once per flow mod),
// the priority that makes the longest prefix win, and the way back from a
// dumped match (OXM bytes) to the prefix text. Pure.
import type { IpVersion } from '../fib/types.js';
import { formatIpv6, parseIpv6 } from '../net/ip.js';
import { ETH_TYPE_IPV4, ETH_TYPE_IPV6, OxmBasicField, OxmClass } from './openflow/constants.js';
import { type Match, prefixMask } from './openflow/oxm.js';

/**
 * Route flows sit at PRIORITY_BASE + prefix length: 1024-1056 for IPv4,
 * 1024-1152 for IPv6 (the two never overlap: eth_type differs). A longer
 * prefix has a higher priority, so the classifier picks the longest match
 * (OpenFlow 1.3 §5.3: the highest-priority matching entry wins).
 */
export const PRIORITY_BASE = 1024;

export function priorityFor(prefixLength: number): number {
  return PRIORITY_BASE + prefixLength;
}

/** IPv6 prefixes are the ones with a colon. */
export function prefixVersion(prefix: string): IpVersion {
  return prefix.includes(':') ? 6 : 4;
}

/**
 * Parses "10.233.2.0/24" (or an IPv6 prefix) into `out` (at least 16 bytes:
 * 4 used for IPv4) and returns the prefix length; -1 for bad text or host
 * bits set beyond the length.
 */
export function parsePrefixInto(prefix: string, out: Uint8Array): number {
  const slash = prefix.indexOf('/');
  if (slash < 0) return -1;
  let length = 0;
  if (slash + 1 === prefix.length || prefix.length - slash > 4) return -1;
  for (let i = slash + 1; i < prefix.length; i++) {
    const digit = prefix.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    length = length * 10 + digit;
  }
  let byteLength: number;
  if (prefix.includes(':')) {
    const bytes = parseIpv6(prefix.slice(0, slash));
    if (bytes === null || length > 128) return -1;
    out.set(bytes);
    byteLength = 16;
  } else {
    if (length > 32 || !parseIpv4Into(prefix, slash, out)) return -1;
    byteLength = 4;
  }
  // Host bits must be clear: the flow's identity is the network, not an address in it.
  for (let i = 0; i < byteLength; i++) {
    const bits = length - i * 8;
    const keep = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    if (((out[i] as number) & ~keep & 0xff) !== 0) return -1;
  }
  return length;
}

function parseIpv4Into(text: string, end: number, out: Uint8Array): boolean {
  let octet = 0;
  let digits = 0;
  let index = 0;
  for (let i = 0; i <= end; i++) {
    const code = i === end ? 46 /* . */ : text.charCodeAt(i);
    if (code === 46) {
      if (digits === 0 || index > 3) return false;
      out[index++] = octet;
      octet = 0;
      digits = 0;
    } else {
      const digit = code - 48;
      if (digit < 0 || digit > 9 || digits === 3) return false;
      octet = octet * 10 + digit;
      if (octet > 255) return false;
      digits++;
    }
  }
  return index === 4;
}

/**
 * The match of a route flow as OXM values (for the general encoder and for
 * tests; the hot path writes the same bytes in place, openflow/route-flow.ts).
 */
export function matchOfPrefix(prefix: string): Match {
  const version = prefixVersion(prefix);
  const address = new Uint8Array(16);
  const length = parsePrefixInto(prefix, address);
  if (length < 0) throw new RangeError(`not a prefix: ${prefix}`);
  const ethType = { kind: 'ethType', value: version === 4 ? ETH_TYPE_IPV4 : ETH_TYPE_IPV6 } as const;
  if (length === 0) return { fields: [ethType] };
  const bytes = version === 4 ? 4 : 16;
  return {
    fields: [
      ethType,
      {
        kind: version === 4 ? 'ipv4Dst' : 'ipv6Dst',
        value: address.slice(0, bytes),
        mask: length === bytes * 8 ? null : prefixMask(length, bytes),
      },
    ],
  };
}

/** "ip,nw_dst=10.233.2.0/24" as ovs-ofctl prints the match of a route flow. */
export function prefixMatchText(prefix: string): string {
  const version = prefixVersion(prefix);
  const slash = prefix.indexOf('/');
  const length = prefix.slice(slash + 1);
  const head = version === 4 ? 'ip' : 'ipv6';
  if (length === '0') return head;
  const field = version === 4 ? 'nw_dst' : 'ipv6_dst';
  return `${head},${field}=${length === (version === 4 ? '32' : '128') ? prefix.slice(0, slash) : prefix}`;
}

function maskLength(bytes: Uint8Array, at: number, count: number): number {
  let length = 0;
  let ended = false;
  for (let i = 0; i < count; i++) {
    const byte = bytes[at + i] as number;
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one === 1 && ended) return -1;
      if (one === 1) length++;
      else ended = true;
    }
  }
  return length;
}

/**
 * The prefix a dumped match stands for, read straight from its OXM TLV bytes
 * (the body of an ofp_match, no header, no padding): exactly eth_type
 * 0x0800/0x86dd and at most one ipv4_dst/ipv6_dst of the same family with a
 * contiguous mask and no host bits. Anything else is not a route flow's
 * shape: null.
 */
export function prefixOfRawMatch(tlvs: Uint8Array): string | null {
  let version: IpVersion | null = null;
  let dstAt = -1;
  let dstBytes = 0;
  let dstMasked = false;
  let dstField = -1;
  let offset = 0;
  while (offset + 4 <= tlvs.length) {
    const oxmClass = ((tlvs[offset] as number) << 8) | (tlvs[offset + 1] as number);
    const fieldAndMask = tlvs[offset + 2] as number;
    const length = tlvs[offset + 3] as number;
    const field = fieldAndMask >>> 1;
    const masked = (fieldAndMask & 1) === 1;
    if (offset + 4 + length > tlvs.length || oxmClass !== OxmClass.OPENFLOW_BASIC) return null;
    if (field === OxmBasicField.ETH_TYPE && !masked && length === 2 && version === null) {
      const ethType = ((tlvs[offset + 4] as number) << 8) | (tlvs[offset + 5] as number);
      if (ethType === ETH_TYPE_IPV4) version = 4;
      else if (ethType === ETH_TYPE_IPV6) version = 6;
      else return null;
    } else if ((field === OxmBasicField.IPV4_DST || field === OxmBasicField.IPV6_DST) && dstAt < 0) {
      dstAt = offset + 4;
      dstBytes = masked ? length / 2 : length;
      dstMasked = masked;
      dstField = field;
    } else {
      return null;
    }
    offset += 4 + length;
  }
  if (offset !== tlvs.length || version === null) return null;
  if (dstAt < 0) return version === 4 ? '0.0.0.0/0' : '::/0';
  if ((dstField === OxmBasicField.IPV4_DST) !== (version === 4) || dstBytes !== (version === 4 ? 4 : 16))
    return null;
  const length = dstMasked ? maskLength(tlvs, dstAt + dstBytes, dstBytes) : dstBytes * 8;
  if (length < 0) return null;
  for (let i = 0; i < dstBytes; i++) {
    const bits = length - i * 8;
    const keep = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    if (((tlvs[dstAt + i] as number) & ~keep & 0xff) !== 0) return null;
  }
  const address =
    version === 4
      ? `${tlvs[dstAt]}.${tlvs[dstAt + 1]}.${tlvs[dstAt + 2]}.${tlvs[dstAt + 3]}`
      : formatIpv6(tlvs, dstAt);
  return `${address}/${length}`;
}

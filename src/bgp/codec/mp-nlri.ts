// MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 §3, §4).
//
//   MP_REACH_NLRI                              MP_UNREACH_NLRI
//   +-----------------------------------+      +-----------------------------+
//   | AFI (2) | SAFI (1)                |      | AFI (2) | SAFI (1)          |
//   | Length of Next Hop (1)            |      | Withdrawn Routes (variable) |
//   | Next Hop (variable)               |      +-----------------------------+
//   | Reserved (1)                      |
//   | NLRI (variable)                   |
//   +-----------------------------------+
//
// IPv6 next hops are 16 octets, or 32 with a link-local address second
// (RFC 2545 §3); IPv4 NLRI may have a 16/32-octet IPv6 next hop (RFC 8950).
// Every malformation resets the session with 3/9 and the attribute as data
// (RFC 7606 §5.3, §7.11; RFC 4760 §7): without the NLRI nothing can be withdrawn.

import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../../net/ip.js';
import { AttributeFault } from './attribute-fault.js';
import type { MpReachNlri, MpUnreachNlri } from './attribute-types.js';
import type { CodecContext } from './context.js';
import { Afi, Safi, UpdateSubcode } from './iana.js';
import { decodePrefixes, encodePrefixes, type PrefixAfi } from './nlri.js';
import type { BufferWriter } from './writer.js';

/** The families whose NLRI we decode: IPv4 and IPv6 unicast. */
export function decodedFamily(afi: number, safi: number): PrefixAfi | null {
  if (safi !== Safi.unicast) return null;
  return afi === Afi.ipv4 || afi === Afi.ipv6 ? afi : null;
}

function addPathFor(afi: PrefixAfi, context: CodecContext): boolean {
  return afi === Afi.ipv4 ? context.addPathIpv4 : context.addPathIpv6;
}

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
}

function invalid(reason: string): AttributeFault {
  return new AttributeFault(reason, UpdateSubcode.optionalAttributeError);
}

export function decodeMpReach(
  bytes: Uint8Array,
  start: number,
  end: number,
  context: CodecContext,
): MpReachNlri | AttributeFault {
  if (end - start < 5) return invalid(`MP_REACH_NLRI length ${end - start} < 5`);
  const afi = u16(bytes, start);
  const safi = bytes[start + 2] as number;
  const nextHopLength = bytes[start + 3] as number;
  const nlriAt = start + 4 + nextHopLength + 1; // + Reserved
  if (nlriAt > end) {
    return invalid(`MP_REACH_NLRI next hop length ${nextHopLength} runs past the attribute`);
  }
  const family = decodedFamily(afi, safi);
  if (family === null) {
    return { afi, safi, nextHops: [], prefixes: null, opaque: bytes.slice(start, end) };
  }
  const hopAt = start + 4;
  let nextHops: string[];
  if (nextHopLength === 4 && family === Afi.ipv4) {
    nextHops = [
      formatIpv4(
        (((bytes[hopAt] as number) << 24) |
          ((bytes[hopAt + 1] as number) << 16) |
          ((bytes[hopAt + 2] as number) << 8) |
          (bytes[hopAt + 3] as number)) >>>
          0,
      ),
    ];
  } else if (nextHopLength === 16) {
    nextHops = [formatIpv6(bytes, hopAt)];
  } else if (nextHopLength === 32) {
    nextHops = [formatIpv6(bytes, hopAt), formatIpv6(bytes, hopAt + 16)];
  } else {
    // RFC 7606 §7.11: a next hop length inconsistent with the AFI/SAFI.
    return invalid(`MP_REACH_NLRI next hop length ${nextHopLength} is invalid for AFI ${afi} SAFI ${safi}`);
  }
  const prefixes = decodePrefixes(bytes, nlriAt, end, family, addPathFor(family, context));
  if (typeof prefixes === 'string') {
    return invalid(`MP_REACH_NLRI: ${prefixes}`);
  }
  return { afi, safi, nextHops, prefixes, opaque: null };
}

export function decodeMpUnreach(
  bytes: Uint8Array,
  start: number,
  end: number,
  context: CodecContext,
): MpUnreachNlri | AttributeFault {
  if (end - start < 3) return invalid(`MP_UNREACH_NLRI length ${end - start} < 3`);
  const afi = u16(bytes, start);
  const safi = bytes[start + 2] as number;
  const family = decodedFamily(afi, safi);
  if (family === null) return { afi, safi, prefixes: null, opaque: bytes.slice(start, end) };
  const prefixes = decodePrefixes(bytes, start + 3, end, family, addPathFor(family, context));
  if (typeof prefixes === 'string') {
    return invalid(`MP_UNREACH_NLRI: ${prefixes}`);
  }
  return { afi, safi, prefixes, opaque: null };
}

function writeNextHop(writer: BufferWriter, text: string): void {
  const v4 = parseIpv4(text);
  if (v4 !== null) {
    writer.u32(v4);
    return;
  }
  const v6 = parseIpv6(text);
  if (v6 === null) throw new Error(`next hop is not an IP address: ${text}`);
  writer.bytes(v6);
}

export function encodeMpReach(writer: BufferWriter, value: MpReachNlri, context: CodecContext): void {
  if (value.opaque !== null) {
    writer.bytes(value.opaque);
    return;
  }
  writer.u16(value.afi).u8(value.safi);
  const lengthAt = writer.length;
  writer.u8(0);
  for (const hop of value.nextHops) writeNextHop(writer, hop);
  writer.patchU8(lengthAt, writer.length - lengthAt - 1);
  writer.u8(0); // Reserved
  if (value.prefixes !== null) {
    const family = value.prefixes.afi;
    encodePrefixes(writer, value.prefixes, 0, value.prefixes.count, addPathFor(family, context));
  }
}

export function encodeMpUnreach(writer: BufferWriter, value: MpUnreachNlri, context: CodecContext): void {
  if (value.opaque !== null) {
    writer.bytes(value.opaque);
    return;
  }
  writer.u16(value.afi).u8(value.safi);
  if (value.prefixes !== null) {
    encodePrefixes(writer, value.prefixes, 0, value.prefixes.count, addPathFor(value.prefixes.afi, context));
  }
}

// Packs many prefixes that share one attribute set into as few UPDATEs as the
// negotiated maximum message size allows (4096, or 65535 with RFC 8654). The
// attributes are encoded once and copied into each message; the messages come
// back to back in one buffer, ready for one socket write.

import { parseIpv4, parseIpv6 } from '../../net/ip.js';
import type { PathAttributes } from './attribute-types.js';
import type { CodecContext } from './context.js';
import { Afi, AttributeFlag, AttributeType, HEADER_LENGTH, MessageType, Safi } from './iana.js';
import { beginMessage, endMessage } from './message.js';
import { encodePrefixes, type Prefixes } from './nlri.js';
import { encodePathAttributes } from './path-attributes.js';
import { BufferWriter } from './writer.js';

export interface PackedUpdates {
  /** The UPDATE messages, back to back. */
  readonly bytes: Uint8Array;
  readonly messageCount: number;
}

const UPDATE_FIXED = HEADER_LENGTH + 2 + 2; // header, withdrawn length, attribute length
const MP_ATTRIBUTE_HEADER = 4; // flags, type, 2-octet length

function addPathFor(afi: number, context: CodecContext): boolean {
  return afi === Afi.ipv4 ? context.addPathIpv4 : context.addPathIpv6;
}

/**
 * Greedily splits prefixes into runs whose encoding fits `space` octets and
 * calls `emit(from, to)` for each run.
 */
function forEachRun(
  prefixes: Prefixes,
  withPathIds: boolean,
  space: number,
  emit: (from: number, to: number) => void,
): void {
  const idOctets = withPathIds ? 4 : 0;
  let from = 0;
  let used = 0;
  for (let i = 0; i < prefixes.count; i++) {
    const size = idOctets + 1 + (((prefixes.lengths[i] as number) + 7) >> 3);
    if (used + size > space) {
      emit(from, i);
      from = i;
      used = 0;
    }
    used += size;
  }
  if (from < prefixes.count) emit(from, prefixes.count);
}

// Scratch space reused by every call (the packer is synchronous and not
// re-entrant): a typed array per call costs more than the encoding itself
// when each attribute set has a handful of prefixes (Internet-like tables).
const attributeScratch = new BufferWriter(4096);
const messageScratch = new BufferWriter(1 << 16);

/** The attributes encoded once, without MP_REACH (a view into scratch space, valid until the next call). */
export function encodeAttributesOnce(attributes: PathAttributes, context: CodecContext): Uint8Array {
  const writer = attributeScratch;
  writer.truncate(0);
  const withoutMp =
    attributes.mpReach === undefined && attributes.mpUnreach === undefined
      ? attributes
      : { ...attributes, mpReach: undefined, mpUnreach: undefined };
  encodePathAttributes(writer, withoutMp, context, { skipMpReach: true });
  return writer.peek();
}

/** The scratch message writer, emptied. */
function messageWriter(): BufferWriter {
  messageScratch.truncate(0);
  return messageScratch;
}

function nextHopBytes(nextHops: readonly string[]): Uint8Array {
  const parts = nextHops.map((hop) => {
    const v4 = parseIpv4(hop);
    if (v4 !== null) return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff);
    const v6 = parseIpv6(hop);
    if (v6 === null) throw new Error(`next hop is not an IP address: ${hop}`);
    return v6;
  });
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/**
 * UPDATEs announcing `prefixes` with `attributes`. IPv4 unicast goes in the
 * NLRI field (NEXT_HOP from the attributes); IPv6 unicast goes in an
 * MP_REACH_NLRI written first (RFC 7606 §5.1) with `mpNextHops` (a global
 * address, optionally followed by a link-local one).
 */
export function packAnnouncements(
  prefixes: Prefixes,
  attributes: PathAttributes,
  context: CodecContext,
  mpNextHops: readonly string[] = [],
): PackedUpdates {
  return packEncodedAnnouncements(prefixes, encodeAttributesOnce(attributes, context), context, mpNextHops);
}

/**
 * packAnnouncements() with the attributes already encoded for `context`
 * (encodeAttributesOnce(): no MP_REACH_NLRI), e.g. from an encoding shared
 * by several peers.
 */
export function packEncodedAnnouncements(
  prefixes: Prefixes,
  attributeBytes: Uint8Array,
  context: CodecContext,
  mpNextHops: readonly string[] = [],
): PackedUpdates {
  const withPathIds = addPathFor(prefixes.afi, context);
  const writer = messageWriter();
  let messageCount = 0;
  if (prefixes.afi === Afi.ipv4) {
    const space = context.maxMessageLength - UPDATE_FIXED - attributeBytes.length;
    if (space < 9) throw new Error(`attributes of ${attributeBytes.length} octets leave no room for NLRI`);
    forEachRun(prefixes, withPathIds, space, (from, to) => {
      const start = beginMessage(writer, MessageType.update);
      writer.u16(0).u16(attributeBytes.length).bytes(attributeBytes);
      encodePrefixes(writer, prefixes, from, to, withPathIds);
      endMessage(writer, start, context.maxMessageLength);
      messageCount++;
    });
    return { bytes: writer.toBytes(), messageCount };
  }
  const hops = nextHopBytes(mpNextHops);
  const mpFixed = MP_ATTRIBUTE_HEADER + 3 + 1 + hops.length + 1; // AFI, SAFI, NH length, NH, reserved
  const space = context.maxMessageLength - UPDATE_FIXED - attributeBytes.length - mpFixed;
  if (space < 21) throw new Error(`attributes of ${attributeBytes.length} octets leave no room for NLRI`);
  forEachRun(prefixes, withPathIds, space, (from, to) => {
    const start = beginMessage(writer, MessageType.update);
    writer.u16(0);
    const attributesLengthAt = writer.length;
    writer.u16(0);
    writer.u8(AttributeFlag.optional | AttributeFlag.extendedLength).u8(AttributeType.mpReachNlri);
    const mpLengthAt = writer.length;
    writer.u16(0).u16(prefixes.afi).u8(Safi.unicast).u8(hops.length).bytes(hops).u8(0);
    encodePrefixes(writer, prefixes, from, to, withPathIds);
    writer.patchU16(mpLengthAt, writer.length - mpLengthAt - 2);
    writer.bytes(attributeBytes);
    writer.patchU16(attributesLengthAt, writer.length - attributesLengthAt - 2);
    endMessage(writer, start, context.maxMessageLength);
    messageCount++;
  });
  return { bytes: writer.toBytes(), messageCount };
}

/** UPDATEs withdrawing `prefixes`: the Withdrawn Routes field for IPv4, MP_UNREACH_NLRI for IPv6. */
export function packWithdrawals(prefixes: Prefixes, context: CodecContext): PackedUpdates {
  const withPathIds = addPathFor(prefixes.afi, context);
  const writer = messageWriter();
  let messageCount = 0;
  if (prefixes.afi === Afi.ipv4) {
    forEachRun(prefixes, withPathIds, context.maxMessageLength - UPDATE_FIXED, (from, to) => {
      const start = beginMessage(writer, MessageType.update);
      const withdrawnLengthAt = writer.length;
      writer.u16(0);
      encodePrefixes(writer, prefixes, from, to, withPathIds);
      writer.patchU16(withdrawnLengthAt, writer.length - withdrawnLengthAt - 2);
      writer.u16(0);
      endMessage(writer, start, context.maxMessageLength);
      messageCount++;
    });
    return { bytes: writer.toBytes(), messageCount };
  }
  const space = context.maxMessageLength - UPDATE_FIXED - MP_ATTRIBUTE_HEADER - 3;
  forEachRun(prefixes, withPathIds, space, (from, to) => {
    const start = beginMessage(writer, MessageType.update);
    writer.u16(0);
    const attributesLengthAt = writer.length;
    writer.u16(0);
    writer.u8(AttributeFlag.optional | AttributeFlag.extendedLength).u8(AttributeType.mpUnreachNlri);
    const mpLengthAt = writer.length;
    writer.u16(0).u16(prefixes.afi).u8(Safi.unicast);
    encodePrefixes(writer, prefixes, from, to, withPathIds);
    writer.patchU16(mpLengthAt, writer.length - mpLengthAt - 2);
    writer.patchU16(attributesLengthAt, writer.length - attributesLengthAt - 2);
    endMessage(writer, start, context.maxMessageLength);
    messageCount++;
  });
  return { bytes: writer.toBytes(), messageCount };
}

// Packs many prefixes that share one attribute set into as few UPDATEs as the
// negotiated maximum message size allows (4096, or 65535 with RFC 8654). The
// attributes are encoded once and copied into each message; the messages come
// back to back in one buffer, ready for one socket write.
//
// Encoding has a size budget (BIRD's encode(..., size)): an attribute set
// that cannot be carried to a peer, because one attribute outgrew its
// 2-octet length or the set leaves no room for a prefix in the peer's
// maximum message, is an error value, never a throw. A set that is legal on
// an extended-message session can be too large for a 4096-octet peer.

import { parseIpv4, parseIpv6 } from '../../net/ip.js';
import type { PathAttributes } from './attribute-types.js';
import { type CodecContext, sendsPathIds } from './context.js';
import {
  Afi,
  AttributeFlag,
  AttributeType,
  HEADER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MessageType,
  Safi,
} from './iana.js';
import { beginMessage, endMessage } from './message.js';
import { encodePrefixes, type Prefixes, prefixOctets } from './nlri.js';
import { encodePathAttributes } from './path-attributes.js';
import { BufferWriter } from './writer.js';

export interface PackedUpdates {
  /** The UPDATE messages, back to back. */
  readonly bytes: Uint8Array;
  readonly messageCount: number;
}

/** Why an announcement cannot be encoded for a peer. */
export type EncodeError =
  | {
      readonly kind: 'attribute-too-long';
      /** The attribute's type code and the length of its value. */
      readonly code: number;
      readonly octets: number;
      readonly reason: string;
    }
  | {
      readonly kind: 'message-too-long';
      readonly attributeOctets: number;
      /** The whole UPDATE one prefix would need. */
      readonly messageOctets: number;
      readonly maxMessageLength: number;
      readonly reason: string;
    }
  | { readonly kind: 'bad-next-hop'; readonly nextHop: string; readonly reason: string };

export type EncodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: EncodeError };

const UPDATE_FIXED = HEADER_LENGTH + 2 + 2; // header, withdrawn length, attribute length
const MP_ATTRIBUTE_HEADER = 4; // flags, type, 2-octet length

/**
 * Greedily splits prefixes into runs whose encoding fits `space` octets and
 * calls `emit(from, to)` for each run. Every prefix must fit `space` alone.
 */
function forEachRun(
  prefixes: Prefixes,
  withPathIds: boolean,
  space: number,
  emit: (from: number, to: number) => void,
): void {
  let from = 0;
  let used = 0;
  for (let i = 0; i < prefixes.count; i++) {
    const size = prefixOctets(prefixes.lengths[i] as number, withPathIds);
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

/**
 * The attributes encoded once, without MP_REACH (a view into scratch space,
 * valid until the next call), or why they cannot be encoded.
 */
export function encodeAttributesOnce(
  attributes: PathAttributes,
  context: CodecContext,
): EncodeResult<Uint8Array> {
  const writer = attributeScratch;
  writer.truncate(0);
  const withoutMp =
    attributes.mpReach === undefined && attributes.mpUnreach === undefined
      ? attributes
      : { ...attributes, mpReach: undefined, mpUnreach: undefined };
  const overflow = encodePathAttributes(writer, withoutMp, context, { skipMpReach: true });
  if (overflow !== null) {
    return {
      ok: false,
      error: {
        kind: 'attribute-too-long',
        code: overflow.code,
        octets: overflow.octets,
        reason: `attribute ${overflow.code} of ${overflow.octets} octets exceeds its 2-octet length field (RFC 4271 §4.3)`,
      },
    };
  }
  return { ok: true, value: writer.peek() };
}

/** The scratch message writer, emptied. */
function messageWriter(): BufferWriter {
  messageScratch.truncate(0);
  return messageScratch;
}

/** The MP_REACH_NLRI next-hop field: the addresses back to back (RFC 4760 §3, RFC 2545 §3). */
export function nextHopBytes(nextHops: readonly string[]): EncodeResult<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const hop of nextHops) {
    const v4 = parseIpv4(hop);
    if (v4 !== null) {
      parts.push(Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff));
      continue;
    }
    const v6 = parseIpv6(hop);
    if (v6 === null) {
      return {
        ok: false,
        error: { kind: 'bad-next-hop', nextHop: hop, reason: `next hop "${hop}" is not an IP address` },
      };
    }
    parts.push(v6);
  }
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return { ok: true, value: bytes };
}

/**
 * Octets left for NLRI in one UPDATE that announces prefixes of `afi` with
 * attributes of `attributeOctets` (and, for IPv6, an MP_REACH_NLRI whose
 * next hops take `nextHopOctets`) within the peer's maximum message length.
 * A prefix can be sent when its prefixOctets() are at most this.
 */
export function announcementSpace(
  afi: number,
  attributeOctets: number,
  nextHopOctets: number,
  context: CodecContext,
): number {
  const fixed = UPDATE_FIXED + attributeOctets;
  if (afi === Afi.ipv4) return context.maxMessageLength - fixed;
  // RFC 4760 §3: attribute header, AFI, SAFI, next-hop length, next hops, reserved.
  return context.maxMessageLength - fixed - (MP_ATTRIBUTE_HEADER + 3 + 1 + nextHopOctets + 1);
}

/** The error for a prefix of `lengthBits` that does not fit `space` (announcementSpace()). */
export function messageTooLong(
  attributeOctets: number,
  space: number,
  lengthBits: number,
  withPathId: boolean,
  context: CodecContext,
): EncodeError {
  const messageOctets = context.maxMessageLength - space + prefixOctets(lengthBits, withPathId);
  const extended = context.maxMessageLength >= MAX_EXTENDED_MESSAGE_LENGTH;
  return {
    kind: 'message-too-long',
    attributeOctets,
    messageOctets,
    maxMessageLength: context.maxMessageLength,
    reason:
      `attributes of ${attributeOctets} octets make an UPDATE of ${messageOctets} octets, over the ` +
      `peer's maximum of ${context.maxMessageLength}${extended ? '' : ' (no Extended Message, RFC 8654)'}`,
  };
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
): EncodeResult<PackedUpdates> {
  const encoded = encodeAttributesOnce(attributes, context);
  if (!encoded.ok) return encoded;
  return packEncodedAnnouncements(prefixes, encoded.value, context, mpNextHops);
}

/**
 * packAnnouncements() with the attributes already encoded for `context`
 * (encodeAttributesOnce(): no MP_REACH_NLRI), e.g. from an encoding shared
 * by several peers. Nothing is packed unless every prefix fits.
 */
export function packEncodedAnnouncements(
  prefixes: Prefixes,
  attributeBytes: Uint8Array,
  context: CodecContext,
  mpNextHops: readonly string[] = [],
): EncodeResult<PackedUpdates> {
  const withPathIds = sendsPathIds(context, prefixes.afi);
  let hops: Uint8Array | null = null;
  if (prefixes.afi !== Afi.ipv4) {
    const encoded = nextHopBytes(mpNextHops);
    if (!encoded.ok) return encoded;
    hops = encoded.value;
  }
  const space = announcementSpace(prefixes.afi, attributeBytes.length, hops?.length ?? 0, context);
  let longest = 0;
  for (let i = 0; i < prefixes.count; i++) longest = Math.max(longest, prefixes.lengths[i] as number);
  if (prefixes.count > 0 && prefixOctets(longest, withPathIds) > space) {
    return { ok: false, error: messageTooLong(attributeBytes.length, space, longest, withPathIds, context) };
  }
  const writer = messageWriter();
  let messageCount = 0;
  if (hops === null) {
    forEachRun(prefixes, withPathIds, space, (from, to) => {
      const start = beginMessage(writer, MessageType.update);
      writer.u16(0).u16(attributeBytes.length).bytes(attributeBytes);
      encodePrefixes(writer, prefixes, from, to, withPathIds);
      endMessage(writer, start, context.maxMessageLength);
      messageCount++;
    });
    return { ok: true, value: { bytes: writer.toBytes(), messageCount } };
  }
  const nextHops = hops;
  forEachRun(prefixes, withPathIds, space, (from, to) => {
    const start = beginMessage(writer, MessageType.update);
    writer.u16(0);
    const attributesLengthAt = writer.length;
    writer.u16(0);
    writer.u8(AttributeFlag.optional | AttributeFlag.extendedLength).u8(AttributeType.mpReachNlri);
    const mpLengthAt = writer.length;
    writer.u16(0).u16(prefixes.afi).u8(Safi.unicast).u8(nextHops.length).bytes(nextHops).u8(0);
    encodePrefixes(writer, prefixes, from, to, withPathIds);
    writer.patchU16(mpLengthAt, writer.length - mpLengthAt - 2);
    writer.bytes(attributeBytes);
    writer.patchU16(attributesLengthAt, writer.length - attributesLengthAt - 2);
    endMessage(writer, start, context.maxMessageLength);
    messageCount++;
  });
  return { ok: true, value: { bytes: writer.toBytes(), messageCount } };
}

/**
 * The packed UPDATEs, for tools and tests that build their own tables and
 * take a set that cannot be encoded for their own mistake.
 */
export function expectPacked(result: EncodeResult<PackedUpdates>): PackedUpdates {
  if (!result.ok) throw new Error(`cannot pack: ${result.error.reason}`);
  return result.value;
}

/** UPDATEs withdrawing `prefixes`: the Withdrawn Routes field for IPv4, MP_UNREACH_NLRI for IPv6. */
export function packWithdrawals(prefixes: Prefixes, context: CodecContext): PackedUpdates {
  const withPathIds = sendsPathIds(context, prefixes.afi);
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

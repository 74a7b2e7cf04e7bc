// UPDATE message (RFC 4271 §4.3) with RFC 7606 error handling.
//
//   +-----------------------------------------------------+
//   |   Withdrawn Routes Length (2 octets)                |
//   +-----------------------------------------------------+
//   |   Withdrawn Routes (variable)                       |
//   +-----------------------------------------------------+
//   |   Total Path Attribute Length (2 octets)            |
//   +-----------------------------------------------------+
//   |   Path Attributes (variable)                        |
//   +-----------------------------------------------------+
//   |   Network Layer Reachability Information (variable) |
//   +-----------------------------------------------------+

import { emptyAttributes, type PathAttributes } from './attribute-types.js';
import type { CodecContext } from './context.js';
import { type BgpError, bgpError, type DecodeResult, fail, ok } from './errors.js';
import {
  Afi,
  AttributeType,
  attributeTypeName,
  ErrorCode,
  HEADER_LENGTH,
  Safi,
  UpdateSubcode,
} from './iana.js';
import { decodePrefixes, emptyPrefixes, encodePrefixes, type PrefixAfi, type Prefixes } from './nlri.js';
import { decodePathAttributes, encodePathAttributes } from './path-attributes.js';
import type { BufferWriter } from './writer.js';

export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 unicast prefixes withdrawn in the Withdrawn Routes field. */
  readonly withdrawn: Prefixes;
  readonly attributes: PathAttributes;
  /** IPv4 unicast prefixes announced in the NLRI field. */
  readonly nlri: Prefixes;
  /**
   * Set by the decoder: the attributes' identity on the wire (see
   * AttributeSection.wireKey). Not part of the message: the encoder ignores it.
   */
  readonly attributesKey?: Uint8Array;
}

function missingWellKnown(code: number): BgpError {
  return bgpError(
    ErrorCode.updateMessage,
    UpdateSubcode.missingWellKnownAttribute,
    `missing well-known attribute ${attributeTypeName(code)}`,
    Uint8Array.of(code),
    'treat-as-withdraw',
  );
}

function malformedList(reason: string): BgpError {
  return bgpError(ErrorCode.updateMessage, UpdateSubcode.malformedAttributeList, reason);
}

/**
 * Decodes an UPDATE (`bytes` is the whole message, header included). A
 * session-reset error fails the decode; weaker RFC 7606 errors come back with
 * the message in `errors`, and the receiver acts on the strongest
 * (treat-as-withdraw: see announcedAsWithdrawn()).
 */
export function decodeUpdate(bytes: Uint8Array, context: CodecContext): DecodeResult<UpdateMessage> {
  const end = bytes.length;
  const withdrawnLengthAt = HEADER_LENGTH;
  if (end < withdrawnLengthAt + 4)
    return fail(malformedList(`UPDATE body of ${end - HEADER_LENGTH} octets < 4`));
  const withdrawnLength =
    ((bytes[withdrawnLengthAt] as number) << 8) | (bytes[withdrawnLengthAt + 1] as number);
  const withdrawnAt = withdrawnLengthAt + 2;
  const attributesLengthAt = withdrawnAt + withdrawnLength;
  // RFC 4271 §6.3: Withdrawn Routes Length + Total Attribute Length + 23 > message length.
  if (attributesLengthAt + 2 > end) {
    return fail(malformedList(`Withdrawn Routes Length ${withdrawnLength} runs past the message`));
  }
  const attributesLength =
    ((bytes[attributesLengthAt] as number) << 8) | (bytes[attributesLengthAt + 1] as number);
  const attributesAt = attributesLengthAt + 2;
  const nlriAt = attributesAt + attributesLength;
  if (nlriAt > end) {
    return fail(malformedList(`Total Path Attribute Length ${attributesLength} runs past the message`));
  }

  // RFC 7606 §5.3: an NLRI field that cannot be parsed leaves nothing to
  // withdraw, so it resets the session.
  const withdrawn = decodePrefixes(bytes, withdrawnAt, attributesLengthAt, Afi.ipv4, context.addPathIpv4);
  if (typeof withdrawn === 'string') {
    return fail(
      bgpError(ErrorCode.updateMessage, UpdateSubcode.invalidNetworkField, `Withdrawn Routes: ${withdrawn}`),
    );
  }
  const nlri = decodePrefixes(bytes, nlriAt, end, Afi.ipv4, context.addPathIpv4);
  if (typeof nlri === 'string') {
    return fail(bgpError(ErrorCode.updateMessage, UpdateSubcode.invalidNetworkField, `NLRI: ${nlri}`));
  }

  const section = decodePathAttributes(bytes, attributesAt, nlriAt, context);
  // Most UPDATEs have no error at all: nothing below allocates for them.
  let errors = section.errors;
  for (let i = 0; i < errors.length; i++) {
    const error = errors[i] as BgpError;
    if (error.action === 'session-reset') return fail(error);
  }

  const attributes = section.attributes;
  const announces = nlri.count > 0 || attributes.mpReach !== undefined;
  if (announces) {
    // RFC 7606 §3.d: a missing well-known mandatory attribute means
    // treat-as-withdraw. NEXT_HOP is mandatory only with the NLRI field
    // (RFC 4760 §3). A missing LOCAL_PREF on an internal session is not an
    // error here: it is not well-known mandatory (RFC 4271 §5) and the
    // decision process takes 100 for it, as BIRD does.
    const present = section.present;
    const originMissing = present[AttributeType.origin] !== 1;
    const asPathMissing = present[AttributeType.asPath] !== 1;
    const nextHopMissing = nlri.count > 0 && present[AttributeType.nextHop] !== 1;
    if (originMissing || asPathMissing || nextHopMissing) {
      const missing: number[] = [];
      if (originMissing) missing.push(AttributeType.origin);
      if (asPathMissing) missing.push(AttributeType.asPath);
      if (nextHopMissing) missing.push(AttributeType.nextHop);
      errors = [...errors, ...missing.map(missingWellKnown)];
    }
  }
  if (!announces && errors.length > 0) {
    // RFC 7606 §5.2: with no reachable NLRI there is nothing to treat as
    // withdrawn, so an error stronger than attribute-discard resets the session,
    // reported as the first such error.
    const first = errors.find((error) => error.action !== 'attribute-discard');
    if (first !== undefined) {
      return fail({
        ...first,
        action: 'session-reset',
        reason: `${first.reason} (and no NLRI to withdraw: RFC 7606 §5.2)`,
      });
    }
  }
  return ok({ type: 'update', withdrawn, attributes, nlri, attributesKey: section.wireKey }, errors);
}

/** Writes an UPDATE body. */
export function encodeUpdateBody(writer: BufferWriter, update: UpdateMessage, context: CodecContext): void {
  const withdrawnLengthAt = writer.length;
  writer.u16(0);
  encodePrefixes(writer, update.withdrawn, 0, update.withdrawn.count, context.addPathIpv4);
  writer.patchU16(withdrawnLengthAt, writer.length - withdrawnLengthAt - 2);
  const attributesLengthAt = writer.length;
  writer.u16(0);
  const overflow = encodePathAttributes(writer, update.attributes, context);
  // Messages built whole (tools, tests) come from values the caller chose;
  // the agent's own UPDATEs go through the packer, which refuses such a set
  // as a value instead (pack.ts).
  if (overflow !== null)
    throw new Error(
      `attribute ${overflow.code} of ${overflow.octets} octets exceeds its 2-octet length field`,
    );
  writer.patchU16(attributesLengthAt, writer.length - attributesLengthAt - 2);
  encodePrefixes(writer, update.nlri, 0, update.nlri.count, context.addPathIpv4);
}

export interface Family {
  readonly afi: number;
  readonly safi: number;
}

/**
 * RFC 4724 §2: the End-of-RIB marker's family, or null when the UPDATE is
 * not one. IPv4 unicast: an UPDATE with nothing in it. Other families: an
 * UPDATE whose only attribute is an empty MP_UNREACH_NLRI.
 */
export function endOfRibFamily(update: UpdateMessage): Family | null {
  if (update.withdrawn.count > 0 || update.nlri.count > 0) return null;
  const a = update.attributes;
  const others =
    a.origin !== undefined ||
    a.asPath !== undefined ||
    a.nextHop !== undefined ||
    a.med !== undefined ||
    a.localPref !== undefined ||
    a.atomicAggregate !== undefined ||
    a.aggregator !== undefined ||
    a.communities !== undefined ||
    a.originatorId !== undefined ||
    a.clusterList !== undefined ||
    a.mpReach !== undefined ||
    a.extendedCommunities !== undefined ||
    a.as4Path !== undefined ||
    a.as4Aggregator !== undefined ||
    a.largeCommunities !== undefined ||
    (a.unknown !== undefined && a.unknown.length > 0);
  if (others) return null;
  if (a.mpUnreach === undefined) return { afi: Afi.ipv4, safi: Safi.unicast };
  const unreach = a.mpUnreach;
  const empty = unreach.prefixes !== null ? unreach.prefixes.count === 0 : (unreach.opaque?.length ?? 0) <= 3;
  return empty ? { afi: unreach.afi, safi: unreach.safi } : null;
}

/** The End-of-RIB UPDATE for a family (RFC 4724 §2). */
export function endOfRib(afi: number, safi: number): UpdateMessage {
  const attributes = emptyAttributes();
  if (!(afi === Afi.ipv4 && safi === Safi.unicast)) {
    const family = afi === Afi.ipv4 || afi === Afi.ipv6 ? (afi as PrefixAfi) : null;
    attributes.mpUnreach =
      family !== null && safi === Safi.unicast
        ? { afi, safi, prefixes: emptyPrefixes(family), opaque: null }
        : { afi, safi, prefixes: null, opaque: Uint8Array.of(afi >> 8, afi & 0xff, safi) };
  }
  return { type: 'update', withdrawn: emptyPrefixes(Afi.ipv4), attributes, nlri: emptyPrefixes(Afi.ipv4) };
}

export interface RouteChanges {
  /** Prefixes announced with `attributes`, per family (IPv4 from NLRI and MP_REACH, IPv6 from MP_REACH). */
  readonly announced: readonly Prefixes[];
  /** Prefixes withdrawn, per family. */
  readonly withdrawn: readonly Prefixes[];
}

/**
 * What the UPDATE does to the routing table. Under 'treat-as-withdraw'
 * (RFC 7606 §2) every prefix it carries, announced or withdrawn, is withdrawn.
 */
export function routeChanges(update: UpdateMessage, treatAsWithdraw: boolean): RouteChanges {
  const announced: Prefixes[] = [];
  const withdrawn: Prefixes[] = [];
  const push = (list: Prefixes[], prefixes: Prefixes | null | undefined): void => {
    if (prefixes !== null && prefixes !== undefined && prefixes.count > 0) list.push(prefixes);
  };
  push(withdrawn, update.withdrawn);
  push(withdrawn, update.attributes.mpUnreach?.prefixes);
  push(treatAsWithdraw ? withdrawn : announced, update.nlri);
  push(treatAsWithdraw ? withdrawn : announced, update.attributes.mpReach?.prefixes);
  return { announced, withdrawn };
}

// One descriptor per path attribute type (BIRD's bgp_attr_table[]): its
// code, the Optional/Transitive flags it must carry, how to decode, encode
// and what RFC 7606 does when it is malformed. The walk over an UPDATE's
// attribute section lives in path-attributes.ts; this file knows one
// attribute at a time.
//
// Every decode hook receives the attribute value bytes [start, end) and
// returns the value or an AttributeFault; it never reads outside [start, end).

import { formatIpv4, parseIpv4 } from '../../net/ip.js';
import { decodeAsPath, encodeAsPath } from './as-path.js';
import { AttributeFault } from './attribute-fault.js';
import type {
  Aggregator,
  AsPathSegment,
  LargeCommunity,
  MpReachNlri,
  MpUnreachNlri,
  PathAttributes,
} from './attribute-types.js';
import type { CodecContext } from './context.js';
import type { ErrorAction } from './errors.js';
import { AttributeFlag, AttributeType, SegmentType, UpdateSubcode } from './iana.js';
import { decodeMpReach, decodeMpUnreach, encodeMpReach, encodeMpUnreach } from './mp-nlri.js';
import type { BufferWriter } from './writer.js';

export { AttributeFault };

type AttributeKey = Exclude<keyof PathAttributes, 'unknown' | 'layout'>;

export interface AttributeDescriptor<K extends AttributeKey = AttributeKey> {
  readonly code: number;
  readonly name: string;
  readonly key: K;
  /** The Optional and Transitive bits this attribute must carry (RFC 7606 §3.c). */
  readonly flags: number;
  /** RFC 7606 §7: what a malformed instance gets. */
  readonly malformedAction: (context: CodecContext) => ErrorAction;
  /**
   * RFC 7606 §3.c: a conflict of the Optional/Transitive flags means
   * treat-as-withdraw unless the attribute's own specification says
   * otherwise (MP_*: reset, RFC 7606 §5.3; AS4_*: discard, RFC 6793 §6).
   */
  readonly flagsErrorAction?: ErrorAction;
  readonly decode: (
    bytes: Uint8Array,
    start: number,
    end: number,
    context: CodecContext,
  ) => NonNullable<PathAttributes[K]> | AttributeFault;
  readonly encode: (
    writer: BufferWriter,
    value: NonNullable<PathAttributes[K]>,
    context: CodecContext,
  ) => void;
}

const WELL_KNOWN = AttributeFlag.transitive;
const OPTIONAL_TRANSITIVE = AttributeFlag.optional | AttributeFlag.transitive;
const OPTIONAL_NON_TRANSITIVE = AttributeFlag.optional;

const treatAsWithdraw = (): ErrorAction => 'treat-as-withdraw';
const attributeDiscard = (): ErrorAction => 'attribute-discard';
const sessionReset = (): ErrorAction => 'session-reset';

function u32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

function lengthFault(name: string, length: number, expected: string): AttributeFault {
  return new AttributeFault(
    `${name} length ${length}, expected ${expected}`,
    UpdateSubcode.attributeLengthError,
  );
}

function ipv4Text(value: string): number {
  const parsed = parseIpv4(value);
  if (parsed === null) throw new Error(`not an IPv4 address: ${value}`);
  return parsed;
}

/** A list of 32-bit values whose length must be a non-zero multiple of 4. */
function decodeU32List(
  name: string,
  bytes: Uint8Array,
  start: number,
  end: number,
): number[] | AttributeFault {
  const length = end - start;
  if (length === 0 || length % 4 !== 0) {
    return new AttributeFault(
      `${name} length ${length} is not a non-zero multiple of 4`,
      UpdateSubcode.optionalAttributeError,
    );
  }
  const values = new Array<number>(length / 4);
  for (let i = 0, at = start; at < end; i++, at += 4) values[i] = u32(bytes, at);
  return values;
}

const origin: AttributeDescriptor<'origin'> = {
  code: AttributeType.origin,
  name: 'ORIGIN',
  key: 'origin',
  flags: WELL_KNOWN,
  malformedAction: treatAsWithdraw, // RFC 7606 §7.1
  decode(bytes, start, end) {
    if (end - start !== 1) return lengthFault('ORIGIN', end - start, '1');
    const value = bytes[start] as number;
    if (value > 2)
      return new AttributeFault(`ORIGIN value ${value} is undefined`, UpdateSubcode.invalidOriginAttribute);
    return value;
  },
  encode(writer, value) {
    writer.u8(value);
  },
};

const asPath: AttributeDescriptor<'asPath'> = {
  code: AttributeType.asPath,
  name: 'AS_PATH',
  key: 'asPath',
  flags: WELL_KNOWN,
  malformedAction: treatAsWithdraw, // RFC 7606 §7.2
  decode(bytes, start, end, context) {
    const segments = decodeAsPath(bytes, start, end, context.asn4 ? 4 : 2);
    if (typeof segments === 'string') {
      return new AttributeFault(`AS_PATH ${segments}`, UpdateSubcode.malformedAsPath);
    }
    return segments;
  },
  encode(writer, value, context) {
    encodeAsPath(writer, value, context.asn4 ? 4 : 2);
  },
};

/**
 * NEXT_HOP texts made lately, direct-mapped by address. A session's UPDATEs
 * carry one or a few next hops, and a fresh string per UPDATE (some 150
 * octets with its parts) was garbage made 250,000 times for an Internet
 * table. Slot 0.0.0.0 is never valid here, so 0 marks an empty slot.
 */
const NEXT_HOP_TEXTS = 256;
const nextHopAddresses = new Uint32Array(NEXT_HOP_TEXTS);
const nextHopTexts: string[] = new Array<string>(NEXT_HOP_TEXTS).fill('');

function nextHopText(address: number): string {
  const slot = (address ^ (address >>> 8) ^ (address >>> 16) ^ (address >>> 24)) & (NEXT_HOP_TEXTS - 1);
  if (nextHopAddresses[slot] === address) return nextHopTexts[slot] as string;
  const text = formatIpv4(address);
  nextHopAddresses[slot] = address;
  nextHopTexts[slot] = text;
  return text;
}

const nextHop: AttributeDescriptor<'nextHop'> = {
  code: AttributeType.nextHop,
  name: 'NEXT_HOP',
  key: 'nextHop',
  flags: WELL_KNOWN,
  malformedAction: treatAsWithdraw, // RFC 7606 §7.3
  decode(bytes, start, end) {
    if (end - start !== 4) return lengthFault('NEXT_HOP', end - start, '4');
    const address = u32(bytes, start);
    // RFC 4271 §6.3: a semantically incorrect NEXT_HOP makes the route ignored,
    // without closing the session. 0.0.0.0, class D/E and broadcast are never
    // a usable next hop (the receiver's own address is checked by the session).
    if (address === 0 || address >>> 28 >= 0xe) {
      return new AttributeFault(
        `NEXT_HOP ${formatIpv4(address)} is not a unicast address`,
        UpdateSubcode.invalidNextHopAttribute,
      );
    }
    return nextHopText(address);
  },
  encode(writer, value) {
    writer.u32(ipv4Text(value));
  },
};

const multiExitDisc: AttributeDescriptor<'med'> = {
  code: AttributeType.multiExitDisc,
  name: 'MULTI_EXIT_DISC',
  key: 'med',
  flags: OPTIONAL_NON_TRANSITIVE,
  malformedAction: treatAsWithdraw, // RFC 7606 §7.4
  decode(bytes, start, end) {
    if (end - start !== 4) return lengthFault('MULTI_EXIT_DISC', end - start, '4');
    return u32(bytes, start);
  },
  encode(writer, value) {
    writer.u32(value);
  },
};

const localPref: AttributeDescriptor<'localPref'> = {
  code: AttributeType.localPref,
  name: 'LOCAL_PREF',
  key: 'localPref',
  flags: WELL_KNOWN,
  // RFC 7606 §7.5: from an external neighbor it is discarded; from an
  // internal one a length other than 4 means treat-as-withdraw.
  malformedAction: (context) => (context.peerType === 'ebgp' ? 'attribute-discard' : 'treat-as-withdraw'),
  decode(bytes, start, end) {
    if (end - start !== 4) return lengthFault('LOCAL_PREF', end - start, '4');
    return u32(bytes, start);
  },
  encode(writer, value) {
    writer.u32(value);
  },
};

const atomicAggregate: AttributeDescriptor<'atomicAggregate'> = {
  code: AttributeType.atomicAggregate,
  name: 'ATOMIC_AGGREGATE',
  key: 'atomicAggregate',
  flags: WELL_KNOWN,
  malformedAction: attributeDiscard, // RFC 7606 §7.6
  decode(_bytes, start, end) {
    if (end - start !== 0) return lengthFault('ATOMIC_AGGREGATE', end - start, '0');
    return true;
  },
  encode() {},
};

function decodeAggregator(
  name: string,
  bytes: Uint8Array,
  start: number,
  end: number,
  asnOctets: 2 | 4,
): Aggregator | AttributeFault {
  const length = end - start;
  if (length !== asnOctets + 4) return lengthFault(name, length, String(asnOctets + 4));
  const asn =
    asnOctets === 4 ? u32(bytes, start) : ((bytes[start] as number) << 8) | (bytes[start + 1] as number);
  // RFC 7607 §2: an aggregator AS of 0 is malformed (the attribute is discarded).
  if (asn === 0)
    return new AttributeFault(`${name} AS is 0 (RFC 7607)`, UpdateSubcode.optionalAttributeError);
  return { asn, address: formatIpv4(u32(bytes, start + asnOctets)) };
}

const aggregator: AttributeDescriptor<'aggregator'> = {
  code: AttributeType.aggregator,
  name: 'AGGREGATOR',
  key: 'aggregator',
  flags: OPTIONAL_TRANSITIVE,
  malformedAction: attributeDiscard, // RFC 7606 §7.7
  decode: (bytes, start, end, context) =>
    decodeAggregator('AGGREGATOR', bytes, start, end, context.asn4 ? 4 : 2),
  encode(writer, value, context) {
    if (context.asn4) writer.u32(value.asn);
    else writer.u16(value.asn > 0xffff ? 23456 : value.asn);
    writer.u32(ipv4Text(value.address));
  },
};

const communities: AttributeDescriptor<'communities'> = {
  code: AttributeType.communities,
  name: 'COMMUNITIES',
  key: 'communities',
  flags: OPTIONAL_TRANSITIVE,
  malformedAction: treatAsWithdraw, // RFC 7606 §7.8
  decode: (bytes, start, end) => decodeU32List('COMMUNITIES', bytes, start, end),
  encode(writer, value) {
    for (const community of value) writer.u32(community);
  },
};

const originatorId: AttributeDescriptor<'originatorId'> = {
  code: AttributeType.originatorId,
  name: 'ORIGINATOR_ID',
  key: 'originatorId',
  flags: OPTIONAL_NON_TRANSITIVE,
  // RFC 7606 §7.9: discarded when from an external neighbor.
  malformedAction: (context) => (context.peerType === 'ebgp' ? 'attribute-discard' : 'treat-as-withdraw'),
  decode(bytes, start, end) {
    if (end - start !== 4) return lengthFault('ORIGINATOR_ID', end - start, '4');
    return formatIpv4(u32(bytes, start));
  },
  encode(writer, value) {
    writer.u32(ipv4Text(value));
  },
};

const clusterList: AttributeDescriptor<'clusterList'> = {
  code: AttributeType.clusterList,
  name: 'CLUSTER_LIST',
  key: 'clusterList',
  flags: OPTIONAL_NON_TRANSITIVE,
  // RFC 7606 §7.10: discarded when from an external neighbor.
  malformedAction: (context) => (context.peerType === 'ebgp' ? 'attribute-discard' : 'treat-as-withdraw'),
  decode(bytes, start, end) {
    const ids = decodeU32List('CLUSTER_LIST', bytes, start, end);
    return ids instanceof AttributeFault ? ids : ids.map(formatIpv4);
  },
  encode(writer, value) {
    for (const id of value) writer.u32(ipv4Text(id));
  },
};

const mpReachNlri: AttributeDescriptor<'mpReach'> = {
  code: AttributeType.mpReachNlri,
  name: 'MP_REACH_NLRI',
  key: 'mpReach',
  flags: OPTIONAL_NON_TRANSITIVE,
  // RFC 7606 §7.11, §3.h: without the NLRI no withdraw is possible.
  malformedAction: sessionReset,
  flagsErrorAction: 'session-reset',
  decode: (bytes, start, end, context): MpReachNlri | AttributeFault =>
    decodeMpReach(bytes, start, end, context),
  encode: (writer, value, context) => encodeMpReach(writer, value, context),
};

const mpUnreachNlri: AttributeDescriptor<'mpUnreach'> = {
  code: AttributeType.mpUnreachNlri,
  name: 'MP_UNREACH_NLRI',
  key: 'mpUnreach',
  flags: OPTIONAL_NON_TRANSITIVE,
  malformedAction: sessionReset, // RFC 7606 §7.12
  flagsErrorAction: 'session-reset',
  decode: (bytes, start, end, context): MpUnreachNlri | AttributeFault =>
    decodeMpUnreach(bytes, start, end, context),
  encode: (writer, value, context) => encodeMpUnreach(writer, value, context),
};

const extendedCommunities: AttributeDescriptor<'extendedCommunities'> = {
  code: AttributeType.extendedCommunities,
  name: 'EXTENDED_COMMUNITIES',
  key: 'extendedCommunities',
  flags: OPTIONAL_TRANSITIVE,
  malformedAction: treatAsWithdraw, // RFC 7606 §7.14
  decode(bytes, start, end) {
    const length = end - start;
    if (length === 0 || length % 8 !== 0) {
      return new AttributeFault(
        `EXTENDED_COMMUNITIES length ${length} is not a non-zero multiple of 8`,
        UpdateSubcode.optionalAttributeError,
      );
    }
    const values = new Array<bigint>(length / 8);
    for (let i = 0, at = start; at < end; i++, at += 8) {
      values[i] = (BigInt(u32(bytes, at)) << 32n) | BigInt(u32(bytes, at + 4));
    }
    return values;
  },
  encode(writer, value) {
    for (const community of value) writer.u64(community);
  },
};

const as4Path: AttributeDescriptor<'as4Path'> = {
  code: AttributeType.as4Path,
  name: 'AS4_PATH',
  key: 'as4Path',
  flags: OPTIONAL_TRANSITIVE,
  malformedAction: attributeDiscard, // RFC 6793 §6, RFC 7606 §7 (AS4_PATH)
  flagsErrorAction: 'attribute-discard',
  decode(bytes, start, end) {
    const segments = decodeAsPath(bytes, start, end, 4);
    if (typeof segments === 'string') {
      return new AttributeFault(`AS4_PATH ${segments}`, UpdateSubcode.optionalAttributeError);
    }
    // RFC 6793 §6: confederation segments in AS4_PATH are dropped, the rest kept.
    return segments.filter(
      (segment: AsPathSegment) =>
        segment.type === SegmentType.asSet || segment.type === SegmentType.asSequence,
    );
  },
  encode(writer, value) {
    encodeAsPath(writer, value, 4);
  },
};

const as4Aggregator: AttributeDescriptor<'as4Aggregator'> = {
  code: AttributeType.as4Aggregator,
  name: 'AS4_AGGREGATOR',
  key: 'as4Aggregator',
  flags: OPTIONAL_TRANSITIVE,
  malformedAction: attributeDiscard, // RFC 6793 §6
  flagsErrorAction: 'attribute-discard',
  decode: (bytes, start, end) => decodeAggregator('AS4_AGGREGATOR', bytes, start, end, 4),
  encode(writer, value) {
    writer.u32(value.asn).u32(ipv4Text(value.address));
  },
};

const largeCommunities: AttributeDescriptor<'largeCommunities'> = {
  code: AttributeType.largeCommunities,
  name: 'LARGE_COMMUNITIES',
  key: 'largeCommunities',
  flags: OPTIONAL_TRANSITIVE,
  malformedAction: treatAsWithdraw, // RFC 8092 §6
  decode(bytes, start, end) {
    const length = end - start;
    if (length === 0 || length % 12 !== 0) {
      return new AttributeFault(
        `LARGE_COMMUNITIES length ${length} is not a non-zero multiple of 12`,
        UpdateSubcode.optionalAttributeError,
      );
    }
    const values = new Array<LargeCommunity>(length / 12);
    for (let i = 0, at = start; at < end; i++, at += 12) {
      values[i] = {
        globalAdmin: u32(bytes, at),
        localData1: u32(bytes, at + 4),
        localData2: u32(bytes, at + 8),
      };
    }
    return values;
  },
  encode(writer, value) {
    for (const community of value) {
      writer.u32(community.globalAdmin).u32(community.localData1).u32(community.localData2);
    }
  },
};

/** Descriptors indexed by type code (sparse); undefined for codes we do not decode. */
export const attributeDescriptors: readonly (AttributeDescriptor | undefined)[] = (() => {
  const table = new Array<AttributeDescriptor | undefined>(256).fill(undefined);
  const all: readonly AttributeDescriptor[] = [
    origin,
    asPath,
    nextHop,
    multiExitDisc,
    localPref,
    atomicAggregate,
    aggregator,
    communities,
    originatorId,
    clusterList,
    mpReachNlri,
    mpUnreachNlri,
    extendedCommunities,
    as4Path,
    as4Aggregator,
    largeCommunities,
  ] as unknown as readonly AttributeDescriptor[];
  for (const descriptor of all) table[descriptor.code] = descriptor;
  return table;
})();

/** Descriptors in the order attributes are written when no wire layout is kept (RFC 7606 §5.1: MP_* first). */
export const encodeOrder: readonly AttributeDescriptor[] = [
  mpReachNlri,
  mpUnreachNlri,
  origin,
  asPath,
  nextHop,
  multiExitDisc,
  localPref,
  atomicAggregate,
  aggregator,
  communities,
  originatorId,
  clusterList,
  extendedCommunities,
  as4Path,
  as4Aggregator,
  largeCommunities,
] as unknown as readonly AttributeDescriptor[];

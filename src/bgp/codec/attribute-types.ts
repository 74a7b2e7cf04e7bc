// Decoded path attribute values (RFC 4271 §4.3, §5 and the RFCs cited per field).

import type { Prefixes } from './nlri.js';

export type AsPathSegmentType = 1 | 2 | 3 | 4;

export interface AsPathSegment {
  /** 1 AS_SET, 2 AS_SEQUENCE, 3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET (RFC 5065). */
  readonly type: AsPathSegmentType;
  readonly asns: readonly number[];
}

export interface Aggregator {
  readonly asn: number;
  readonly address: string;
}

/** RFC 8092 §3. */
export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly localData1: number;
  readonly localData2: number;
}

/** An attribute we do not decode, kept with its flags (RFC 4271 §5: passed on if optional transitive). */
export interface UnknownAttribute {
  readonly code: number;
  readonly flags: number;
  readonly data: Uint8Array;
}

/** MP_REACH_NLRI (RFC 4760 §3). */
export interface MpReachNlri {
  readonly afi: number;
  readonly safi: number;
  /**
   * Next hop addresses as text: one, or for IPv6 a global address followed by
   * a link-local one (RFC 2545 §3). Empty for families we do not decode.
   */
  readonly nextHops: readonly string[];
  /** IPv4/IPv6 unicast prefixes; null for other families (then `opaque` holds the value). */
  readonly prefixes: Prefixes | null;
  /** The whole attribute value of a family we do not decode; null otherwise. */
  readonly opaque: Uint8Array | null;
}

/** MP_UNREACH_NLRI (RFC 4760 §4). */
export interface MpUnreachNlri {
  readonly afi: number;
  readonly safi: number;
  readonly prefixes: Prefixes | null;
  readonly opaque: Uint8Array | null;
}

/**
 * Every attribute of one UPDATE. Absent attributes are undefined. Decoded
 * objects always carry every key (one hidden class), so code that reads many
 * of them stays monomorphic.
 */
export interface PathAttributes {
  /** 0 IGP, 1 EGP, 2 INCOMPLETE. */
  readonly origin?: number | undefined;
  readonly asPath?: readonly AsPathSegment[] | undefined;
  readonly nextHop?: string | undefined;
  readonly med?: number | undefined;
  readonly localPref?: number | undefined;
  readonly atomicAggregate?: boolean | undefined;
  readonly aggregator?: Aggregator | undefined;
  /** RFC 1997 communities as 32-bit values (high 16 bits = AS). */
  readonly communities?: readonly number[] | undefined;
  /** RFC 4456 §8, dotted quad. */
  readonly originatorId?: string | undefined;
  /** RFC 4456 §8, dotted quads, nearest cluster first. */
  readonly clusterList?: readonly string[] | undefined;
  readonly mpReach?: MpReachNlri | undefined;
  readonly mpUnreach?: MpUnreachNlri | undefined;
  /** RFC 4360 extended communities, each 8 octets as an unsigned 64-bit value. */
  readonly extendedCommunities?: readonly bigint[] | undefined;
  readonly as4Path?: readonly AsPathSegment[] | undefined;
  readonly as4Aggregator?: Aggregator | undefined;
  readonly largeCommunities?: readonly LargeCommunity[] | undefined;
  readonly unknown?: readonly UnknownAttribute[] | undefined;
  /**
   * The wire layout as received: (type code, flags) pairs in wire order. The
   * encoder follows it when present, so a decoded message re-encodes byte for
   * byte; without it attributes go out MP_* first, then by type code.
   */
  readonly layout?: Uint8Array | undefined;
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** An attributes object with every key present (see PathAttributes). */
export function emptyAttributes(): Mutable<PathAttributes> {
  return {
    origin: undefined,
    asPath: undefined,
    nextHop: undefined,
    med: undefined,
    localPref: undefined,
    atomicAggregate: undefined,
    aggregator: undefined,
    communities: undefined,
    originatorId: undefined,
    clusterList: undefined,
    mpReach: undefined,
    mpUnreach: undefined,
    extendedCommunities: undefined,
    as4Path: undefined,
    as4Aggregator: undefined,
    largeCommunities: undefined,
    unknown: undefined,
    layout: undefined,
  };
}

// BGP code points (IANA "Border Gateway Protocol (BGP) Parameters" and
// "Capability Codes" registries). Code points only: no logic lives here.

/** RFC 4271 §4.1 message types, RFC 2918 ROUTE-REFRESH. */
export const MessageType = {
  open: 1,
  update: 2,
  notification: 3,
  keepalive: 4,
  routeRefresh: 5,
} as const;

/** RFC 4271 §4.1: fixed header = 16-octet marker + 2-octet length + 1-octet type. */
export const HEADER_LENGTH = 19;
/** RFC 4271 §4.1: the largest message without Extended Message. */
export const MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654 §4: the largest message once Extended Message is negotiated. */
export const MAX_EXTENDED_MESSAGE_LENGTH = 65535;

export const BGP_VERSION = 4;
/** RFC 6793 §9: the 2-octet placeholder for a 4-octet AS number. */
export const AS_TRANS = 23456;
/** RFC 6793 §4.2.2: an AS above this has no 2-octet form (AS_TRANS stands in for it). */
export const MAX_TWO_OCTET_AS = 0xffff;
/** RFC 4271 §4.3: a path segment's length is one octet. */
export const MAX_SEGMENT_ASNS = 255;

export const Afi = { ipv4: 1, ipv6: 2 } as const;
export const Safi = { unicast: 1, multicast: 2 } as const;

/** Path attribute type codes. */
export const AttributeType = {
  origin: 1,
  asPath: 2,
  nextHop: 3,
  multiExitDisc: 4,
  localPref: 5,
  atomicAggregate: 6,
  aggregator: 7,
  communities: 8, // RFC 1997
  originatorId: 9, // RFC 4456
  clusterList: 10, // RFC 4456
  mpReachNlri: 14, // RFC 4760
  mpUnreachNlri: 15, // RFC 4760
  extendedCommunities: 16, // RFC 4360
  as4Path: 17, // RFC 6793
  as4Aggregator: 18, // RFC 6793
  largeCommunities: 32, // RFC 8092
} as const;

/** RFC 4271 §4.3 attribute flag bits. */
export const AttributeFlag = {
  optional: 0x80,
  transitive: 0x40,
  partial: 0x20,
  extendedLength: 0x10,
} as const;

export const Origin = { igp: 0, egp: 1, incomplete: 2 } as const;

/** RFC 4271 §4.3 AS_PATH segment types, RFC 5065 §3 confederation segments. */
export const SegmentType = {
  asSet: 1,
  asSequence: 2,
  confedSequence: 3,
  confedSet: 4,
} as const;

/** Capability codes (RFC 5492 §4 registry). */
export const CapabilityCode = {
  multiprotocol: 1, // RFC 4760
  routeRefresh: 2, // RFC 2918
  extendedMessage: 6, // RFC 8654
  gracefulRestart: 64, // RFC 4724
  fourOctetAs: 65, // RFC 6793
  addPath: 69, // RFC 7911
  enhancedRouteRefresh: 70, // RFC 7313
  longLivedGracefulRestart: 71, // RFC 9494
  fqdn: 73, // draft-walton-bgp-hostname-capability
  routeRefreshCisco: 128, // pre-standard route refresh
} as const;

/** OPEN optional parameter types (RFC 5492; 255 is the RFC 9072 extended-length marker). */
export const OptionalParameterType = { capabilities: 2, extendedLength: 255 } as const;

/** RFC 1997, RFC 7999, RFC 8326 well-known communities. */
export const WellKnownCommunity = {
  gracefulShutdown: 0xffff0000,
  blackhole: 0xffff029a,
  noExport: 0xffffff01,
  noAdvertise: 0xffffff02,
  noExportSubconfed: 0xffffff03,
} as const;

/** RFC 7313 §3.2 ROUTE-REFRESH message subtypes (the former Reserved octet). */
export const RouteRefreshSubtype = { normal: 0, beginning: 1, end: 2 } as const;

/** RFC 4271 §4.5 NOTIFICATION error codes. */
export const ErrorCode = {
  messageHeader: 1,
  openMessage: 2,
  updateMessage: 3,
  holdTimerExpired: 4,
  finiteStateMachine: 5,
  cease: 6,
  routeRefreshMessage: 7, // RFC 7313
} as const;

export const HeaderSubcode = {
  connectionNotSynchronized: 1,
  badMessageLength: 2,
  badMessageType: 3,
} as const;

export const OpenSubcode = {
  unsupportedVersionNumber: 1,
  badPeerAs: 2,
  badBgpIdentifier: 3,
  unsupportedOptionalParameter: 4,
  unacceptableHoldTime: 6,
  unsupportedCapability: 7, // RFC 5492
  roleMismatch: 11, // RFC 9234
} as const;

export const UpdateSubcode = {
  malformedAttributeList: 1,
  unrecognizedWellKnownAttribute: 2,
  missingWellKnownAttribute: 3,
  attributeFlagsError: 4,
  attributeLengthError: 5,
  invalidOriginAttribute: 6,
  invalidNextHopAttribute: 8,
  optionalAttributeError: 9,
  invalidNetworkField: 10,
  malformedAsPath: 11,
} as const;

export const FsmSubcode = {
  unexpectedMessageInOpenSent: 1, // RFC 6608
  unexpectedMessageInOpenConfirm: 2,
  unexpectedMessageInEstablished: 3,
} as const;

/** RFC 4486, RFC 8538 (hard reset), RFC 9384 (BFD down). */
export const CeaseSubcode = {
  maximumPrefixesReached: 1,
  administrativeShutdown: 2,
  peerDeconfigured: 3,
  administrativeReset: 4,
  connectionRejected: 5,
  otherConfigurationChange: 6,
  connectionCollisionResolution: 7,
  outOfResources: 8,
  hardReset: 9,
  bfdDown: 10,
} as const;

export const RouteRefreshErrorSubcode = { invalidMessageLength: 1 } as const;

const codeNames: Readonly<Record<number, string>> = {
  1: 'Message Header Error',
  2: 'OPEN Message Error',
  3: 'UPDATE Message Error',
  4: 'Hold Timer Expired',
  5: 'Finite State Machine Error',
  6: 'Cease',
  7: 'ROUTE-REFRESH Message Error',
};

const subcodeNames: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' },
  2: {
    1: 'Unsupported Version Number',
    2: 'Bad Peer AS',
    3: 'Bad BGP Identifier',
    4: 'Unsupported Optional Parameter',
    5: 'Authentication Failure (deprecated)',
    6: 'Unacceptable Hold Time',
    7: 'Unsupported Capability',
    8: 'Deprecated',
    9: 'Deprecated',
    10: 'Deprecated',
    11: 'Role Mismatch',
  },
  3: {
    1: 'Malformed Attribute List',
    2: 'Unrecognized Well-known Attribute',
    3: 'Missing Well-known Attribute',
    4: 'Attribute Flags Error',
    5: 'Attribute Length Error',
    6: 'Invalid ORIGIN Attribute',
    7: 'AS Routing Loop (deprecated)',
    8: 'Invalid NEXT_HOP Attribute',
    9: 'Optional Attribute Error',
    10: 'Invalid Network Field',
    11: 'Malformed AS_PATH',
  },
  5: {
    0: 'Unspecified Error',
    1: 'Receive Unexpected Message in OpenSent State',
    2: 'Receive Unexpected Message in OpenConfirm State',
    3: 'Receive Unexpected Message in Established State',
  },
  6: {
    1: 'Maximum Number of Prefixes Reached',
    2: 'Administrative Shutdown',
    3: 'Peer De-configured',
    4: 'Administrative Reset',
    5: 'Connection Rejected',
    6: 'Other Configuration Change',
    7: 'Connection Collision Resolution',
    8: 'Out of Resources',
    9: 'Hard Reset',
    10: 'BFD Down',
  },
  7: { 1: 'Invalid Message Length' },
};

/** "Cease" for 6; "Unknown error code N" for codes outside the registry. */
export function errorCodeName(code: number): string {
  return codeNames[code] ?? `Unknown error code ${code}`;
}

/** "Administrative Shutdown" for 6/2; "Unspecific" for subcode 0; a placeholder otherwise. */
export function errorSubcodeName(code: number, subcode: number): string {
  const name = subcodeNames[code]?.[subcode];
  if (name !== undefined) return name;
  return subcode === 0 ? 'Unspecific' : `Unknown subcode ${subcode}`;
}

const attributeNames: Readonly<Record<number, string>> = {
  1: 'ORIGIN',
  2: 'AS_PATH',
  3: 'NEXT_HOP',
  4: 'MULTI_EXIT_DISC',
  5: 'LOCAL_PREF',
  6: 'ATOMIC_AGGREGATE',
  7: 'AGGREGATOR',
  8: 'COMMUNITIES',
  9: 'ORIGINATOR_ID',
  10: 'CLUSTER_LIST',
  14: 'MP_REACH_NLRI',
  15: 'MP_UNREACH_NLRI',
  16: 'EXTENDED_COMMUNITIES',
  17: 'AS4_PATH',
  18: 'AS4_AGGREGATOR',
  32: 'LARGE_COMMUNITIES',
};

export function attributeTypeName(code: number): string {
  return attributeNames[code] ?? `UNKNOWN_${code}`;
}

const capabilityNames: Readonly<Record<number, string>> = {
  1: 'multiprotocol',
  2: 'route-refresh',
  6: 'extended-message',
  64: 'graceful-restart',
  65: '4-octet-as',
  69: 'add-path',
  70: 'enhanced-route-refresh',
  71: 'long-lived-graceful-restart',
  73: 'fqdn',
  128: 'route-refresh-cisco',
};

export function capabilityName(code: number): string {
  return capabilityNames[code] ?? `unknown-${code}`;
}

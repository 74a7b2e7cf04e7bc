// fast-check generators of valid BGP values, for round-trip properties.
import fc from 'fast-check';
import type {
  AsPathSegment,
  Capability,
  CodecContext,
  LargeCommunity,
  MpReachNlri,
  MpUnreachNlri,
  NotificationMessage,
  OpenMessage,
  OptionalParameter,
  PathAttributes,
  Prefixes,
  RouteRefreshMessage,
  UnknownAttribute,
  UpdateMessage,
} from '../../../src/bgp/codec/index.js';
import { formatIpv4, formatIpv6 } from '../../../src/net/ip.js';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const ipv4Text = u32.map(formatIpv4);
/** Unicast-looking IPv4 (1.0.0.0 .. 223.255.255.255): a valid NEXT_HOP. */
export const unicastIpv4Text = fc.integer({ min: 0x01000000, max: 0xdfffffff }).map(formatIpv4);
export const ipv6Text = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => formatIpv6(bytes));

function topBits(length: number): number {
  return length <= 0 ? 0 : length >= 32 ? 0xffffffff : (0xffffffff << (32 - length)) >>> 0;
}

export function prefixesArbitrary(afi: 1 | 2, withPathIds: boolean, maxCount = 40): fc.Arbitrary<Prefixes> {
  const perPrefix = afi === 1 ? 1 : 4;
  const maxLength = afi === 1 ? 32 : 128;
  const one = fc.record({
    length: fc.integer({ min: 0, max: maxLength }),
    words: fc.array(u32, { minLength: perPrefix, maxLength: perPrefix }),
    pathId: u32,
  });
  return fc.array(one, { maxLength: maxCount }).map((items) => {
    const lengths = new Uint8Array(items.length);
    const words = new Uint32Array(items.length * perPrefix);
    const pathIds = withPathIds ? new Uint32Array(items.length) : null;
    items.forEach((item, i) => {
      lengths[i] = item.length;
      item.words.forEach((word, w) => {
        words[i * perPrefix + w] = (word & topBits(item.length - w * 32)) >>> 0;
      });
      if (pathIds !== null) pathIds[i] = item.pathId;
    });
    // An empty list has no path identifiers, whatever the session (as decoded).
    return { afi, count: items.length, lengths, words, pathIds: items.length === 0 ? null : pathIds };
  });
}

const segment = (asnMax: number): fc.Arbitrary<AsPathSegment> =>
  fc.record({
    type: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
    asns: fc.array(fc.integer({ min: 1, max: asnMax }), { minLength: 1, maxLength: 12 }),
  });

export function asPathArbitrary(asn4: boolean): fc.Arbitrary<AsPathSegment[]> {
  return fc.array(segment(asn4 ? 0xffffffff : 0xffff), { maxLength: 4 });
}

const largeCommunity: fc.Arbitrary<LargeCommunity> = fc.record({
  globalAdmin: u32,
  localData1: u32,
  localData2: u32,
});

const knownCodes = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32]);
const unknownAttribute: fc.Arbitrary<UnknownAttribute> = fc.record({
  code: u8.filter((code) => !knownCodes.has(code)),
  // Optional (unknown well-known attributes reset the session), any T/P bits, no E bit.
  flags: fc.constantFrom(0x80, 0xc0, 0xe0, 0xa0),
  data: fc.uint8Array({ maxLength: 255 }),
});

export function mpReachArbitrary(context: CodecContext): fc.Arbitrary<MpReachNlri> {
  const v4 = fc.record({
    afi: fc.constant(1),
    safi: fc.constant(1),
    nextHops: fc.tuple(ipv4Text).map((hops) => [...hops]),
    prefixes: prefixesArbitrary(1, context.addPathIpv4),
    opaque: fc.constant(null),
  });
  const v6 = fc.record({
    afi: fc.constant(2),
    safi: fc.constant(1),
    nextHops: fc.oneof(fc.tuple(ipv6Text), fc.tuple(ipv6Text, ipv6Text)).map((hops) => [...hops]),
    prefixes: prefixesArbitrary(2, context.addPathIpv6),
    opaque: fc.constant(null),
  });
  const other = fc
    .record({
      afi: fc.constantFrom(1, 2, 25),
      safi: fc.constantFrom(2, 70, 128),
      rest: fc.uint8Array({ minLength: 2, maxLength: 40 }),
    })
    .map(({ afi, safi, rest }) => {
      // opaque = the whole value: AFI, SAFI, NH length, NH, reserved, NLRI.
      const opaque = new Uint8Array(4 + rest.length);
      opaque.set([afi >> 8, afi & 0xff, safi, 0]);
      opaque.set(rest, 4);
      return { afi, safi, nextHops: [], prefixes: null, opaque };
    });
  return fc.oneof(v4, v6, other);
}

export function mpUnreachArbitrary(context: CodecContext): fc.Arbitrary<MpUnreachNlri> {
  return fc.oneof(
    prefixesArbitrary(1, context.addPathIpv4).map((prefixes) => ({
      afi: 1,
      safi: 1,
      prefixes,
      opaque: null,
    })),
    prefixesArbitrary(2, context.addPathIpv6).map((prefixes) => ({
      afi: 2,
      safi: 1,
      prefixes,
      opaque: null,
    })),
  );
}

/** Attributes that decode back to themselves under `context` (RFC 7606 rules respected). */
export function attributesArbitrary(context: CodecContext): fc.Arbitrary<PathAttributes> {
  const asnMax = context.asn4 ? 0xffffffff : 0xffff;
  return fc.record(
    {
      origin: fc.integer({ min: 0, max: 2 }),
      asPath: asPathArbitrary(context.asn4),
      nextHop: unicastIpv4Text,
      med: u32,
      localPref: u32,
      atomicAggregate: fc.constant(true),
      aggregator: fc.record({ asn: fc.integer({ min: 1, max: asnMax }), address: ipv4Text }),
      communities: fc.array(u32, { minLength: 1, maxLength: 20 }),
      originatorId: ipv4Text,
      clusterList: fc.array(ipv4Text, { minLength: 1, maxLength: 5 }),
      mpReach: mpReachArbitrary(context),
      mpUnreach: mpUnreachArbitrary(context),
      extendedCommunities: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), {
        minLength: 1,
        maxLength: 8,
      }),
      as4Path: fc.array(
        fc.record({
          type: fc.constantFrom(1 as const, 2 as const),
          asns: fc.array(fc.integer({ min: 1, max: 0xffffffff }), { minLength: 1, maxLength: 8 }),
        }),
        { maxLength: 3 },
      ),
      as4Aggregator: fc.record({ asn: fc.integer({ min: 1, max: 0xffffffff }), address: ipv4Text }),
      largeCommunities: fc.array(largeCommunity, { minLength: 1, maxLength: 6 }),
      unknown: fc.uniqueArray(unknownAttribute, { selector: (a) => a.code, minLength: 1, maxLength: 3 }),
    },
    { requiredKeys: [] },
  );
}

export function updateArbitrary(context: CodecContext): fc.Arbitrary<UpdateMessage> {
  return fc
    .record({
      withdrawn: prefixesArbitrary(1, context.addPathIpv4),
      attributes: attributesArbitrary(context),
      nlri: prefixesArbitrary(1, context.addPathIpv4),
    })
    .map(({ withdrawn, attributes, nlri }) => {
      // Announcing needs ORIGIN, AS_PATH, and NEXT_HOP with NLRI (RFC 7606 §3.d).
      const full: PathAttributes =
        nlri.count > 0 || attributes.mpReach !== undefined
          ? { origin: 0, asPath: [], ...(nlri.count > 0 ? { nextHop: '192.0.2.1' } : {}), ...attributes }
          : attributes;
      return { type: 'update' as const, withdrawn, attributes: full, nlri };
    });
}

export const capabilityArbitrary: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ kind: fc.constant('multiprotocol' as const), afi: u16, safi: u8 }),
  fc.constant({ kind: 'route-refresh' as const }),
  fc.constant({ kind: 'route-refresh-cisco' as const }),
  fc.constant({ kind: 'enhanced-route-refresh' as const }),
  fc.constant({ kind: 'extended-message' as const }),
  fc.record({ kind: fc.constant('four-octet-as' as const), asn: u32 }),
  fc.record({
    kind: fc.constant('graceful-restart' as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTimeSeconds: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi: u16, safi: u8, forwardingPreserved: fc.boolean() }), {
      maxLength: 4,
    }),
  }),
  fc.record({
    kind: fc.constant('add-path' as const),
    families: fc.array(
      fc.record({
        afi: u16,
        safi: u8,
        mode: fc.constantFrom('receive' as const, 'send' as const, 'both' as const),
      }),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  }),
  fc.record({
    kind: fc.constant('fqdn' as const),
    hostname: fc.string({ maxLength: 30 }),
    domainName: fc.string({ maxLength: 30 }),
  }),
  fc.record({
    kind: fc.constant('unknown' as const),
    code: u8.filter((code) => ![1, 2, 6, 64, 65, 69, 70, 73, 128].includes(code)),
    data: fc.uint8Array({ maxLength: 20 }),
  }),
);

export const openArbitrary: fc.Arbitrary<OpenMessage> = fc
  .record({
    myAsn: u16,
    holdTimeSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
    bgpIdentifier: fc.integer({ min: 1, max: 0xffffffff }).map(formatIpv4),
    parameters: fc.array(
      fc
        .array(capabilityArbitrary, { maxLength: 6 })
        .map((capabilities): OptionalParameter => ({ type: 'capabilities', capabilities })),
      { maxLength: 4 },
    ),
    extendedParameters: fc.boolean(),
  })
  .map((fields) => ({ type: 'open' as const, version: 4, ...fields }));

export const notificationArbitrary: fc.Arbitrary<NotificationMessage> = fc.oneof(
  fc
    .record({
      type: fc.constant('notification' as const),
      code: fc.integer({ min: 1, max: 7 }),
      subcode: u8,
      data: fc.uint8Array({ maxLength: 64 }),
    })
    .filter((n) => !(n.code === 6 && (n.subcode === 2 || n.subcode === 4))),
  fc.record({
    type: fc.constant('notification' as const),
    code: fc.constant(6),
    subcode: fc.constantFrom(2, 4),
    data: fc.constant(new Uint8Array(0)),
    shutdownMessage: fc.string({ minLength: 1, maxLength: 60 }),
  }),
);

export const routeRefreshArbitrary: fc.Arbitrary<RouteRefreshMessage> = fc.record({
  type: fc.constant('routeRefresh' as const),
  afi: u16,
  safi: u8,
  subtype: u8,
});

export const contextArbitrary: fc.Arbitrary<CodecContext> = fc.record({
  asn4: fc.boolean(),
  addPathIpv4: fc.boolean(),
  addPathIpv6: fc.boolean(),
  maxMessageLength: fc.constant(65535),
  peerType: fc.constant('unknown' as const),
});

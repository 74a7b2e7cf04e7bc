// RFC 7606 (and the RFC 4271 §6.3 codes it keeps), one test per rule. Rule
// ids (R-3c ...) follow the rules memo: §3 items, §4 lengths, §5 NLRI, §7
// per attribute, plus RFC 6793 §6 and RFC 7607 for AS4_* and AS 0.
import { describe, expect, it } from 'vitest';
import {
  type BgpError,
  type CodecContext,
  codecContext,
  decodeMessage,
  encodeMessage,
  endOfRibFamily,
  forPropagation,
  routeChanges,
  strongestAction,
  strongestError,
  type UpdateMessage,
} from '../../../src/bgp/codec/index.js';
import { prefixesToStrings } from '../../../src/bgp/codec/nlri.js';
import {
  attr,
  EMPTY_AS_PATH,
  hex,
  MANDATORY,
  NEXT_HOP,
  NLRI_10_233_1,
  ORIGIN_IGP,
  u16,
  u32,
  update,
} from './build.js';

const ibgp = codecContext({ peerType: 'ibgp' });
const ebgp = codecContext({ peerType: 'ebgp' });

/** MP_REACH_NLRI for IPv6 unicast: fd00:233:1::/64 via fd00::1. */
const MP_REACH_V6 = attr(0x80, 14, [
  0,
  2,
  1,
  16,
  0xfd,
  ...new Array<number>(14).fill(0),
  1,
  0,
  64,
  0xfd,
  0,
  0x02,
  0x33,
  0,
  1,
  0,
  0,
]);

interface Outcome {
  readonly update: UpdateMessage | null;
  readonly error: BgpError | null;
  readonly action: string | null;
}

function decode(bytes: Uint8Array, context: CodecContext = ibgp): Outcome {
  const result = decodeMessage(bytes, context);
  if (!result.ok) return { update: null, error: result.error, action: result.error.action };
  if (result.value.type !== 'update') throw new Error('not an UPDATE');
  return {
    update: result.value,
    error: strongestError(result.errors),
    action: strongestAction(result.errors),
  };
}

function withdrawnPrefixes(outcome: Outcome): string[] {
  if (outcome.update === null) return [];
  return routeChanges(outcome.update, outcome.action === 'treat-as-withdraw').withdrawn.flatMap(
    prefixesToStrings,
  );
}

describe('RFC 7606 §3 (amendments to RFC 4271 §6.3)', () => {
  it('R-3b: Withdrawn Routes Length + Total Path Attribute Length beyond the message resets with 3/1', () => {
    const bytes = update({ attributes: MANDATORY, nlri: NLRI_10_233_1 });
    bytes[21] = 0x7f; // total path attribute length far too large
    expect(decode(bytes).error).toMatchObject({ code: 3, subcode: 1, action: 'session-reset' });
    const withdrawnTooLong = update({ withdrawn: [24, 10, 0, 0] });
    withdrawnTooLong[20] = 40;
    expect(decode(withdrawnTooLong).error).toMatchObject({ code: 3, subcode: 1, action: 'session-reset' });
  });

  it('R-3c: an Optional/Transitive flag conflict is treat-as-withdraw, 3/4 with the attribute as data', () => {
    const badOrigin = attr(0xc0, 1, [0]); // ORIGIN marked optional
    const outcome = decode(
      update({ attributes: [...badOrigin, ...EMPTY_AS_PATH, ...NEXT_HOP], nlri: NLRI_10_233_1 }),
    );
    expect(outcome.error).toMatchObject({ code: 3, subcode: 4, action: 'treat-as-withdraw' });
    expect(hex(outcome.error?.data ?? new Uint8Array())).toBe(hex(Uint8Array.from(badOrigin)));
    expect(withdrawnPrefixes(outcome)).toEqual(['10.233.1.0/24']);
    const badMed = attr(0xc0, 4, u32(5)); // MED marked transitive
    expect(decode(update({ attributes: [...MANDATORY, ...badMed], nlri: NLRI_10_233_1 })).action).toBe(
      'treat-as-withdraw',
    );
  });

  it('R-3c/D3: flag conflicts on AGGREGATOR and ATOMIC_AGGREGATE are treat-as-withdraw too (the literal §3.c)', () => {
    const aggregator = attr(0x80, 7, [...u32(64512), 10, 0, 0, 1]); // not transitive
    expect(decode(update({ attributes: [...MANDATORY, ...aggregator], nlri: NLRI_10_233_1 })).action).toBe(
      'treat-as-withdraw',
    );
    const atomic = attr(0xc0, 6, []);
    expect(decode(update({ attributes: [...MANDATORY, ...atomic], nlri: NLRI_10_233_1 })).action).toBe(
      'treat-as-withdraw',
    );
  });

  it('R-3c exceptions: AS4_PATH flags conflict is attribute-discard (RFC 6793 §6); MP_REACH resets (RFC 7606 §5.3)', () => {
    const as4 = attr(0x80, 17, [2, 1, ...u32(4200000001)]);
    const outcome = decode(
      update({ attributes: [...MANDATORY, ...as4], nlri: NLRI_10_233_1 }),
      codecContext({ asn4: false }),
    );
    expect(outcome.action).toBe('attribute-discard');
    expect(outcome.update?.attributes.as4Path).toBeUndefined();
    const mp = attr(0xc0, 14, MP_REACH_V6.slice(3));
    expect(decode(update({ attributes: [...ORIGIN_IGP, ...EMPTY_AS_PATH, ...mp] })).error).toMatchObject({
      code: 3,
      subcode: 4,
      action: 'session-reset',
    });
  });

  it('D2: the Partial bit on a well-known attribute is ignored; the Extended Length bit is never an error', () => {
    const partialOrigin = attr(0x60, 1, [0]);
    const extendedPath = attr(0x50, 2, [], true);
    const outcome = decode(
      update({ attributes: [...partialOrigin, ...extendedPath, ...NEXT_HOP], nlri: NLRI_10_233_1 }),
    );
    expect(outcome.error).toBeNull();
    expect(outcome.update?.attributes.origin).toBe(0);
  });

  it('R-3d: a missing ORIGIN, AS_PATH or NEXT_HOP is treat-as-withdraw, 3/3 with the type code as data', () => {
    for (const [missing, attributes] of [
      [1, [...EMPTY_AS_PATH, ...NEXT_HOP]],
      [2, [...ORIGIN_IGP, ...NEXT_HOP]],
      [3, [...ORIGIN_IGP, ...EMPTY_AS_PATH]],
    ] as const) {
      const outcome = decode(update({ attributes: [...attributes], nlri: NLRI_10_233_1 }));
      expect(outcome.error).toMatchObject({ code: 3, subcode: 3, action: 'treat-as-withdraw' });
      expect([...(outcome.error?.data ?? [])]).toEqual([missing]);
      expect(withdrawnPrefixes(outcome)).toEqual(['10.233.1.0/24']);
    }
  });

  it('R-3d: NEXT_HOP is not required when only MP_REACH carries NLRI (RFC 4760 §3)', () => {
    const outcome = decode(update({ attributes: [...MP_REACH_V6, ...ORIGIN_IGP, ...EMPTY_AS_PATH] }));
    expect(outcome.error).toBeNull();
    expect(outcome.update?.attributes.mpReach?.nextHops).toEqual(['fd00::1']);
  });

  it('D4: an iBGP UPDATE without LOCAL_PREF is accepted (the decision process uses 100)', () => {
    expect(decode(update({ attributes: MANDATORY, nlri: NLRI_10_233_1 }), ibgp).error).toBeNull();
  });

  it('D5: NLRI with a Total Path Attribute Length of 0 is treat-as-withdraw (3/3, ORIGIN first)', () => {
    const outcome = decode(update({ nlri: NLRI_10_233_1 }));
    expect(outcome.error).toMatchObject({ code: 3, subcode: 3, action: 'treat-as-withdraw' });
    expect([...(outcome.error?.data ?? [])]).toEqual([1]);
    expect(withdrawnPrefixes(outcome)).toEqual(['10.233.1.0/24']);
  });

  it('R-3e: malformed ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF are treat-as-withdraw with the RFC 4271 subcode', () => {
    const cases: [number[], number][] = [
      [[...attr(0x40, 1, [3]), ...EMPTY_AS_PATH, ...NEXT_HOP], 6], // ORIGIN value undefined: 3/6
      [[...attr(0x40, 1, [0, 0]), ...EMPTY_AS_PATH, ...NEXT_HOP], 5], // ORIGIN length: 3/5
      [[...ORIGIN_IGP, ...attr(0x40, 2, [5, 1, ...u32(1)]), ...NEXT_HOP], 11], // segment type 5: 3/11
      [[...ORIGIN_IGP, ...attr(0x40, 2, [2, 0]), ...NEXT_HOP], 11], // segment of length 0: 3/11
      [[...ORIGIN_IGP, ...attr(0x40, 2, [2, 2, ...u32(1)]), ...NEXT_HOP], 11], // segment overrun: 3/11
      [[...ORIGIN_IGP, ...EMPTY_AS_PATH, ...attr(0x40, 3, [10, 0, 0, 1, 0])], 5], // NEXT_HOP length: 3/5
      [[...MANDATORY, ...attr(0x80, 4, [0, 0, 1])], 5], // MED length: 3/5
      [[...MANDATORY, ...attr(0x40, 5, [0, 100])], 5], // LOCAL_PREF length (iBGP): 3/5
    ];
    for (const [attributes, subcode] of cases) {
      const outcome = decode(update({ attributes, nlri: NLRI_10_233_1 }));
      expect(outcome.error).toMatchObject({ code: 3, subcode, action: 'treat-as-withdraw' });
      expect(withdrawnPrefixes(outcome)).toEqual(['10.233.1.0/24']);
    }
  });

  it('R-3f: malformed ATOMIC_AGGREGATE and AGGREGATOR are discarded; the route stays', () => {
    const outcome = decode(
      update({
        attributes: [...MANDATORY, ...attr(0x40, 6, [1]), ...attr(0xc0, 7, [...u32(64512), 10, 0, 0])],
        nlri: NLRI_10_233_1,
      }),
    );
    expect(outcome.action).toBe('attribute-discard');
    expect(outcome.update?.attributes.atomicAggregate).toBeUndefined();
    expect(outcome.update?.attributes.aggregator).toBeUndefined();
    expect(routeChanges(outcome.update as UpdateMessage, false).announced.flatMap(prefixesToStrings)).toEqual(
      ['10.233.1.0/24'],
    );
  });

  it('R-3g1: a second MP_REACH_NLRI or MP_UNREACH_NLRI resets the session with 3/1', () => {
    expect(
      decode(update({ attributes: [...ORIGIN_IGP, ...EMPTY_AS_PATH, ...MP_REACH_V6, ...MP_REACH_V6] })).error,
    ).toMatchObject({
      code: 3,
      subcode: 1,
      action: 'session-reset',
    });
    const unreach = attr(0x80, 15, [0, 2, 1]);
    expect(decode(update({ attributes: [...unreach, ...unreach] })).error).toMatchObject({
      code: 3,
      subcode: 1,
      action: 'session-reset',
    });
  });

  it('R-3g2: any other repeated attribute keeps the first occurrence, the rest discarded', () => {
    const first = attr(0xc0, 8, u32(0xfc000064));
    const second = attr(0xc0, 8, u32(0xfc0000c8));
    const outcome = decode(update({ attributes: [...MANDATORY, ...first, ...second], nlri: NLRI_10_233_1 }));
    expect(outcome.action).toBe('attribute-discard');
    expect(outcome.update?.attributes.communities).toEqual([0xfc000064]);
  });

  it('R-3h: with several errors the strongest action applies', () => {
    const outcome = decode(
      update({
        attributes: [...MANDATORY, ...attr(0x40, 6, [1]), ...attr(0x80, 4, [1])],
        nlri: NLRI_10_233_1,
      }),
    );
    expect(outcome.action).toBe('treat-as-withdraw');
  });

  it('R-3i: a malformed Withdrawn Routes field resets with 3/10', () => {
    expect(decode(update({ withdrawn: [33, 10, 0, 0, 0, 0] })).error).toMatchObject({
      code: 3,
      subcode: 10,
      action: 'session-reset',
    });
    expect(decode(update({ withdrawn: [24, 10, 0] })).error).toMatchObject({
      code: 3,
      subcode: 10,
      action: 'session-reset',
    });
  });

  it('R-3j/R-5.3a: an NLRI field that does not parse resets with 3/10 (nothing to withdraw)', () => {
    expect(decode(update({ attributes: MANDATORY, nlri: [33, 10, 0, 0, 0, 0] })).error).toMatchObject({
      code: 3,
      subcode: 10,
      action: 'session-reset',
    });
    expect(decode(update({ attributes: MANDATORY, nlri: [24, 10, 233] })).error).toMatchObject({
      code: 3,
      subcode: 10,
    });
  });
});

describe('RFC 7606 §4 (attribute lengths)', () => {
  it('R-4a: an attribute overrunning Total Path Attribute Length is treat-as-withdraw; NLRI located by the total', () => {
    const attributes = [...MANDATORY, 0xc0, 8, 40, ...u32(1)]; // COMMUNITIES claims 40 octets, has 4
    const outcome = decode(update({ attributes, nlri: NLRI_10_233_1 }));
    expect(outcome.error).toMatchObject({ code: 3, subcode: 5, action: 'treat-as-withdraw' });
    expect(withdrawnPrefixes(outcome)).toEqual(['10.233.1.0/24']);
  });

  it('R-4b: fewer than 3 octets left for an attribute header is treat-as-withdraw', () => {
    const outcome = decode(update({ attributes: [...MANDATORY, 0xc0, 8], nlri: NLRI_10_233_1 }));
    expect(outcome.error).toMatchObject({ code: 3, subcode: 1, action: 'treat-as-withdraw' });
    expect(withdrawnPrefixes(outcome)).toEqual(['10.233.1.0/24']);
  });

  it('R-4c: zero length is valid only for AS_PATH and ATOMIC_AGGREGATE; otherwise the attribute rule applies', () => {
    expect(
      decode(update({ attributes: [...MANDATORY, ...attr(0x40, 6, [])], nlri: NLRI_10_233_1 })).error,
    ).toBeNull();
    expect(
      decode(update({ attributes: [...MANDATORY, ...attr(0xc0, 8, [])], nlri: NLRI_10_233_1 })).action,
    ).toBe('treat-as-withdraw');
    expect(
      decode(update({ attributes: [...MANDATORY, ...attr(0x80, 4, [])], nlri: NLRI_10_233_1 })).action,
    ).toBe('treat-as-withdraw');
    expect(
      decode(update({ attributes: [...MANDATORY, ...attr(0xc0, 7, [])], nlri: NLRI_10_233_1 })).action,
    ).toBe('attribute-discard');
    expect(
      decode(update({ attributes: [...ORIGIN_IGP, ...EMPTY_AS_PATH, ...attr(0x80, 14, [])] })).action,
    ).toBe('session-reset');
  });
});

describe('RFC 7606 §5 (NLRI)', () => {
  it('R-5.2: attributes, no reachable NLRI and an error stronger than discard: session reset', () => {
    const outcome = decode(
      update({ withdrawn: [24, 10, 0, 0], attributes: [...attr(0x40, 1, [9]), ...EMPTY_AS_PATH] }),
    );
    expect(outcome.error).toMatchObject({ code: 3, subcode: 6, action: 'session-reset' });
  });

  it('R-5.2b: valid attributes and no NLRI are a valid UPDATE', () => {
    const outcome = decode(update({ attributes: MANDATORY }));
    expect(outcome.error).toBeNull();
    expect(outcome.update?.attributes.origin).toBe(0);
  });

  it('R-5.2c: End-of-RIB for IPv4 and IPv6 (also with an extended-length MP_UNREACH)', () => {
    const v4 = decode(update({}));
    expect(endOfRibFamily(v4.update as UpdateMessage)).toEqual({ afi: 1, safi: 1 });
    const v6 = decode(update({ attributes: attr(0x80, 15, [0, 2, 1]) }));
    expect(endOfRibFamily(v6.update as UpdateMessage)).toEqual({ afi: 2, safi: 1 });
    const v6Extended = decode(update({ attributes: attr(0x90, 15, [0, 2, 1], true) }));
    expect(endOfRibFamily(v6Extended.update as UpdateMessage)).toEqual({ afi: 2, safi: 1 });
    expect(hex(encodeMessage(v6.update as UpdateMessage))).toBe(
      'ffffffffffffffffffffffffffffffff001d0200000006800f03000201',
    );
  });

  it('R-5.3b: an MP_REACH prefix longer than the family allows resets with 3/9 and the attribute', () => {
    const bad = attr(0x80, 14, [
      0,
      2,
      1,
      16,
      ...new Array<number>(16).fill(0xfd),
      0,
      129,
      ...new Array<number>(17).fill(0),
    ]);
    const outcome = decode(update({ attributes: [...ORIGIN_IGP, ...EMPTY_AS_PATH, ...bad] }));
    expect(outcome.error).toMatchObject({ code: 3, subcode: 9, action: 'session-reset' });
    expect(hex(outcome.error?.data ?? new Uint8Array())).toBe(hex(Uint8Array.from(bad)));
  });

  it('R-5.3d / §7.11: MP_REACH shorter than 5 or with a next hop length wrong for the family resets with 3/9', () => {
    expect(
      decode(update({ attributes: [...ORIGIN_IGP, ...EMPTY_AS_PATH, ...attr(0x80, 14, [0, 2, 1, 0])] }))
        .error,
    ).toMatchObject({
      code: 3,
      subcode: 9,
      action: 'session-reset',
    });
    const nextHop5 = attr(0x80, 14, [0, 2, 1, 5, 1, 2, 3, 4, 5, 0]);
    expect(
      decode(update({ attributes: [...ORIGIN_IGP, ...EMPTY_AS_PATH, ...nextHop5] })).error,
    ).toMatchObject({ code: 3, subcode: 9 });
    expect(decode(update({ attributes: attr(0x80, 15, [0, 2]) })).error).toMatchObject({
      code: 3,
      subcode: 9,
      action: 'session-reset',
    });
  });

  it('RFC 2545 §3: a 32-octet IPv6 next hop carries the global and the link-local address', () => {
    const linkLocal = [0xfe, 0x80, ...new Array<number>(13).fill(0), 2];
    const mp = attr(0x80, 14, [
      0,
      2,
      1,
      32,
      0xfd,
      ...new Array<number>(14).fill(0),
      1,
      ...linkLocal,
      0,
      48,
      0x20,
      0x01,
      0x0d,
      0xb8,
      0,
      1,
    ]);
    const outcome = decode(update({ attributes: [...mp, ...ORIGIN_IGP, ...EMPTY_AS_PATH] }));
    expect(outcome.update?.attributes.mpReach?.nextHops).toEqual(['fd00::1', 'fe80::2']);
    expect(
      prefixesToStrings(
        outcome.update?.attributes.mpReach?.prefixes ?? {
          afi: 2,
          count: 0,
          lengths: new Uint8Array(),
          words: new Uint32Array(),
          pathIds: null,
        },
      ),
    ).toEqual(['2001:db8:1::/48']);
  });

  it('D15: a NEXT_HOP of the wrong length is treat-as-withdraw even when only MP_REACH carries NLRI', () => {
    const outcome = decode(
      update({ attributes: [...MP_REACH_V6, ...ORIGIN_IGP, ...EMPTY_AS_PATH, ...attr(0x40, 3, [1, 2, 3])] }),
    );
    expect(outcome.action).toBe('treat-as-withdraw');
    expect(withdrawnPrefixes(outcome)).toEqual(['fd00:233:1::/64']);
  });
});

describe('RFC 7606 §7 per attribute', () => {
  it('§7.3: NEXT_HOP 0.0.0.0, multicast or class E is treat-as-withdraw with 3/8', () => {
    for (const hop of [
      [0, 0, 0, 0],
      [224, 0, 0, 5],
      [255, 255, 255, 255],
    ]) {
      const outcome = decode(
        update({ attributes: [...ORIGIN_IGP, ...EMPTY_AS_PATH, ...attr(0x40, 3, hop)], nlri: NLRI_10_233_1 }),
      );
      expect(outcome.error).toMatchObject({ code: 3, subcode: 8, action: 'treat-as-withdraw' });
    }
  });

  it('§7.5: LOCAL_PREF from an external neighbor is discarded, whatever it holds', () => {
    const outcome = decode(
      update({ attributes: [...MANDATORY, ...attr(0x40, 5, u32(500))], nlri: NLRI_10_233_1 }),
      ebgp,
    );
    expect(outcome.action).toBe('attribute-discard');
    expect(outcome.update?.attributes.localPref).toBeUndefined();
    expect(
      decode(update({ attributes: [...MANDATORY, ...attr(0x40, 5, [1])], nlri: NLRI_10_233_1 }), ebgp).action,
    ).toBe('attribute-discard');
  });

  it('§7.8, §7.14, RFC 8092 §6: communities of a bad length are treat-as-withdraw with 3/9', () => {
    for (const bad of [
      attr(0xc0, 8, [1, 2, 3, 4, 5, 6]),
      attr(0xc0, 16, new Array<number>(12).fill(0)),
      attr(0xc0, 32, new Array<number>(10).fill(0)),
    ]) {
      const outcome = decode(update({ attributes: [...MANDATORY, ...bad], nlri: NLRI_10_233_1 }));
      expect(outcome.error).toMatchObject({ code: 3, subcode: 9, action: 'treat-as-withdraw' });
      expect(hex(outcome.error?.data ?? new Uint8Array())).toBe(hex(Uint8Array.from(bad)));
    }
  });

  it('§7.9, §7.10: ORIGINATOR_ID and CLUSTER_LIST: discarded from eBGP, treat-as-withdraw when malformed on iBGP', () => {
    const originator = attr(0x80, 9, [10, 0, 0, 9]);
    const cluster = attr(0x80, 10, [10, 0, 0, 1]);
    const fromEbgp = decode(
      update({ attributes: [...MANDATORY, ...originator, ...cluster], nlri: NLRI_10_233_1 }),
      ebgp,
    );
    expect(fromEbgp.action).toBe('attribute-discard');
    expect(fromEbgp.update?.attributes.originatorId).toBeUndefined();
    expect(fromEbgp.update?.attributes.clusterList).toBeUndefined();
    const fromIbgp = decode(
      update({ attributes: [...MANDATORY, ...originator, ...cluster], nlri: NLRI_10_233_1 }),
      ibgp,
    );
    expect(fromIbgp.update?.attributes).toMatchObject({
      originatorId: '10.0.0.9',
      clusterList: ['10.0.0.1'],
    });
    expect(
      decode(update({ attributes: [...MANDATORY, ...attr(0x80, 9, [1, 2])], nlri: NLRI_10_233_1 })).action,
    ).toBe('treat-as-withdraw');
    expect(
      decode(
        update({ attributes: [...MANDATORY, ...attr(0x80, 10, [1, 2, 3, 4, 5, 6])], nlri: NLRI_10_233_1 }),
      ).action,
    ).toBe('treat-as-withdraw');
  });

  it('RFC 6793 §6: a malformed AS4_PATH or AS4_AGGREGATOR is discarded; confederation segments in AS4_PATH are dropped', () => {
    const old = codecContext({ asn4: false });
    const twoOctetPath = attr(0x40, 2, [2, 2, ...u16(65001), ...u16(23456)]);
    const malformed = decode(
      update({
        attributes: [...ORIGIN_IGP, ...twoOctetPath, ...NEXT_HOP, ...attr(0xc0, 17, [2, 3, 0, 0])],
        nlri: NLRI_10_233_1,
      }),
      old,
    );
    expect(malformed.action).toBe('attribute-discard');
    expect(malformed.update?.attributes.as4Path).toBeUndefined();
    const aggregator4 = decode(
      update({ attributes: [...MANDATORY, ...attr(0xc0, 18, [1, 2, 3, 4, 5, 6])], nlri: NLRI_10_233_1 }),
      old,
    );
    expect(aggregator4.action).toBe('attribute-discard');
    const confed = attr(0xc0, 17, [3, 1, ...u32(65100), 2, 1, ...u32(4200000001)]);
    const stripped = decode(
      update({ attributes: [...ORIGIN_IGP, ...twoOctetPath, ...NEXT_HOP, ...confed], nlri: NLRI_10_233_1 }),
      old,
    );
    expect(stripped.error).toBeNull();
    expect(stripped.update?.attributes.as4Path).toEqual([{ type: 2, asns: [4200000001] }]);
  });

  it('RFC 7607: AS 0 in AS_PATH is treat-as-withdraw (3/11); in AGGREGATOR it is discarded', () => {
    const zeroPath = decode(
      update({
        attributes: [...ORIGIN_IGP, ...attr(0x40, 2, [2, 1, ...u32(0)]), ...NEXT_HOP],
        nlri: NLRI_10_233_1,
      }),
    );
    expect(zeroPath.error).toMatchObject({ code: 3, subcode: 11, action: 'treat-as-withdraw' });
    const zeroAggregator = decode(
      update({ attributes: [...MANDATORY, ...attr(0xc0, 7, [...u32(0), 10, 0, 0, 1])], nlri: NLRI_10_233_1 }),
    );
    expect(zeroAggregator.action).toBe('attribute-discard');
  });

  it('D1: an unrecognized well-known attribute resets with 3/2 and the attribute as data', () => {
    const unknown = attr(0x40, 99, [1, 2]);
    const outcome = decode(update({ attributes: [...MANDATORY, ...unknown], nlri: NLRI_10_233_1 }));
    expect(outcome.error).toMatchObject({ code: 3, subcode: 2, action: 'session-reset' });
    expect(hex(outcome.error?.data ?? new Uint8Array())).toBe(hex(Uint8Array.from(unknown)));
  });

  it('RFC 4271 §5: unknown optional attributes are kept; passed on only if transitive, with Partial set', () => {
    const transitive = attr(0xc0, 99, [1, 2, 3]);
    const nonTransitive = attr(0x80, 98, [4]);
    const bytes = update({
      attributes: [...MANDATORY, ...transitive, ...nonTransitive],
      nlri: NLRI_10_233_1,
    });
    const outcome = decode(bytes);
    expect(outcome.error).toBeNull();
    expect(outcome.update?.attributes.unknown).toEqual([
      { code: 99, flags: 0xc0, data: Uint8Array.of(1, 2, 3) },
      { code: 98, flags: 0x80, data: Uint8Array.of(4) },
    ]);
    // Decoded messages re-encode byte for byte ...
    expect(hex(encodeMessage(outcome.update as UpdateMessage, ibgp))).toBe(hex(bytes));
    // ... and what is passed on to another peer carries only the transitive one, Partial set.
    const passedOn = forPropagation((outcome.update as UpdateMessage).attributes);
    expect(passedOn.unknown).toEqual([{ code: 99, flags: 0xe0, data: Uint8Array.of(1, 2, 3) }]);
    const reencoded = encodeMessage({ ...(outcome.update as UpdateMessage), attributes: passedOn }, ibgp);
    expect(hex(reencoded)).toContain('e0630301020' + '3');
  });
});

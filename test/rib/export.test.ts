import { describe, expect, it } from 'vitest';
import type { PathAttributes } from '../../src/bgp/codec/attribute-types.js';
import { WellKnownCommunity } from '../../src/bgp/codec/iana.js';
import { AttributeStore } from '../../src/rib/attribute-store.js';
import { type ExportContext, type Exported, type ExportTarget, exportRoute } from '../../src/rib/export.js';
import { ACCEPT_ALL, compilePolicy } from '../../src/rib/policy.js';
import { LOCAL_SOURCE, type Source } from '../../src/rib/rib.js';

const store = new AttributeStore();
const context: ExportContext = { localAsn: 64512, localRouterId: 0x0a000001, clusterId: 0x0a0000fe };

function source(id: number, external: boolean, rrClient = false): Source {
  return {
    id,
    info: {
      address: `192.0.2.${id}`,
      asn: external ? 65001 : 64512,
      routerId: 0xc0000200 + id,
      external,
      routeReflectorClient: rrClient,
      importPolicy: ACCEPT_ALL,
    },
    addressKey: '',
    received: [0, 0],
    accepted: [0, 0],
  };
}

function target(extra: Partial<ExportTarget> = {}): ExportTarget {
  return {
    sourceId: 99,
    external: false,
    routeReflectorClient: false,
    asn4: true,
    nextHopSelf: false,
    localNextHops: { ipv4: '172.18.8.101', ipv6: 'fd00:18:8::101', ipv6LinkLocal: 'fe80::1' },
    policy: ACCEPT_ALL,
    ...extra,
  };
}

const prefix = { afi: 1, words: [0x0ae90100], at: 0, length: 24 };
const route = (attributes: PathAttributes, nextHop: string | null = '192.0.2.1') =>
  store.intern({ origin: 0, asPath: [{ type: 2, asns: [65001] }], ...attributes }, nextHop);

function sent(result: Exported): PathAttributes {
  if (!result.advertise) throw new Error(`not advertised: ${result.reason}`);
  return result.attributes;
}

describe('export rules', () => {
  it('never sends a route back to the peer it came from', () => {
    expect(
      exportRoute(context, target({ sourceId: 1 }), 'ipv4-unicast', prefix, route({}), source(1, false)),
    ).toEqual({ advertise: false, reason: 'from-this-peer' });
  });

  it('NO_ADVERTISE goes nowhere; NO_EXPORT stays inside the AS (RFC 1997)', () => {
    const noAdvertise = route({ communities: [WellKnownCommunity.noAdvertise] });
    expect(
      exportRoute(context, target(), 'ipv4-unicast', prefix, noAdvertise, source(1, true)),
    ).toMatchObject({ advertise: false, reason: 'no-advertise' });
    const noExport = route({ communities: [WellKnownCommunity.noExport] });
    expect(
      exportRoute(context, target({ external: true }), 'ipv4-unicast', prefix, noExport, source(1, false)),
    ).toMatchObject({ advertise: false, reason: 'no-export' });
    expect(exportRoute(context, target(), 'ipv4-unicast', prefix, noExport, source(1, true)).advertise).toBe(
      true,
    );
  });

  it('iBGP split horizon, and route reflection to clients with ORIGINATOR_ID and CLUSTER_LIST (RFC 4456)', () => {
    const learned = route({ localPref: 150 });
    expect(exportRoute(context, target(), 'ipv4-unicast', prefix, learned, source(1, false))).toMatchObject({
      advertise: false,
      reason: 'ibgp-split-horizon',
    });
    const toClient = sent(
      exportRoute(
        context,
        target({ routeReflectorClient: true }),
        'ipv4-unicast',
        prefix,
        learned,
        source(1, false),
      ),
    );
    expect(toClient).toMatchObject({
      originatorId: '192.0.2.1',
      clusterList: ['10.0.0.254'],
      localPref: 150,
      nextHop: '192.0.2.1',
    });
    // From a client to a non-client; an existing ORIGINATOR_ID is kept and our cluster prepended.
    const reflectedTwice = route({ originatorId: '10.9.9.9', clusterList: ['10.1.1.1'] });
    expect(
      sent(exportRoute(context, target(), 'ipv4-unicast', prefix, reflectedTwice, source(1, false, true))),
    ).toMatchObject({
      originatorId: '10.9.9.9',
      clusterList: ['10.0.0.254', '10.1.1.1'],
    });
  });

  it('eBGP: prepends our AS, next hop self, no LOCAL_PREF, no MED from another AS, no RR attributes', () => {
    const learned = route({
      localPref: 150,
      med: 7,
      originatorId: '10.9.9.9',
      clusterList: ['10.1.1.1'],
      asPath: [{ type: 2, asns: [65010, 65011] }],
    });
    const out = sent(
      exportRoute(context, target({ external: true }), 'ipv4-unicast', prefix, learned, source(1, true)),
    );
    expect(out).toMatchObject({
      asPath: [{ type: 2, asns: [64512, 65010, 65011] }],
      nextHop: '172.18.8.101',
    });
    expect(out.localPref).toBeUndefined();
    expect(out.med).toBeUndefined();
    expect(out.originatorId).toBeUndefined();
    expect(out.clusterList).toBeUndefined();
    // A MED we set locally is sent.
    const local = store.intern({ origin: 0, asPath: [], med: 20 }, null);
    expect(
      sent(
        exportRoute(
          context,
          target({ external: true }),
          'ipv4-unicast',
          prefix,
          local,
          source(LOCAL_SOURCE, false),
        ),
      ),
    ).toMatchObject({
      med: 20,
      asPath: [{ type: 2, asns: [64512] }],
    });
  });

  it('iBGP keeps the next hop of learned routes; local routes go with "self" unless a next hop is configured', () => {
    expect(
      sent(exportRoute(context, target(), 'ipv4-unicast', prefix, route({}), source(1, true))).nextHop,
    ).toBe('192.0.2.1');
    const local = store.intern({ origin: 0, asPath: [] }, null);
    expect(
      sent(exportRoute(context, target(), 'ipv4-unicast', prefix, local, source(LOCAL_SOURCE, false)))
        .nextHop,
    ).toBe('172.18.8.101');
    expect(
      sent(
        exportRoute(
          context,
          target({ nextHopSelf: true }),
          'ipv4-unicast',
          prefix,
          route({}),
          source(1, true),
        ),
      ).nextHop,
    ).toBe('172.18.8.101');
  });

  it('IPv6: global next hop, plus the link-local one towards an eBGP peer on the link (RFC 2545 §3)', () => {
    const v6prefix = { afi: 2, words: [0xfd000233, 0x00020000, 0, 0], at: 0, length: 64 };
    const local = store.intern({ origin: 0, asPath: [] }, null);
    const external = exportRoute(
      context,
      target({ external: true }),
      'ipv6-unicast',
      v6prefix,
      local,
      source(LOCAL_SOURCE, false),
    );
    expect(external.advertise && external.nextHops).toEqual(['fd00:18:8::101', 'fe80::1']);
    const internal = exportRoute(
      context,
      target(),
      'ipv6-unicast',
      v6prefix,
      local,
      source(LOCAL_SOURCE, false),
    );
    expect(internal.advertise && internal.nextHops).toEqual(['fd00:18:8::101']);
    const noV6 = exportRoute(
      context,
      target({ localNextHops: { ipv4: '172.18.8.101', ipv6: null, ipv6LinkLocal: null } }),
      'ipv6-unicast',
      v6prefix,
      local,
      source(LOCAL_SOURCE, false),
    );
    expect(noV6).toEqual({ advertise: false, reason: 'no-next-hop' });
  });

  it('a 2-octet peer gets AS_TRANS in AS_PATH and the real path in AS4_PATH (RFC 6793 §4.2.2)', () => {
    const learned = route({
      asPath: [{ type: 2, asns: [4200000001, 65010] }],
      aggregator: { asn: 4200000001, address: '10.0.0.9' },
    });
    const out = sent(
      exportRoute(
        context,
        target({ external: true, asn4: false }),
        'ipv4-unicast',
        prefix,
        learned,
        source(1, true),
      ),
    );
    expect(out.as4Path).toEqual([{ type: 2, asns: [64512, 4200000001, 65010] }]);
    expect(out.aggregator).toEqual({ asn: 23456, address: '10.0.0.9' });
    expect(out.as4Aggregator).toEqual({ asn: 4200000001, address: '10.0.0.9' });
    const small = sent(
      exportRoute(
        context,
        target({ external: true, asn4: false }),
        'ipv4-unicast',
        prefix,
        route({}),
        source(1, true),
      ),
    );
    expect(small.as4Path).toBeUndefined();
  });

  it('export policy: reject, or accept with changes (prepend, communities)', () => {
    const policy = compilePolicy([
      { prefixes: ['10.233.0.0/16 le 32'], set: { prependAs: 2, addCommunities: ['64512:7'] } },
    ]);
    const out = sent(
      exportRoute(
        context,
        target({ external: true, policy }),
        'ipv4-unicast',
        prefix,
        route({}),
        source(1, true),
      ),
    );
    expect(out.asPath).toEqual([{ type: 2, asns: [64512, 64512, 64512, 65001] }]);
    expect(out.communities).toEqual([0xfc000007]);
    const other = { afi: 1, words: [0x0a000000], at: 0, length: 8 };
    expect(
      exportRoute(context, target({ policy }), 'ipv4-unicast', other, route({}), source(1, true)),
    ).toEqual({ advertise: false, reason: 'export-policy' });
  });

  it('unknown optional transitive attributes are passed on with Partial set; non-transitive ones are not', () => {
    const learned = route({
      unknown: [
        { code: 99, flags: 0xc0, data: Uint8Array.of(1) },
        { code: 98, flags: 0x80, data: Uint8Array.of(2) },
      ],
    });
    expect(
      sent(exportRoute(context, target({ external: true }), 'ipv4-unicast', prefix, learned, source(1, true)))
        .unknown,
    ).toEqual([{ code: 99, flags: 0xe0, data: Uint8Array.of(1) }]);
  });
});

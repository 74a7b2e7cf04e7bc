// Unit tests of the lab harness's pure parts: config generation for each
// daemon, parsing of each daemon's CLI output, community normalisation.
// (The real daemons are exercised in peers.int.test.ts.)
import { describe, expect, it } from 'vitest';
import { birdConfig, birdStaticRoute, parseBirdRoutes } from '../../lab/peers/bird.js';
import {
  communityValue,
  normalizeCommunity,
  normalizeLargeCommunity,
  normalizeState,
  parseJsonStream,
} from '../../lab/peers/common.js';
import { exabgpConfig, exabgpRoute, replayExabgp } from '../../lab/peers/exabgp.js';
import { frrBgpdConfig, frrRouteMapSets, parseFrrPath } from '../../lab/peers/frr.js';
import { gobgpConfig, gobgpRouteArgs, parseGobgpRib } from '../../lab/peers/gobgp.js';
import type { PeerConfig, RouteConfig } from '../../lab/peers/types.js';
import { UnsupportedError } from '../../lab/peers/types.js';

const base: Omit<PeerConfig, 'kind'> = {
  namespace: 't0000-a',
  stateDir: '/tmp/x',
  routerId: '10.0.0.1',
  asn: 65001,
  neighbors: [
    {
      address: '10.0.0.2',
      asn: 65002,
      localAddress: '10.0.0.1',
      password: 'pw',
      passive: true,
      ttlSecurity: true,
      holdTimeSeconds: 9,
      families: ['ipv4-unicast', 'ipv6-unicast'],
      addPath: 'both',
      gracefulRestart: { restartTimeSeconds: 120 },
    },
  ],
};

describe('communities', () => {
  it('maps well-known names and numbers both ways', () => {
    expect(communityValue('blackhole')).toBe(0xffff029a);
    expect(communityValue('65535:666')).toBe(0xffff029a);
    expect(normalizeCommunity('65535:666')).toBe('blackhole');
    expect(normalizeCommunity('noExport')).toBe('no-export');
    expect(normalizeCommunity(0xffffff01)).toBe('no-export');
    expect(normalizeCommunity('(64512,100)')).toBe('64512:100');
    expect(normalizeCommunity('graceful-shutdown')).toBe('graceful-shutdown');
    expect(() => communityValue('70000:1')).toThrow();
    expect(normalizeLargeCommunity('(64512, 1, 2)')).toBe('64512:1:2');
    expect(normalizeLargeCommunity([4200000000, 1, 1])).toBe('4200000000:1:1');
  });

  it('normalises FSM state names of every daemon', () => {
    expect(normalizeState('Established')).toBe('established');
    expect(normalizeState('ESTABLISHED')).toBe('established');
    expect(normalizeState('OpenSent')).toBe('opensent');
    expect(normalizeState('up')).toBe('established');
    expect(normalizeState('down')).toBe('idle');
    expect(normalizeState('Active')).toBe('active');
  });

  it('splits concatenated JSON values (vtysh with several -c)', () => {
    expect(parseJsonStream('{"a":1}\n{"b":"}{"}\n[1,2]')).toEqual([{ a: 1 }, { b: '}{' }, [1, 2]]);
  });
});

const route: RouteConfig = {
  prefix: '10.1.0.0/24',
  communities: ['64512:100', 'blackhole'],
  largeCommunities: ['64512:1:2'],
  med: 5,
  localPref: 200,
  asPathPrepend: [65001, 65001],
};

describe('gobgp', () => {
  it('writes TOML with MD5, passive, GTSM, GR and ADD-PATH per family', () => {
    const toml = gobgpConfig({ ...base, kind: 'gobgp' });
    expect(toml).toContain('auth-password = "pw"');
    expect(toml).toContain('passive-mode = true');
    expect(toml).toContain('[neighbors.ttl-security.config]');
    expect(toml).toContain('restart-time = 120');
    expect(toml.match(/afi-safi-name/g)).toHaveLength(2);
    expect(toml).toContain('send-max = 8');
  });

  it('refuses what gobgpd cannot do', () => {
    const n = base.neighbors[0];
    if (!n) throw new Error('no neighbor');
    expect(() =>
      gobgpConfig({ ...base, kind: 'gobgp', neighbors: [{ ...n, extendedMessage: true }] }),
    ).toThrow(UnsupportedError);
    expect(() => gobgpRouteArgs({ prefix: '10.0.0.0/8', extendedCommunities: ['rt:1:1'] })).toThrow(
      UnsupportedError,
    );
  });

  it('builds rib add arguments', () => {
    expect(gobgpRouteArgs(route)).toEqual([
      '10.1.0.0/24',
      'origin',
      'igp',
      'aspath',
      '65001,65001',
      'med',
      '5',
      'local-pref',
      '200',
      'community',
      '64512:100,65535:666',
      'large-community',
      '64512:1:2',
    ]);
  });

  it('parses `gobgp global rib -j`, skipping local paths', () => {
    const json = {
      '10.1.0.0/24': [
        {
          nlri: { prefix: '10.1.0.0/24' },
          best: true,
          attrs: [
            { type: 1, value: 2 },
            { type: 2, as_paths: [{ segment_type: 2, num: 2, asns: [65002, 65003] }] },
            { type: 3, nexthop: '10.0.0.2' },
            { type: 4, metric: 10 },
            { type: 8, communities: [4227858532, 4294902426] },
            { type: 32, value: [{ ASN: 64512, LocalData1: 1, LocalData2: 2 }] },
          ],
          'neighbor-ip': '10.0.0.2',
        },
      ],
      '10.2.0.0/24': [{ nlri: { prefix: '10.2.0.0/24' }, best: true, attrs: [{ type: 1, value: 0 }] }],
    };
    expect(parseGobgpRib(json)).toEqual([
      {
        prefix: '10.1.0.0/24',
        nextHop: '10.0.0.2',
        nextHops: ['10.0.0.2'],
        asPath: [65002, 65003],
        origin: 'incomplete',
        med: 10,
        communities: ['64512:100', 'blackhole'],
        largeCommunities: ['64512:1:2'],
        extendedCommunities: [],
        best: true,
        fromNeighbor: '10.0.0.2',
      },
    ]);
  });
});

describe('frr', () => {
  it('writes route-maps and per-family neighbor settings', () => {
    const maps = new Map([
      ['10.1.0.0/24', { route: { ...route, extendedCommunities: ['rt:64512:1'] }, map: 'LAB-RT-0' }],
    ]);
    const conf = frrBgpdConfig(
      { ...base, kind: 'frr', aggregates: [{ prefix: '10.0.0.0/8', summaryOnly: true }] },
      maps,
    );
    expect(conf).toContain('route-map LAB-RT-0 permit 10');
    expect(conf).toContain(' set community 64512:100 65535:666');
    expect(conf).toContain(' set extcommunity rt 64512:1');
    expect(conf).toContain(' neighbor 10.0.0.2 password pw');
    expect(conf).toContain(' neighbor 10.0.0.2 ttl-security hops 1');
    expect(conf).toContain(' neighbor 10.0.0.2 passive');
    expect(conf).toContain(' neighbor 10.0.0.2 graceful-restart');
    expect(conf).toContain('  neighbor 10.0.0.2 addpath-tx-all-paths');
    expect(conf).toContain('  network 10.1.0.0/24 route-map LAB-RT-0');
    expect(conf).toContain('  aggregate-address 10.0.0.0/8 summary-only');
    expect(conf).toContain(' no bgp ebgp-requires-policy');
    expect(frrRouteMapSets({ prefix: '2001:db8::/32', nextHop: 'fd00::1' })).toEqual([
      'set ipv6 next-hop global fd00::1',
    ]);
  });

  it('parses one path of `show bgp <afi> <prefix> json`', () => {
    const path = {
      aspath: { segments: [{ type: 'as-sequence', list: [65002] }] },
      origin: 'IGP',
      metric: 10,
      community: { list: ['64512:100', 'blackhole', 'noExport'] },
      largeCommunity: { list: ['64512:1:2'] },
      extendedCommunity: { string: 'RT:64512:1' },
      bestpath: { overall: true },
      nexthops: [{ ip: 'fd00::2' }, { ip: 'fe80::1' }],
      peer: { peerId: '10.0.0.2' },
    };
    expect(parseFrrPath('2001:db8::/32', path)).toMatchObject({
      nextHop: 'fd00::2',
      nextHops: ['fd00::2', 'fe80::1'],
      asPath: [65002],
      origin: 'igp',
      med: 10,
      communities: ['64512:100', 'blackhole', 'no-export'],
      largeCommunities: ['64512:1:2'],
      extendedCommunities: ['rt:64512:1'],
      best: true,
      fromNeighbor: '10.0.0.2',
    });
    expect(parseFrrPath('10.0.0.0/8', { peer: { peerId: '0.0.0.0' }, sourced: true })).toBeUndefined();
  });
});

describe('bird', () => {
  it('writes static routes with attribute blocks and one bgp protocol per neighbor', () => {
    expect(birdStaticRoute(route)).toBe(
      'route 10.1.0.0/24 blackhole { bgp_origin = ORIGIN_IGP; bgp_community.add((64512,100)); bgp_community.add((65535,666)); ' +
        'bgp_large_community.add((64512,1,2)); bgp_med = 5; bgp_local_pref = 200; bgp_path.prepend(65001); bgp_path.prepend(65001); };',
    );
    const conf = birdConfig({ ...base, kind: 'bird', installFib: true, hostname: 'h' }, [route]);
    expect(conf).toContain('protocol bgp n0 {');
    expect(conf).toContain('password "pw";');
    expect(conf).toContain('ttl security on;');
    expect(conf).toContain('passive on;');
    expect(conf).toContain('add paths on;');
    expect(conf).toContain('advertise hostname on;');
    expect(conf).toContain('protocol kernel kernel4');
  });

  it('parses `birdc show route all`', () => {
    const text = [
      'BIRD 2.0.12 ready.',
      'Table master4:',
      '10.1.0.0/24          unicast [n0 10:03:13.238] * (100) [AS65001?]',
      '\tvia 10.0.0.1 on eth1',
      '\tType: BGP univ',
      '\tBGP.origin: Incomplete',
      '\tBGP.as_path: 65001 65002',
      '\tBGP.next_hop: 10.0.0.1',
      '\tBGP.med: 10',
      '\tBGP.local_pref: 100',
      '\tBGP.community: (64512,100) (65535,666)',
      '\tBGP.large_community: (64512, 1, 2)',
      '\tBGP.ext_community: (rt, 64512, 1)',
      '                     unicast [n1 10:03:14.000] (100) [AS65003i]',
      '\tvia 10.0.1.1 on eth2',
      '\tBGP.origin: IGP',
      '\tBGP.as_path: 65003',
      '\tBGP.next_hop: 10.0.1.1',
      '10.2.0.0/24          blackhole [static4 10:03:12.246] * (200)',
      '\tType: static univ',
    ].join('\n');
    const routes = parseBirdRoutes(
      text,
      new Map([
        ['n0', '10.0.0.1'],
        ['n1', '10.0.1.1'],
      ]),
    );
    expect(routes).toHaveLength(2);
    expect(routes[0]).toMatchObject({
      prefix: '10.1.0.0/24',
      best: true,
      origin: 'incomplete',
      asPath: [65001, 65002],
      med: 10,
      localPref: 100,
      communities: ['64512:100', 'blackhole'],
      largeCommunities: ['64512:1:2'],
      extendedCommunities: ['rt:64512:1'],
      fromNeighbor: '10.0.0.1',
    });
    expect(routes[1]).toMatchObject({
      prefix: '10.1.0.0/24',
      best: false,
      fromNeighbor: '10.0.1.1',
      nextHop: '10.0.1.1',
    });
  });
});

describe('exabgp', () => {
  it('adds its own ASN before a configured path on eBGP only', () => {
    expect(exabgpRoute({ prefix: '10.0.0.0/8', asPathPrepend: [65099] }, undefined, 65001)).toContain(
      'as-path [ 65001 65099 ]',
    );
    expect(exabgpRoute({ prefix: '10.0.0.0/8', asPathPrepend: [65099] })).toContain('as-path [ 65099 ]');
    expect(exabgpRoute({ prefix: '2001:db8::/32' }, 'fd00::1')).toBe(
      '2001:db8::/32 next-hop fd00::1 origin igp',
    );
  });

  it('writes capabilities and the API process', () => {
    const n = base.neighbors[0];
    if (!n) throw new Error('no neighbor');
    const conf = exabgpConfig({ ...base, kind: 'exabgp', neighbors: [{ ...n, asn4: false }] }, [route]);
    expect(conf).toContain('process lab {');
    expect(conf).toContain('asn4 disable;');
    expect(conf).toContain('add-path send/receive;');
    expect(conf).toContain('md5-password "pw";');
    expect(conf).toContain('receive { parsed; packets; consolidate; open; update; notification; refresh; }');
  });

  it('replays API JSON into session states and a RIB', () => {
    const neighbor = { address: { local: '10.0.0.2', peer: '10.0.0.1' }, direction: 'receive' };
    const { states, rib } = replayExabgp([
      { type: 'state', neighbor: { ...neighbor, state: 'up' } },
      {
        type: 'update',
        neighbor: {
          ...neighbor,
          message: {
            update: {
              attribute: {
                origin: 'igp',
                'as-path': [65001],
                community: [[64512, 100]],
                'large-community': [[1, 2, 3]],
              },
              announce: {
                'ipv4 unicast': { '10.0.0.1': [{ nlri: '10.1.0.0/24' }, { nlri: '10.2.0.0/24' }] },
              },
            },
          },
        },
      },
      {
        type: 'update',
        neighbor: {
          ...neighbor,
          message: { update: { withdraw: { 'ipv4 unicast': [{ nlri: '10.2.0.0/24' }] } } },
        },
      },
    ]);
    expect(states.get('10.0.0.1')).toBe('up');
    expect([...rib.values()].map((e) => e.route)).toEqual([
      {
        prefix: '10.1.0.0/24',
        nextHop: '10.0.0.1',
        nextHops: ['10.0.0.1'],
        asPath: [65001],
        origin: 'igp',
        communities: ['64512:100'],
        largeCommunities: ['1:2:3'],
        extendedCommunities: [],
        best: true,
        fromNeighbor: '10.0.0.1',
      },
    ]);
  });
});

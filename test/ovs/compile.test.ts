// Next hops -> OpenFlow actions without OVS: routed and tunnel actions, ECMP
// select groups, blackhole, the reasons a next-hop set cannot be programmed,
// and the cookie-derived group id range.
import { describe, expect, it } from 'vitest';
import type { FibRoute } from '../../src/fib/types.js';
import {
  type CompileConfig,
  type Compiled,
  type CompileFacts,
  compileNextHopSet,
  GroupIdAllocator,
  groupIdRange,
  isEcmp,
  nextHopSetKey,
  sameCompiled,
} from '../../src/ovs/compile.js';
import { formatInstructions } from '../../src/ovs/openflow/actions.js';
import { decodeInstructions } from '../../src/ovs/openflow/messages.js';
import type { OvsPort } from '../../src/ovs/ovsdb/facts.js';

const ports = new Map<string, OvsPort>([
  ['br0', { name: 'br0', ofport: 65534, mac: '8a:09:c8:f4:c4:00', type: 'internal' }],
  ['eth1', { name: 'eth1', ofport: 1, mac: '8a:09:c8:f4:c4:06', type: '' }],
  ['eth2', { name: 'eth2', ofport: 2, mac: '8a:09:c8:f4:c4:07', type: '' }],
  ['vx0', { name: 'vx0', ofport: 10, mac: 'c6:12:f4:97:52:9a', type: 'vxlan' }],
  ['pending', { name: 'pending', ofport: null, mac: null, type: '' }],
  ['nomac', { name: 'nomac', ofport: 3, mac: null, type: '' }],
]);
const macs: Record<string, string> = {
  '172.18.8.102': '02:00:00:00:00:02',
  '172.18.8.103': '02:00:00:00:00:03',
  'fd00:18:8::102': '02:00:00:00:00:62',
};
const facts: CompileFacts = { ports, neighborMac: (address) => macs[address] ?? null };
const routed: CompileConfig = { mode: 'routed', bridge: 'br0', uplinkPort: 'eth1', tunnelPort: null };
const tunnel: CompileConfig = { mode: 'tunnel', bridge: 'br0', uplinkPort: null, tunnelPort: 'vx0' };
const GROUP = 0xb6b00000;

function route(prefix: string, nextHops: string[], blackhole = false): FibRoute {
  return {
    version: prefix.includes(':') ? 6 : 4,
    prefix,
    nextHops: nextHops.map((hop) => {
      const [address = '', interfaceName] = hop.split('%');
      return interfaceName === undefined ? { address } : { address, interfaceName };
    }),
    blackhole,
  };
}

function compile(config: CompileConfig, r: FibRoute, factsOf: CompileFacts = facts): Compiled {
  return compileNextHopSet(
    { key: nextHopSetKey(r), nextHops: r.nextHops, blackhole: r.blackhole },
    config,
    factsOf,
    isEcmp(r) ? GROUP : null,
  );
}

/** The actions text, checked against the encoded instructions read back. */
function actions(compiled: Compiled): string {
  if (!compiled.ok) throw new Error(compiled.reason);
  const decoded = decodeInstructions(compiled.instructions);
  if (!decoded.ok) throw new Error(decoded.error);
  expect(formatInstructions(decoded.value)).toBe(compiled.text);
  return compiled.text;
}

describe('next-hop sets', () => {
  it('are keyed by blackhole, one address, or the sorted addresses (with interfaces)', () => {
    expect(nextHopSetKey(route('10.0.0.0/8', [], true))).toBe('blackhole');
    expect(nextHopSetKey(route('10.0.0.0/8', ['172.18.8.102']))).toBe('172.18.8.102');
    expect(nextHopSetKey(route('10.0.0.0/8', ['172.18.8.103', '172.18.8.102%eth2']))).toBe(
      '172.18.8.102%eth2,172.18.8.103',
    );
    expect(nextHopSetKey(route('10.0.0.0/8', ['b', 'a']))).toBe(
      nextHopSetKey(route('10.1.0.0/16', ['a', 'b'])),
    );
    expect(isEcmp(route('10.0.0.0/8', ['a', 'b']))).toBe(true);
    expect(isEcmp(route('10.0.0.0/8', ['a']))).toBe(false);
  });
});

describe('routed mode', () => {
  it('one next hop: port MAC as source, neighbour MAC as destination, dec_ttl, output to the uplink', () => {
    const compiled = compile(routed, route('10.233.2.0/24', ['172.18.8.102']));
    expect(actions(compiled)).toBe(
      'set_field:8a:09:c8:f4:c4:06->eth_src,set_field:02:00:00:00:00:02->eth_dst,dec_ttl,output:1',
    );
    expect(compiled).toMatchObject({ groupId: null, group: null });
  });

  it('a next hop whose interface is a bridge port goes out of that port', () => {
    expect(actions(compile(routed, route('10.233.2.0/24', ['172.18.8.102%eth2'])))).toBe(
      'set_field:8a:09:c8:f4:c4:07->eth_src,set_field:02:00:00:00:00:02->eth_dst,dec_ttl,output:2',
    );
  });

  it('no uplink port: the bridge MAC as source, the neighbour MAC, and NORMAL finds the port', () => {
    const normal = { ...routed, uplinkPort: null };
    expect(actions(compile(normal, route('10.233.2.0/24', ['172.18.8.102'])))).toBe(
      'set_field:8a:09:c8:f4:c4:00->eth_src,set_field:02:00:00:00:00:02->eth_dst,dec_ttl,NORMAL',
    );
    // A next hop whose interface is a bridge port still goes out of that port.
    expect(actions(compile(normal, route('10.233.2.0/24', ['172.18.8.102%eth2'])))).toBe(
      'set_field:8a:09:c8:f4:c4:07->eth_src,set_field:02:00:00:00:00:02->eth_dst,dec_ttl,output:2',
    );
  });

  it('ECMP: dec_ttl then a select group with one bucket per next hop, in a stable order', () => {
    const a = compile(routed, route('10.233.3.0/24', ['172.18.8.103', '172.18.8.102']));
    const b = compile(routed, route('10.233.4.0/24', ['172.18.8.102', '172.18.8.103']));
    expect(actions(a)).toBe(`dec_ttl,group:${GROUP}`);
    if (!a.ok) throw new Error('not compiled');
    expect(a.groupId).toBe(GROUP);
    expect(a.group?.text).toBe(
      'bucket=weight:1,actions=set_field:8a:09:c8:f4:c4:06->eth_src,set_field:02:00:00:00:00:02->eth_dst,output:1;' +
        'bucket=weight:1,actions=set_field:8a:09:c8:f4:c4:06->eth_src,set_field:02:00:00:00:00:03->eth_dst,output:1',
    );
    expect(sameCompiled(a, b)).toBe(true);
  });

  it('ECMP with one unresolved next hop keeps the resolved buckets', () => {
    const compiled = compile(routed, route('10.233.3.0/24', ['172.18.8.102', '172.18.8.199']));
    expect(compiled.ok && compiled.group?.buckets).toHaveLength(1);
  });

  it('says why a next-hop set cannot be programmed', () => {
    const cases: [CompileConfig, FibRoute, RegExp][] = [
      [routed, route('10.233.2.0/24', ['172.18.8.199']), /172.18.8.199: no MAC in the neighbour table/],
      [
        { ...routed, uplinkPort: null, bridge: 'br-none' },
        route('10.233.2.0/24', ['172.18.8.102']),
        /bridge br-none: its LOCAL interface has no MAC/,
      ],
      [{ ...routed, uplinkPort: null }, route('10.233.2.0/24', ['172.18.8.199']), /172.18.8.199: no MAC/],
      [
        { ...routed, uplinkPort: 'absent' },
        route('10.233.2.0/24', ['172.18.8.102']),
        /absent is not on the bridge/,
      ],
      [
        { ...routed, uplinkPort: 'pending' },
        route('10.233.2.0/24', ['172.18.8.102']),
        /no OpenFlow port number/,
      ],
      [{ ...routed, uplinkPort: 'nomac' }, route('10.233.2.0/24', ['172.18.8.102']), /no MAC \(mac_in_use\)/],
      [routed, route('10.233.2.0/24', []), /no next hop/],
      [{ ...tunnel, tunnelPort: null }, route('10.233.2.0/24', ['172.18.8.102']), /needs fib.ovs.tunnelPort/],
      [
        { ...tunnel, tunnelPort: 'vx9' },
        route('10.233.2.0/24', ['172.18.8.102']),
        /vx9 is not on the bridge/,
      ],
      [tunnel, route('10.233.2.0/24', ['not-an-address']), /bad next hop/],
      [routed, route('10.233.3.0/24', ['172.18.8.198', '172.18.8.199']), /no MAC/],
    ];
    for (const [config, r, reason] of cases) {
      const compiled = compile(config, r);
      expect(compiled.ok, `${r.prefix} ${r.nextHops.map((h) => h.address)}`).toBe(false);
      if (!compiled.ok) expect(compiled.reason).toMatch(reason);
    }
    // An ECMP set without a group id (the range is full) cannot be programmed either.
    const r = route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']);
    const noId = compileNextHopSet(
      { key: nextHopSetKey(r), nextHops: r.nextHops, blackhole: false },
      routed,
      facts,
      null,
    );
    expect(noId.ok).toBe(false);
  });
});

describe('tunnel mode', () => {
  it('sets tun_dst to the BGP next hop and outputs to the tunnel port', () => {
    expect(actions(compile(tunnel, route('10.233.2.0/24', ['172.18.8.102'])))).toBe(
      'set_field:172.18.8.102->tun_dst,output:10',
    );
  });

  it('an IPv6 next hop sets tun_ipv6_dst; ECMP buckets each set their own destination', () => {
    expect(actions(compile(tunnel, route('fd00:233:2::/64', ['fd00:18:8::102'])))).toBe(
      'set_field:fd00:18:8::102->tun_ipv6_dst,output:10',
    );
    const ecmp = compile(tunnel, route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']));
    expect(actions(ecmp)).toBe(`group:${GROUP}`);
    expect(ecmp.ok && ecmp.group?.text).toBe(
      'bucket=weight:1,actions=set_field:172.18.8.102->tun_dst,output:10;bucket=weight:1,actions=set_field:172.18.8.103->tun_dst,output:10',
    );
  });

  it('needs no neighbour MACs', () => {
    const noMacs: CompileFacts = { ports, neighborMac: () => null };
    expect(compile(tunnel, route('10.233.2.0/24', ['172.18.8.199']), noMacs).ok).toBe(true);
  });
});

describe('blackhole', () => {
  it('drops: no instructions at all, whatever the mode and next hops', () => {
    for (const config of [routed, tunnel]) {
      const compiled = compile(config, route('10.233.9.0/24', [], true));
      expect(actions(compiled)).toBe('drop');
      expect(compiled.ok && compiled.instructions.length).toBe(0);
    }
  });
});

describe('sameCompiled', () => {
  it('compares what the bridge would see: actions, group id and buckets, or the reason', () => {
    const a = compile(routed, route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']));
    const moved = compile(routed, route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']), {
      ports,
      neighborMac: (address) => (address === '172.18.8.103' ? '02:00:00:00:00:33' : (macs[address] ?? null)),
    });
    expect(sameCompiled(a, moved)).toBe(false);
    expect(sameCompiled({ ok: false, reason: 'x' }, { ok: false, reason: 'x' })).toBe(true);
    expect(sameCompiled(a, null)).toBe(false);
  });
});

describe('group ids', () => {
  it('come from a 65,536-id range under the cookie, are stable per key and reused after release', () => {
    expect(groupIdRange(0xb6b0000000000000n)).toEqual({ first: 0xb6b00000, last: 0xb6b0ffff });
    expect(groupIdRange(0xffff000000000000n).last).toBe(0xffffff00); // below OFPG_MAX
    const allocator = new GroupIdAllocator({ first: 100, last: 102 });
    expect([allocator.acquire('a'), allocator.acquire('b'), allocator.acquire('a')]).toEqual([100, 101, 100]);
    expect(allocator.acquire('c')).toBe(102);
    expect(allocator.acquire('d')).toBeNull();
    allocator.release('b');
    expect(allocator.acquire('d')).toBe(101);
    expect(allocator.size).toBe(3);
    expect(allocator.contains(102)).toBe(true);
    expect(allocator.contains(103)).toBe(false);
  });
});

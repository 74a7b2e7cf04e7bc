// Route -> flow compilation without OVS: routed and tunnel actions, ECMP
// select groups shared by next-hop set, blackhole, priorities by prefix
// length, the reasons a route cannot be programmed, matches read back from
// dumps, cookie-derived group ids.
import { describe, expect, it } from 'vitest';
import type { FibRoute } from '../../src/fib/types.js';
import {
  type CompileConfig,
  type CompileFacts,
  Compiler,
  GroupIdAllocator,
  groupIdRange,
  matchOfPrefix,
  parsePrefix,
  prefixMatch,
  prefixMatchText,
  prefixOfMatch,
  prefixOfRawMatch,
  priorityFor,
} from '../../src/ovs/compile.js';
import { ByteWriter } from '../../src/ovs/openflow/buffer.js';
import { formatMatch, writeOxm } from '../../src/ovs/openflow/oxm.js';
import type { OvsPort } from '../../src/ovs/ovsdb/facts.js';

const ports = new Map<string, OvsPort>([
  ['eth1', { name: 'eth1', ofport: 1, mac: '8a:09:c8:f4:c4:06', type: '' }],
  ['eth2', { name: 'eth2', ofport: 2, mac: '8a:09:c8:f4:c4:07', type: '' }],
  ['vx0', { name: 'vx0', ofport: 10, mac: 'c6:12:f4:97:52:9a', type: 'vxlan' }],
  ['pending', { name: 'pending', ofport: null, mac: null, type: '' }],
]);
const macs: Record<string, string> = {
  '172.18.8.102': '02:00:00:00:00:02',
  '172.18.8.103': '02:00:00:00:00:03',
  'fd00:18:8::102': '02:00:00:00:00:62',
};
const facts: CompileFacts = { ports, neighborMac: (address) => macs[address] ?? null };
const routed: CompileConfig = {
  table: 0,
  mode: 'routed',
  cookie: 0xb6b0000000000000n,
  uplinkPort: 'eth1',
  tunnelPort: null,
};
const tunnel: CompileConfig = { ...routed, mode: 'tunnel', uplinkPort: null, tunnelPort: 'vx0' };

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

function compile(
  config: CompileConfig,
  r: FibRoute,
  allocator = new GroupIdAllocator(groupIdRange(config.cookie)),
) {
  return new Compiler(config, facts).compile(r, (key) => allocator.acquire(key));
}

describe('routed mode', () => {
  it('one next hop: port MAC as source, neighbour MAC as destination, dec_ttl, output to the uplink', () => {
    const result = compile(routed, route('10.233.2.0/24', ['172.18.8.102']));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.flow).toMatchObject({
      prefix: '10.233.2.0/24',
      priority: 1048,
      groupId: null,
      group: null,
    });
    expect(result.flow.actionsText).toBe(
      'set_field:8a:09:c8:f4:c4:06->eth_src,set_field:02:00:00:00:00:02->eth_dst,dec_ttl,output:1',
    );
    expect(formatMatch(prefixMatch(result.flow))).toBe('ip,nw_dst=10.233.2.0/24');
  });

  it('a next hop whose interface is a bridge port goes out of that port', () => {
    const result = compile(routed, route('10.233.2.0/24', ['172.18.8.102%eth2']));
    expect(result.ok && result.flow.actionsText).toBe(
      'set_field:8a:09:c8:f4:c4:07->eth_src,set_field:02:00:00:00:00:02->eth_dst,dec_ttl,output:2',
    );
  });

  it('IPv6: ipv6_dst match, longer prefixes get higher priority', () => {
    const result = compile(routed, route('fd00:233:2::/64', ['fd00:18:8::102']));
    expect(result.ok && result.flow.priority).toBe(1088);
    expect(result.ok && formatMatch(prefixMatch(result.flow))).toBe('ipv6,ipv6_dst=fd00:233:2::/64');
    expect(priorityFor(32)).toBeGreaterThan(priorityFor(24));
  });

  it('ECMP: dec_ttl then a select group with one bucket per next hop; the same set shares one group', () => {
    const allocator = new GroupIdAllocator(groupIdRange(routed.cookie));
    const compiler = new Compiler(routed, facts);
    const a = compiler.compile(route('10.233.3.0/24', ['172.18.8.103', '172.18.8.102']), (k) =>
      allocator.acquire(k),
    );
    const b = compiler.compile(route('10.233.4.0/24', ['172.18.8.102', '172.18.8.103']), (k) =>
      allocator.acquire(k),
    );
    if (!a.ok || !b.ok) throw new Error('not compiled');
    expect(a.flow.groupId).toBe(0xb6b00000);
    expect(b.flow.groupId).toBe(a.flow.groupId);
    expect(a.flow.actionsText).toBe(`dec_ttl,group:${0xb6b00000}`);
    expect(a.flow.group?.text).toBe(
      'bucket=weight:1,actions=set_field:8a:09:c8:f4:c4:06->eth_src,set_field:02:00:00:00:00:02->eth_dst,output:1;' +
        'bucket=weight:1,actions=set_field:8a:09:c8:f4:c4:06->eth_src,set_field:02:00:00:00:00:03->eth_dst,output:1',
    );
    expect(a.flow.actions).toBe(b.flow.actions); // shared, not rebuilt per route
  });

  it('ECMP with one unresolved next hop keeps the resolved buckets', () => {
    const result = compile(routed, route('10.233.3.0/24', ['172.18.8.102', '172.18.8.199']));
    expect(result.ok && result.flow.group?.buckets).toHaveLength(1);
  });

  it('says why a route cannot be programmed', () => {
    const cases: [CompileConfig, FibRoute, RegExp][] = [
      [routed, route('10.233.2.0/24', ['172.18.8.199']), /no MAC in the neighbour table/],
      [{ ...routed, uplinkPort: null }, route('10.233.2.0/24', ['172.18.8.102']), /set fib.ovs.uplinkPort/],
      [
        { ...routed, uplinkPort: 'absent' },
        route('10.233.2.0/24', ['172.18.8.102']),
        /port absent is not on the bridge/,
      ],
      [
        { ...routed, uplinkPort: 'pending' },
        route('10.233.2.0/24', ['172.18.8.102']),
        /no OpenFlow port number/,
      ],
      [routed, route('10.233.2.1/24', ['172.18.8.102']), /bad prefix/],
      [routed, route('10.233.2.0/24', []), /no next hop/],
      [{ ...tunnel, tunnelPort: null }, route('10.233.2.0/24', ['172.18.8.102']), /needs fib.ovs.tunnelPort/],
      [routed, route('10.233.3.0/24', ['172.18.8.198', '172.18.8.199']), /no MAC/],
    ];
    for (const [config, r, reason] of cases) {
      const result = compile(config, r);
      expect(result.ok, r.prefix).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(reason);
    }
  });
});

describe('tunnel mode', () => {
  it('sets tun_dst to the BGP next hop and outputs to the tunnel port', () => {
    const result = compile(tunnel, route('10.233.2.0/24', ['172.18.8.102']));
    expect(result.ok && result.flow.actionsText).toBe('set_field:172.18.8.102->tun_dst,output:10');
  });

  it('an IPv6 next hop sets tun_ipv6_dst; ECMP buckets each set their own destination', () => {
    const v6 = compile(tunnel, route('fd00:233:2::/64', ['fd00:18:8::102']));
    expect(v6.ok && v6.flow.actionsText).toBe('set_field:fd00:18:8::102->tun_ipv6_dst,output:10');
    const ecmp = compile(tunnel, route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']));
    expect(ecmp.ok && ecmp.flow.actionsText).toBe(`group:${0xb6b00000}`);
    expect(ecmp.ok && ecmp.flow.group?.text).toBe(
      'bucket=weight:1,actions=set_field:172.18.8.102->tun_dst,output:10;bucket=weight:1,actions=set_field:172.18.8.103->tun_dst,output:10',
    );
  });
});

describe('blackhole', () => {
  it('drops: no actions, whatever the mode', () => {
    for (const config of [routed, tunnel]) {
      const result = compile(config, route('10.233.9.0/24', [], true));
      expect(result.ok && result.flow.actionsText).toBe('drop');
      expect(result.ok && result.flow.actions).toHaveLength(0);
    }
  });
});

describe('prefixes and matches', () => {
  it('parses canonical prefixes, refuses host bits and bad lengths', () => {
    expect(parsePrefix(4, '10.233.0.0/16')?.length).toBe(16);
    expect(parsePrefix(4, '10.233.0.1/16')).toBeNull();
    expect(parsePrefix(4, '10.233.0.0/33')).toBeNull();
    expect(parsePrefix(6, 'fd00::/129')).toBeNull();
    expect(parsePrefix(6, 'fd00::/8')).toMatchObject({ version: 6, length: 8 });
  });

  it('reads a prefix back from a match (host routes unmasked, /0 without a destination)', () => {
    for (const [version, prefix] of [
      [4, '10.233.2.0/24'],
      [4, '10.233.5.7/32'],
      [4, '0.0.0.0/0'],
      [6, 'fd00:233:2::/64'],
      [6, '::/0'],
      [6, 'fd00::1/128'],
    ] as const) {
      const match = matchOfPrefix(version, prefix);
      expect(prefixOfMatch(match)).toEqual({ version, prefix });
      const w = new ByteWriter();
      for (const tlv of match.fields) writeOxm(w, tlv);
      expect(prefixOfRawMatch(w.toBuffer())).toEqual({ version, prefix });
      expect(prefixMatchText(version, prefix)).toBe(formatMatch(match));
    }
  });

  it('a match of another shape is not ours', () => {
    const extra = {
      fields: [...matchOfPrefix(4, '10.0.0.0/8').fields, { kind: 'inPort' as const, value: 1 }],
    };
    expect(prefixOfMatch(extra)).toBeNull();
    const w = new ByteWriter();
    for (const tlv of extra.fields) writeOxm(w, tlv);
    expect(prefixOfRawMatch(w.toBuffer())).toBeNull();
    expect(prefixOfMatch({ fields: [] })).toBeNull();
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
    expect(allocator.adopt('e', 101)).toBe(false);
    expect(allocator.keyOf(101)).toBe('d');
  });
});

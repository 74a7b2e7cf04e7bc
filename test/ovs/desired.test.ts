// The desired state without a switch: routes share next-hop sets, changes
// mark prefixes and groups dirty, facts (ports, MACs) recompile only what
// they change, and an ECMP set's group id lives until the group is gone.
import { describe, expect, it } from 'vitest';
import type { FibRoute } from '../../src/fib/types.js';
import { GroupIdAllocator, groupIdRange } from '../../src/ovs/compile.js';
import { DesiredState } from '../../src/ovs/desired.js';
import type { OvsPort } from '../../src/ovs/ovsdb/facts.js';

const GROUP = 0xb6b00000;
const ports = new Map<string, OvsPort>([
  ['eth1', { name: 'eth1', ofport: 1, mac: '8a:09:c8:f4:c4:06', type: '' }],
]);

function route(prefix: string, nextHops: string[], blackhole = false): FibRoute {
  return {
    version: prefix.includes(':') ? 6 : 4,
    prefix,
    nextHops: nextHops.map((address) => ({ address })),
    blackhole,
  };
}

function state(): DesiredState {
  const desired = new DesiredState(
    { mode: 'routed', bridge: 'br0', uplinkPort: 'eth1', tunnelPort: null },
    new GroupIdAllocator(groupIdRange(0xb6b0000000000000n)),
  );
  desired.setPorts(ports);
  desired.setNeighborMacs(
    new Map([
      ['172.18.8.102', '02:00:00:00:00:02'],
      ['172.18.8.103', '02:00:00:00:00:03'],
    ]),
  );
  return desired;
}

function drain(desired: DesiredState): { prefixes: string[]; groups: number[] } {
  const result = { prefixes: [...desired.dirty].sort(), groups: [...desired.dirtyGroups] };
  desired.dirty.clear();
  desired.dirtyGroups.clear();
  return result;
}

describe('DesiredState', () => {
  it('routes with the same next hops share one compiled flow; changes and withdrawals mark the prefix dirty', () => {
    const desired = state();
    desired.install(route('10.233.2.0/24', ['172.18.8.102']));
    desired.install(route('10.233.3.0/24', ['172.18.8.102']));
    expect(desired.flowFor('10.233.2.0/24')).toBe(desired.flowFor('10.233.3.0/24'));
    expect(drain(desired).prefixes).toEqual(['10.233.2.0/24', '10.233.3.0/24']);
    desired.install(route('10.233.2.0/24', ['172.18.8.102'])); // same: nothing to do
    expect(desired.dirty.size).toBe(0);
    desired.install(route('10.233.2.0/24', ['172.18.8.103']));
    expect(desired.flowFor('10.233.2.0/24')?.text).toContain('02:00:00:00:00:03->eth_dst');
    desired.withdraw('10.233.3.0/24');
    expect(desired.flowFor('10.233.3.0/24')).toBeNull();
    desired.withdraw('10.233.99.0/24'); // unknown: nothing
    expect(drain(desired).prefixes).toEqual(['10.233.2.0/24', '10.233.3.0/24']);
    expect(desired.size).toBe(1);
  });

  it('ECMP: the group is wanted while a route uses it, and its id is freed only once it is gone', () => {
    const desired = state();
    desired.install(route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']));
    desired.install(route('10.233.4.0/24', ['172.18.8.103', '172.18.8.102']));
    expect(desired.flowFor('10.233.3.0/24')?.groupId).toBe(GROUP);
    expect(desired.flowFor('10.233.4.0/24')?.groupId).toBe(GROUP);
    expect(desired.groupFor(GROUP)?.buckets).toHaveLength(2);
    expect([...desired.wantedGroups()].map(([id]) => id)).toEqual([GROUP]);
    expect(drain(desired).groups).toEqual([GROUP]);
    desired.withdraw('10.233.3.0/24');
    expect(desired.groupFor(GROUP)).not.toBeNull();
    desired.withdraw('10.233.4.0/24');
    expect(desired.groupFor(GROUP)).toBeNull();
    expect(drain(desired).groups).toEqual([GROUP]);
    // Used again before the bridge lost it: the same id comes back.
    desired.install(route('10.233.5.0/24', ['172.18.8.102', '172.18.8.103']));
    expect(desired.flowFor('10.233.5.0/24')?.groupId).toBe(GROUP);
    desired.withdraw('10.233.5.0/24');
    desired.forgetGroup(GROUP);
    // Another set may now take the id.
    desired.install(route('10.233.6.0/24', ['172.18.8.102', '172.18.8.104']));
    expect(desired.flowFor('10.233.6.0/24')?.groupId).toBe(GROUP + 1);
  });

  it('a next hop without a MAC is wanted from the resolver, unprogrammed until it is known', () => {
    const desired = state();
    desired.install(route('10.233.6.0/24', ['172.18.8.106']));
    expect([...desired.wantedNeighbors]).toEqual(['172.18.8.106']);
    expect(desired.flowFor('10.233.6.0/24')).toBeNull();
    expect([...desired.unprogrammed()]).toEqual([
      ['10.233.6.0/24', 'next hop 172.18.8.106: no MAC in the neighbour table yet'],
    ]);
    expect(desired.unprogrammedCount()).toBe(1);
    drain(desired);
    desired.setNeighborMacs(new Map([['172.18.8.106', '02:00:00:00:00:06']]));
    expect(desired.flowFor('10.233.6.0/24')?.text).toContain('02:00:00:00:00:06->eth_dst');
    expect(drain(desired).prefixes).toEqual(['10.233.6.0/24']);
    expect([...desired.neighborAddresses()].sort()).toEqual(['172.18.8.102', '172.18.8.103', '172.18.8.106']);
  });

  it('facts that change nothing mark nothing; a MAC that moves marks only the routes using it', () => {
    const desired = state();
    desired.install(route('10.233.2.0/24', ['172.18.8.102']));
    desired.install(route('10.233.3.0/24', ['172.18.8.103']));
    desired.install(route('10.233.4.0/24', ['172.18.8.102', '172.18.8.103']));
    drain(desired);
    desired.setPorts(new Map(ports));
    desired.setNeighborMacs(new Map([['172.18.8.102', '02:00:00:00:00:02']]));
    expect(drain(desired)).toEqual({ prefixes: [], groups: [] });
    desired.setNeighborMacs(new Map([['172.18.8.103', '02:00:00:00:00:33']]));
    // The ECMP flow still says "group:N": only its group changes.
    expect(drain(desired)).toEqual({ prefixes: ['10.233.3.0/24'], groups: [GROUP] });
  });

  it('a port that disappears makes every route through it unprogrammable', () => {
    const desired = state();
    desired.install(route('10.233.2.0/24', ['172.18.8.102']));
    desired.install(route('10.233.9.0/24', [], true));
    drain(desired);
    desired.setPorts(new Map());
    expect(drain(desired).prefixes).toEqual(['10.233.2.0/24']);
    expect([...desired.unprogrammed()]).toEqual([['10.233.2.0/24', 'port eth1 is not on the bridge']]);
    expect(desired.flowFor('10.233.9.0/24')?.text).toBe('drop');
  });

  it('what the switch refused is not programmable until the next recompile', () => {
    const desired = state();
    desired.install(route('10.233.2.0/24', ['172.18.8.102']));
    desired.install(route('10.233.3.0/24', ['172.18.8.102']));
    desired.install(route('10.233.4.0/24', ['172.18.8.102', '172.18.8.103']));
    drain(desired);
    desired.reject({ prefix: '10.233.2.0/24' }, 'BAD_ACTION/BAD_OUT_PORT');
    expect(drain(desired).prefixes).toEqual(['10.233.2.0/24', '10.233.3.0/24']);
    expect(desired.flowFor('10.233.3.0/24')).toBeNull();
    expect([...desired.unprogrammed()][0]?.[1]).toBe('rejected by the switch: BAD_ACTION/BAD_OUT_PORT');
    desired.reject({ groupId: GROUP }, 'GROUP_MOD_FAILED/OUT_OF_GROUPS');
    expect(desired.groupFor(GROUP)).toBeNull();
    expect(drain(desired)).toEqual({ prefixes: ['10.233.4.0/24'], groups: [GROUP] });
    desired.recompile();
    expect(desired.flowFor('10.233.3.0/24')).not.toBeNull();
    expect(desired.groupFor(GROUP)).not.toBeNull();
    expect(drain(desired).prefixes).toEqual(['10.233.2.0/24', '10.233.3.0/24', '10.233.4.0/24']);
  });

  it('markAllDirty marks every route and wanted group', () => {
    const desired = state();
    desired.install(route('10.233.2.0/24', ['172.18.8.102']));
    desired.install(route('10.233.4.0/24', ['172.18.8.102', '172.18.8.103']));
    drain(desired);
    desired.markAllDirty();
    expect(drain(desired)).toEqual({ prefixes: ['10.233.2.0/24', '10.233.4.0/24'], groups: [GROUP] });
  });
});

// Planning without a switch: a chunk of dirty prefixes against what is
// installed becomes group writes, flow deletes and adds, and group deletes,
// in an order the switch accepts; committed plans update the installed view;
// OVS's own dumps (captured) become installed state; drift is counted.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FibRoute } from '../../src/fib/types.js';
import { GroupIdAllocator, groupIdRange } from '../../src/ovs/compile.js';
import { DesiredState } from '../../src/ovs/desired.js';
import { decodeGroupDesc, decodeMessage, scanFlowStats } from '../../src/ovs/openflow/messages.js';
import type { OvsPort } from '../../src/ovs/ovsdb/facts.js';
import {
  applyPlan,
  countDrift,
  InstalledState,
  installedFromDump,
  opAt,
  opCount,
  type Plan,
  planChunk,
  type Stray,
} from '../../src/ovs/reconcile.js';

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

function world(routes: FibRoute[]): DesiredState {
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
  for (const r of routes) desired.install(r);
  return desired;
}

/** The plan's operations in encoding order, as short strings. */
function ops(plan: Plan): string[] {
  const out: string[] = [];
  for (let i = 0; i < opCount(plan); i++) {
    const op = opAt(plan, i);
    if (op === null) throw new Error(`no op ${i}`);
    switch (op.kind) {
      case 'groupWrite':
        out.push(`group ${op.write.command} ${op.write.id}`);
        break;
      case 'stray':
        out.push(`stray ${op.stray.text}`);
        break;
      case 'delete':
        out.push(`delete ${op.prefix}`);
        break;
      case 'add':
        out.push(`add ${op.prefix}`);
        break;
      case 'groupDelete':
        out.push(`group delete ${op.id}`);
        break;
    }
  }
  expect(opAt(plan, opCount(plan))).toBeNull();
  expect(opAt(plan, -1)).toBeNull();
  return out;
}

/** Plans everything dirty and applies it as committed. */
function converge(desired: DesiredState, installed: InstalledState): Plan {
  const plan = planChunk([...desired.dirty], [...desired.dirtyGroups], installed.strays, desired, installed);
  desired.dirty.clear();
  desired.dirtyGroups.clear();
  installed.strays = [];
  applyPlan(installed, plan);
  return plan;
}

describe('planChunk', () => {
  it('adds what is missing, leaves what is there, replaces what differs (ADD overwrites), deletes what is withdrawn', () => {
    const desired = world([route('10.233.2.0/24', ['172.18.8.102']), route('10.233.9.0/24', [], true)]);
    const installed = new InstalledState();
    expect(ops(converge(desired, installed))).toEqual(['add 10.233.2.0/24', 'add 10.233.9.0/24']);
    expect(installed.flows.get('10.233.9.0/24')).toBe('drop');
    // Nothing changed: nothing to write.
    expect(opCount(planChunk(['10.233.2.0/24', '10.233.9.0/24'], [], [], desired, installed))).toBe(0);
    desired.install(route('10.233.2.0/24', ['172.18.8.103']));
    desired.withdraw('10.233.9.0/24');
    expect(ops(converge(desired, installed))).toEqual(['delete 10.233.9.0/24', 'add 10.233.2.0/24']);
    expect([...installed.flows.keys()]).toEqual(['10.233.2.0/24']);
    expect(installed.flows.get('10.233.2.0/24')).toContain('02:00:00:00:00:03->eth_dst');
  });

  it('ECMP: the group is added before the flows that use it, and deleted after the last of them', () => {
    const desired = world([
      route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']),
      route('10.233.4.0/24', ['172.18.8.103', '172.18.8.102']),
    ]);
    const installed = new InstalledState();
    expect(ops(converge(desired, installed))).toEqual([
      `group add ${GROUP}`,
      'add 10.233.3.0/24',
      'add 10.233.4.0/24',
    ]);
    expect(installed.groupRefs.get(GROUP)).toBe(2);
    desired.withdraw('10.233.3.0/24');
    expect(ops(converge(desired, installed))).toEqual(['delete 10.233.3.0/24']);
    desired.withdraw('10.233.4.0/24');
    expect(ops(converge(desired, installed))).toEqual(['delete 10.233.4.0/24', `group delete ${GROUP}`]);
    expect(installed.groups.size).toBe(0);
    expect(installed.groupRefs.size).toBe(0);
  });

  it('keeping what a previous run left (until the sweep): nothing unwanted is deleted, its groups settle', () => {
    const previous = world([
      route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']),
      route('10.233.5.0/24', ['172.18.8.102']),
    ]);
    const installed = new InstalledState();
    converge(previous, installed);
    // A new run wants only 10.233.6.0/24 so far; the peers have not sent the rest again.
    const desired = world([route('10.233.6.0/24', ['172.18.8.102'])]);
    const all = [...installed.flows.keys(), '10.233.6.0/24'];
    const kept = planChunk(all, [GROUP], [], desired, installed, true);
    expect(ops(kept)).toEqual(['add 10.233.6.0/24']);
    expect(kept.settledGroups).toEqual([GROUP]);
    applyPlan(installed, kept);
    // The sweep: the same chunk without keeping removes them, the group last.
    expect(ops(planChunk(all, [GROUP], [], desired, installed))).toEqual([
      'delete 10.233.3.0/24',
      'delete 10.233.5.0/24',
      `group delete ${GROUP}`,
    ]);
  });

  it('an unwanted group still used by installed flows outside the chunk is not settled yet', () => {
    const desired = world([
      route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']),
      route('10.233.4.0/24', ['172.18.8.102', '172.18.8.103']),
    ]);
    const installed = new InstalledState();
    converge(desired, installed);
    desired.withdraw('10.233.3.0/24');
    desired.withdraw('10.233.4.0/24');
    const partial = planChunk(['10.233.3.0/24'], [GROUP], [], desired, installed);
    expect(ops(partial)).toEqual(['delete 10.233.3.0/24']);
    expect(partial.settledGroups).toEqual([]);
    applyPlan(installed, partial);
    const rest = planChunk(['10.233.4.0/24'], [GROUP], [], desired, installed);
    expect(ops(rest)).toEqual(['delete 10.233.4.0/24', `group delete ${GROUP}`]);
    expect(rest.settledGroups).toEqual([GROUP]);
  });

  it('a group whose buckets changed is modified; its flows stay', () => {
    const desired = world([route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103'])]);
    const installed = new InstalledState();
    converge(desired, installed);
    desired.setNeighborMacs(new Map([['172.18.8.103', '02:00:00:00:00:33']]));
    expect(ops(converge(desired, installed))).toEqual([`group modify ${GROUP}`]);
    expect(installed.groups.get(GROUP)).toContain('02:00:00:00:00:33');
  });

  it('strays (our cookie, not our shape) are deleted first', () => {
    const desired = world([route('10.233.2.0/24', ['172.18.8.102'])]);
    const stray: Stray = { tableId: 0, priority: 5, match: Buffer.alloc(0), text: 'priority=5 actions=drop' };
    const plan = planChunk(['10.233.2.0/24'], [], [stray], desired, new InstalledState());
    expect(ops(plan)).toEqual(['stray priority=5 actions=drop', 'add 10.233.2.0/24']);
  });

  it('a route that cannot be programmed removes the flow it had', () => {
    const desired = world([route('10.233.2.0/24', ['172.18.8.102'])]);
    const installed = new InstalledState();
    converge(desired, installed);
    desired.setNeighborMacs(new Map([['172.18.8.102', null]]));
    expect(ops(converge(desired, installed))).toEqual(['delete 10.233.2.0/24']);
  });
});

describe('applyPlan', () => {
  it('with refused operations (plain, non-atomic writes) records only what applied', () => {
    const desired = world([
      route('10.233.2.0/24', ['172.18.8.102']),
      route('10.233.3.0/24', ['172.18.8.102']),
    ]);
    const installed = new InstalledState();
    const stray: Stray = { tableId: 0, priority: 5, match: Buffer.alloc(0), text: 'x' };
    const plan = planChunk(['10.233.2.0/24', '10.233.3.0/24'], [], [stray], desired, installed);
    expect(ops(plan)).toEqual(['stray x', 'add 10.233.2.0/24', 'add 10.233.3.0/24']);
    applyPlan(installed, plan, new Set([0, 2]));
    expect([...installed.flows.keys()]).toEqual(['10.233.2.0/24']);
    expect(installed.strays).toEqual([stray]);
  });
});

describe('installedFromDump', () => {
  const fixture = JSON.parse(readFileSync(new URL('fixtures/ofctl.json', import.meta.url), 'utf8')) as {
    cases: { name: string; exchanges: { from: string; hex: string }[] }[];
  };
  function reply(name: string): Buffer {
    for (const e of fixture.cases.find((c) => c.name === name)?.exchanges ?? []) {
      const m = decodeMessage(Buffer.from(e.hex, 'hex'));
      if (m.ok && m.value.type === 'multipartReply') return m.value.body;
    }
    throw new Error(`no reply in ${name}`);
  }
  const flows = scanFlowStats(reply('dump-flows-cookie'));
  const groups = decodeGroupDesc(reply('dump-groups'));
  if (!flows.ok || !groups.ok) throw new Error('fixture');

  it("turns OVS's flow and group dumps into installed state", () => {
    // The fixture's group is 0xb6bf0000: ours for a cookie 0xb6bf....
    const state = installedFromDump(flows.value, groups.value, 0, groupIdRange(0xb6bf000000000000n));
    expect([...state.flows.keys()].sort()).toEqual([
      '10.233.2.0/24',
      '10.233.3.0/24',
      '10.233.4.0/24',
      '10.233.5.7/32',
      '10.233.9.0/24',
      'fd00:233:2::/64',
      'fd00:233:3::/64',
    ]);
    expect(state.flows.get('10.233.4.0/24')).toBe('dec_ttl,group:3065970688');
    expect(state.flowGroups.get('10.233.4.0/24')).toBe(3065970688);
    expect(state.groupRefs.get(3065970688)).toBe(1);
    expect(state.flows.get('10.233.9.0/24')).toBe('drop');
    expect(state.groups.get(3065970688)).toMatch(
      /^bucket=weight:1,actions=set_field:02:00:00:00:00:01->eth_src/,
    );
    expect(state.strays).toEqual([]);
    // Out of our group range: not ours.
    expect(
      installedFromDump(flows.value, groups.value, 0, groupIdRange(0xb6b0000000000000n)).groups.size,
    ).toBe(0);
  });

  it('flows of ours in another table, or at a priority that does not match the prefix, are strays', () => {
    const otherTable = installedFromDump(flows.value, [], 1, groupIdRange(0xb6b0000000000000n));
    expect(otherTable.flows.size).toBe(0);
    expect(otherTable.strays).toHaveLength(7);
    expect(otherTable.strays[0]?.text).toMatch(
      /^table=0,priority=1088,ipv6,ipv6_dst=fd00:233:2::\/64 actions=/,
    );
    const wrongPriority = flows.value.map((f) => ({ ...f, priority: f.priority + 1 }));
    expect(installedFromDump(wrongPriority, [], 0, groupIdRange(0xb6b0000000000000n)).strays).toHaveLength(7);
  });
});

describe('countDrift', () => {
  it('counts entries changed, missing, extra, and strays', () => {
    const believed = new InstalledState();
    believed.setFlow('10.233.2.0/24', 'output:1', null);
    believed.setFlow('10.233.9.0/24', 'drop', null);
    believed.groups.set(GROUP, 'bucket=a');
    const actual = new InstalledState();
    actual.setFlow('10.233.2.0/24', 'output:7', null); // changed
    actual.setFlow('10.233.8.0/24', 'drop', null); // extra
    actual.strays.push({ tableId: 0, priority: 7, match: Buffer.alloc(0), text: 'x' });
    // 10.233.9.0/24 and the group: missing
    expect(countDrift(believed, actual)).toBe(5);
    expect(countDrift(believed, believed)).toBe(0);
  });

  it('InstalledState keeps group reference counts with its flows', () => {
    const installed = new InstalledState();
    installed.setFlow('a', 'group:1', 1);
    installed.setFlow('b', 'group:1', 1);
    installed.setFlow('a', 'group:2', 2);
    expect([...installed.groupRefs]).toEqual([
      [1, 1],
      [2, 1],
    ]);
    installed.deleteFlow('b');
    installed.deleteFlow('missing');
    expect([...installed.groupRefs]).toEqual([[2, 1]]);
  });
});

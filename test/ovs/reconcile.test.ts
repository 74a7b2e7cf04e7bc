// Desired vs installed without OVS: batch plans in a safe order (groups
// before the flows that use them, group deletes after the last user), no-ops
// skipped, exclusions after a refusal; dumps turned into owned state (strays
// found); drift counted; `fib diff` entries.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FibRoute } from '../../src/fib/types.js';
import {
  type CompileFacts,
  Compiler,
  type FlowSpec,
  GroupIdAllocator,
  groupIdRange,
} from '../../src/ovs/compile.js';
import { decodeGroupDesc, decodeMessage, scanFlowStats } from '../../src/ovs/openflow/messages.js';
import type { OvsPort } from '../../src/ovs/ovsdb/facts.js';
import {
  countDrift,
  type DesiredGroup,
  diffState,
  groupRefs,
  type InstalledFlow,
  type InstalledGroup,
  type Op,
  planBatch,
  stateFromDump,
} from '../../src/ovs/reconcile.js';

const ports = new Map<string, OvsPort>([
  ['eth1', { name: 'eth1', ofport: 1, mac: '02:00:00:00:00:01', type: '' }],
]);
const macs: Record<string, string> = {
  '172.18.8.102': '02:00:00:00:00:02',
  '172.18.8.103': '02:00:00:00:00:03',
};
const facts: CompileFacts = { ports, neighborMac: (a) => macs[a] ?? null };
const cookie = 0xb6b0000000000000n;
const allocator = new GroupIdAllocator(groupIdRange(cookie));
const compiler = new Compiler(
  { table: 0, mode: 'routed', cookie, uplinkPort: 'eth1', tunnelPort: null },
  facts,
);

function flow(prefix: string, hops: string[], blackhole = false): FlowSpec {
  const r: FibRoute = { version: 4, prefix, nextHops: hops.map((address) => ({ address })), blackhole };
  const result = compiler.compile(r, (k) => allocator.acquire(k));
  if (!result.ok) throw new Error(result.reason);
  return result.flow;
}

interface World {
  desired: Map<string, FlowSpec>;
  desiredGroups: Map<number, DesiredGroup>;
  installed: Map<string, InstalledFlow>;
  installedGroups: Map<number, InstalledGroup>;
}

function world(
  desired: FlowSpec[],
  installed: InstalledFlow[],
  installedGroups: InstalledGroup[] = [],
): World {
  const desiredGroups = new Map<number, DesiredGroup>();
  for (const f of desired)
    if (f.group && f.groupId !== null)
      desiredGroups.set(f.groupId, { spec: f.group, refs: (desiredGroups.get(f.groupId)?.refs ?? 0) + 1 });
  return {
    desired: new Map(desired.map((f) => [f.prefix, f])),
    desiredGroups,
    installed: new Map(installed.map((f) => [f.prefix, f])),
    installedGroups: new Map(installedGroups.map((g) => [g.id, g])),
  };
}

function plan(
  w: World,
  prefixes: string[],
  groups: number[] = [],
  extra: Partial<Parameters<typeof planBatch>[0]> = {},
) {
  return planBatch({ prefixes, groups, installedGroupRefs: groupRefs(w.installed), ...w, ...extra });
}

const kinds = (ops: readonly Op[]) =>
  ops.map((op) => `${op.kind}:${'flow' in op ? op.flow.prefix : 'id' in op ? op.id : op.stray.text}`);

describe('planBatch', () => {
  const single = flow('10.233.2.0/24', ['172.18.8.102']);
  const ecmp = flow('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']);
  const gid = ecmp.groupId ?? -1;

  it('adds a missing group before the flow that uses it; leaves converged flows alone', () => {
    const w = world([single, ecmp], [single]);
    const p = plan(w, ['10.233.2.0/24', '10.233.3.0/24']);
    expect(kinds(p.ops)).toEqual([`groupAdd:${gid}`, 'flowAdd:10.233.3.0/24']);
    expect(p.settledPrefixes).toEqual(['10.233.2.0/24', '10.233.3.0/24']);
    expect(p.settledGroups).toEqual([gid]);
  });

  it('replaces a flow whose actions differ, deletes one no longer wanted', () => {
    const stale: InstalledFlow = { ...single, actionsText: 'output:9' };
    const w = world([single], [stale, flow('10.233.9.0/24', [], true)]);
    expect(kinds(plan(w, ['10.233.2.0/24', '10.233.9.0/24']).ops)).toEqual([
      'flowAdd:10.233.2.0/24',
      'flowDelete:10.233.9.0/24',
    ]);
  });

  it('modifies a group whose buckets changed (MAC moved) without touching its flows', () => {
    const w = world([ecmp], [ecmp], [{ id: gid, text: 'bucket=weight:1,actions=output:1' }]);
    expect(kinds(plan(w, [], [gid]).ops)).toEqual([`groupModify:${gid}`]);
  });

  it('deletes a group only after its last flow, and only once no installed flow outside the batch uses it', () => {
    const other = { ...ecmp, prefix: '10.233.4.0/24' };
    const groups = [{ id: gid, text: ecmp.group?.text ?? '' }];
    const w = world([], [ecmp, other], groups);
    const first = plan(w, ['10.233.3.0/24'], [gid]);
    expect(kinds(first.ops)).toEqual(['flowDelete:10.233.3.0/24']);
    expect(first.settledGroups).toEqual([]); // 10.233.4.0/24 still uses it
    const both = plan(w, ['10.233.3.0/24', '10.233.4.0/24'], [gid]);
    expect(kinds(both.ops)).toEqual([
      'flowDelete:10.233.3.0/24',
      'flowDelete:10.233.4.0/24',
      `groupDelete:${gid}`,
    ]);
  });

  it('leaves out excluded prefixes; flows of an excluded group are removed rather than left pointing at it', () => {
    const w = world([single, ecmp], [ecmp], [{ id: gid, text: 'old' }]);
    const p = plan(w, ['10.233.2.0/24', '10.233.3.0/24'], [gid], {
      excludePrefixes: new Set(['10.233.2.0/24']),
      excludeGroups: new Set([gid]),
    });
    expect(kinds(p.ops)).toEqual(['flowDelete:10.233.3.0/24']);
  });

  it('deletes strays first among the flow operations', () => {
    const w = world([single], []);
    const stray = { priority: 5, match: { fields: [] }, text: 'priority=5 actions=drop' };
    expect(kinds(plan(w, ['10.233.2.0/24'], [], { strays: [stray] }).ops)).toEqual([
      'strayDelete:priority=5 actions=drop',
      'flowAdd:10.233.2.0/24',
    ]);
  });
});

describe('dumps', () => {
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

  it("turns OVS's flow and group dumps into installed state; flows of another shape are strays", () => {
    const flows = scanFlowStats(reply('dump-flows-cookie'));
    const groups = decodeGroupDesc(reply('dump-groups'));
    if (!flows.ok || !groups.ok) throw new Error('fixture');
    // The fixture's group sits at 0xb6bf0000: in range for a cookie 0xb6bf...
    const state = stateFromDump(flows.value, groups.value, 0, groupIdRange(0xb6bf000000000000n));
    expect([...state.flows.keys()].sort()).toEqual([
      '10.233.2.0/24',
      '10.233.3.0/24',
      '10.233.4.0/24',
      '10.233.5.7/32',
      '10.233.9.0/24',
      'fd00:233:2::/64',
      'fd00:233:3::/64',
    ]);
    expect(state.flows.get('10.233.4.0/24')).toMatchObject({
      actionsText: 'dec_ttl,group:3065970688',
      groupId: 3065970688,
    });
    expect(state.flows.get('10.233.9.0/24')?.actionsText).toBe('drop');
    expect(state.groups.get(3065970688)?.text).toMatch(
      /^bucket=weight:1,actions=set_field:02:00:00:00:00:01->eth_src/,
    );
    expect(state.strays).toEqual([]);
    // ... and out of range for ours.
    expect(stateFromDump(flows.value, groups.value, 0, groupIdRange(cookie)).groups.size).toBe(0);
    // Another table is not ours.
    expect(stateFromDump(flows.value, [], 1, groupIdRange(cookie)).flows.size).toBe(0);
  });

  it('counts drift between what we believed and what is there', () => {
    const a = flow('10.233.2.0/24', ['172.18.8.102']);
    const b = flow('10.233.9.0/24', [], true);
    const believed = {
      flows: new Map<string, InstalledFlow>([
        [a.prefix, a],
        [b.prefix, b],
      ]),
      groups: new Map<number, InstalledGroup>(),
    };
    const actual = {
      flows: new Map<string, InstalledFlow>([[a.prefix, { ...a, actionsText: 'drop' }]]),
      strays: [],
      groups: new Map(),
    };
    expect(countDrift(believed, actual)).toBe(2); // one changed, one deleted
    expect(countDrift(believed, { ...actual, flows: new Map(believed.flows) })).toBe(0);
  });
});

describe('diffState (fib diff --ovs)', () => {
  it('lists missing, different, extra and unprogrammable entries; empty when converged', () => {
    const a = flow('10.233.2.0/24', ['172.18.8.102']);
    const b = flow('10.233.9.0/24', [], true);
    const w = world([a, b], []);
    const converged = {
      flows: new Map<string, InstalledFlow>([
        [a.prefix, a],
        [b.prefix, b],
      ]),
      strays: [],
      groups: new Map(),
    };
    expect(diffState(w.desired, new Map(), w.desiredGroups, converged)).toEqual([]);
    const drifted = {
      flows: new Map<string, InstalledFlow>([
        [a.prefix, { ...a, actionsText: 'output:7' }],
        [
          '10.1.0.0/16',
          { version: 4, prefix: '10.1.0.0/16', priority: 1040, actionsText: 'drop', groupId: null },
        ],
      ]),
      strays: [],
      groups: new Map(),
    };
    const entries = diffState(
      w.desired,
      new Map([['10.233.7.0/24', 'next hop 172.18.8.107: no MAC']]),
      w.desiredGroups,
      drifted,
    );
    expect(entries.map((e) => `${e.problem} ${e.prefix}`).sort()).toEqual([
      'different 10.233.2.0/24',
      'extra 10.1.0.0/16',
      'missing 10.233.7.0/24',
      'missing 10.233.9.0/24',
    ]);
    expect(entries.find((e) => e.prefix === '10.233.2.0/24')).toMatchObject({
      desired: `priority=1048,ip,nw_dst=10.233.2.0/24 actions=${a.actionsText}`,
      actual: 'priority=1048,ip,nw_dst=10.233.2.0/24 actions=output:7',
    });
    expect(entries.find((e) => e.prefix === '10.233.7.0/24')?.desired).toMatch(/not programmable: next hop/);
  });
});

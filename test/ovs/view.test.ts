// `fib show --ovs` / `fib diff --ovs` without a switch, and the plan encoder:
// every message it writes decodes back to the operation it stands for.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FibRoute } from '../../src/fib/types.js';
import { GroupIdAllocator, groupIdRange } from '../../src/ovs/compile.js';
import { DesiredState } from '../../src/ovs/desired.js';
import { formatInstructions } from '../../src/ovs/openflow/actions.js';
import { ByteWriter } from '../../src/ovs/openflow/buffer.js';
import {
  decodeFlowStats,
  decodeGroupDesc,
  decodeMessage,
  frameLength,
  type OfMessage,
  scanFlowStats,
} from '../../src/ovs/openflow/messages.js';
import { formatMatch } from '../../src/ovs/openflow/oxm.js';
import type { OvsPort } from '../../src/ovs/ovsdb/facts.js';
import { PlanEncoder } from '../../src/ovs/plan-encoder.js';
import { InstalledState, opCount, planChunk } from '../../src/ovs/reconcile.js';
import { diffEntries, routeFlowText, showEntries } from '../../src/ovs/view.js';

const GROUP = 0xb6b00000;
const COOKIE = 0xb6b0000000000000n;
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
    new GroupIdAllocator(groupIdRange(COOKIE)),
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

describe('diffEntries', () => {
  const routes = [
    route('10.233.2.0/24', ['172.18.8.102']),
    route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']),
    route('10.233.9.0/24', [], true),
  ];

  it('is empty when the bridge has exactly what is wanted', () => {
    const desired = world(routes);
    const installed = new InstalledState();
    for (const [prefix] of desired.routes) {
      const flow = desired.flowFor(prefix);
      if (flow) installed.setFlow(prefix, flow.text, flow.groupId);
    }
    for (const [id, group] of desired.wantedGroups()) installed.groups.set(id, group.text);
    expect(diffEntries(desired, installed)).toEqual([]);
  });

  it('lists missing, different, extra, unprogrammable entries, strays and groups', () => {
    const desired = world([...routes, route('10.233.7.0/24', ['172.18.8.107'])]);
    const installed = new InstalledState();
    installed.setFlow('10.233.2.0/24', 'output:7', null);
    installed.setFlow('10.1.0.0/16', 'drop', null);
    installed.groups.set(GROUP + 5, 'bucket=weight:1,actions=drop');
    installed.strays.push({
      tableId: 0,
      priority: 7,
      match: Buffer.alloc(0),
      text: 'table=0,priority=7 actions=drop',
    });
    const entries = diffEntries(desired, installed);
    expect(entries.map((e) => `${e.problem} ${e.prefix}`).sort()).toEqual([
      'different 10.233.2.0/24',
      'extra (other)',
      'extra 10.1.0.0/16',
      `extra group:${GROUP + 5}`,
      'missing 10.233.3.0/24',
      'missing 10.233.7.0/24',
      'missing 10.233.9.0/24',
      `missing group:${GROUP}`,
    ]);
    expect(entries.find((e) => e.prefix === '10.233.2.0/24')).toMatchObject({
      desired: routeFlowText('10.233.2.0/24', desired.flowFor('10.233.2.0/24')?.text ?? ''),
      actual: 'priority=1048,ip,nw_dst=10.233.2.0/24 actions=output:7',
    });
    expect(entries.find((e) => e.prefix === '10.233.7.0/24')?.desired).toBe(
      '(not programmable: next hop 172.18.8.107: no MAC in the neighbour table yet)',
    );
  });
});

describe('showEntries', () => {
  it('prints our flows from a real dump as ovs-ofctl does, with ECMP buckets in the detail', () => {
    const fixture = JSON.parse(readFileSync(new URL('fixtures/ofctl.json', import.meta.url), 'utf8')) as {
      cases: { name: string; exchanges: { from: string; hex: string }[] }[];
    };
    const body = (name: string): Buffer => {
      for (const e of fixture.cases.find((c) => c.name === name)?.exchanges ?? []) {
        const m = decodeMessage(Buffer.from(e.hex, 'hex'));
        if (m.ok && m.value.type === 'multipartReply') return m.value.body;
      }
      throw new Error(name);
    };
    const raw = scanFlowStats(body('dump-flows-cookie'));
    const decoded = decodeFlowStats(body('dump-flows-cookie'));
    const groups = decodeGroupDesc(body('dump-groups'));
    if (!raw.ok || !decoded.ok || !groups.ok) throw new Error('fixture');
    const entries = showEntries(raw.value, decoded.value, groups.value, groupIdRange(0xb6bf000000000000n));
    expect(entries.map((e) => e.prefix)).toEqual([
      'fd00:233:2::/64',
      'fd00:233:3::/64',
      '10.233.5.7/32',
      '10.233.2.0/24',
      '10.233.3.0/24',
      '10.233.4.0/24',
      '10.233.9.0/24',
    ]);
    const ecmp = entries.find((e) => e.prefix === '10.233.4.0/24');
    expect(ecmp?.text).toMatch(
      /^cookie=0xb6b0000000000000, table=0, n_packets=0, n_bytes=0, priority=1048,ip,nw_dst=10.233.4.0\/24 actions=dec_ttl,group:3065970688$/,
    );
    expect(ecmp?.detail).toMatchObject({ priority: 1048, group: { id: 3065970688 } });
    expect((ecmp?.detail.group as { buckets: string[] }).buckets).toHaveLength(2);
  });
});

describe('PlanEncoder', () => {
  it('writes each operation of a plan as the message it stands for', () => {
    const desired = world([
      route('10.233.2.0/24', ['172.18.8.102']),
      route('fd00:233:2::/64', ['172.18.8.102']),
      route('10.233.3.0/24', ['172.18.8.102', '172.18.8.103']),
      route('10.233.9.0/24', [], true),
    ]);
    const installed = new InstalledState();
    installed.setFlow('10.233.8.0/24', 'drop', null);
    installed.groups.set(GROUP + 9, 'old');
    const stray = { tableId: 3, priority: 7, match: Buffer.from('80000a020800', 'hex'), text: 'stray' };
    const plan = planChunk(
      [...desired.routes.keys(), '10.233.8.0/24'],
      [GROUP + 9],
      [stray],
      desired,
      installed,
    );
    const encoder = new PlanEncoder(COOKIE, 0);
    encoder.use(plan);
    const w = new ByteWriter(16);
    for (let i = 0; i < opCount(plan); i++) encoder.write(w, i, 100 + i);
    const bytes = w.toBuffer();
    const messages: OfMessage[] = [];
    for (let offset = 0; offset < bytes.length; ) {
      const length = frameLength(bytes, offset) ?? 0;
      const m = decodeMessage(bytes.subarray(offset, offset + length));
      if (!m.ok) throw new Error(m.error);
      messages.push(m.value);
      offset += length;
    }
    const lines = messages.map((m) => {
      if (m.type === 'groupMod') return `${m.xid} group ${m.command} ${m.groupId} ${m.buckets.length}`;
      if (m.type !== 'flowMod') return `${m.xid} ${m.type}`;
      const cookie = `${m.cookie.toString(16)}/${m.cookieMask.toString(16)}`;
      return `${m.xid} ${m.command} table=${m.tableId} ${cookie} flags=${m.flags} priority=${m.priority} ${formatMatch(m.match)} ${formatInstructions(m.instructions)}`;
    });
    expect(lines).toEqual([
      `100 group add ${GROUP} 2`,
      '101 deleteStrict table=3 b6b0000000000000/ffffffff00000000 flags=0 priority=7 ip drop',
      '102 deleteStrict table=0 b6b0000000000000/ffffffff00000000 flags=0 priority=1048 ip,nw_dst=10.233.8.0/24 drop',
      `103 add table=0 b6b0000000000000/0 flags=1 priority=1048 ip,nw_dst=10.233.2.0/24 ${desired.flowFor('10.233.2.0/24')?.text}`,
      `104 add table=0 b6b0000000000000/0 flags=1 priority=1088 ipv6,ipv6_dst=fd00:233:2::/64 ${desired.flowFor('fd00:233:2::/64')?.text}`,
      `105 add table=0 b6b0000000000000/0 flags=1 priority=1048 ip,nw_dst=10.233.3.0/24 dec_ttl,group:${GROUP}`,
      '106 add table=0 b6b0000000000000/0 flags=1 priority=1048 ip,nw_dst=10.233.9.0/24 drop',
      `107 group delete ${GROUP + 9} 0`,
    ]);
  });
});

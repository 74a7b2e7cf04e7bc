// The OVS flow writer against a real ovs-vswitchd 3.1 (userspace datapath)
// in a fresh namespace: routed and tunnel flows checked with ovs-ofctl and
// ofproto/trace, ECMP select groups, blackhole, hand-made damage repaired,
// foreign flows untouched, ovs-vswitchd restarted, OVS stopped entirely and
// started again, a bridge that appears late, and bundle atomicity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topology } from '../../lab/netns.js';
import { OvsLab } from '../../lab/ovs.js';
import type { FibCommand, FibRoute } from '../../src/fib/types.js';
import { StaticNeighborResolver } from '../../src/ovs/neighbors.js';
import { group, output } from '../../src/ovs/openflow/actions.js';
import { sendBatch } from '../../src/ovs/openflow/batch.js';
import type { ByteWriter } from '../../src/ovs/openflow/buffer.js';
import { OpenflowConnection } from '../../src/ovs/openflow/connection.js';
import { flowModDefaults, writeFlowMod } from '../../src/ovs/openflow/messages.js';
import { matchOfPrefix } from '../../src/ovs/prefix.js';
import type { OvsChannel, OvsConnectionState, OvsLogger, OvsMetrics } from '../../src/ovs/types.js';
import { OvsWriter, type OvsWriterConfig } from '../../src/ovs/writer.js';

const COOKIE = 0xb6b0000000000000n;
const GROUP = 0xb6b00000;
const NH1 = '172.18.8.102';
const NH2 = '172.18.8.103';
const MAC1 = '02:00:00:00:01:02';
const MAC2 = '02:00:00:00:01:03';

class RecordingLogger implements OvsLogger {
  readonly lines: { level: string; message: string; fields: object }[] = [];
  info(fields: object, message: string): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(fields: object, message: string): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(fields: object, message: string): void {
    this.lines.push({ level: 'error', message, fields });
  }
  debug(fields: object, message: string): void {
    this.lines.push({ level: 'debug', message, fields });
  }
  has(level: string, pattern: RegExp): boolean {
    return this.lines.some((l) => l.level === level && pattern.test(l.message));
  }
}

class RecordingMetrics implements OvsMetrics {
  flows = 0;
  groups = 0;
  batches = 0;
  repairs = 0;
  unprogrammed = 0;
  readonly states: Record<OvsChannel, OvsConnectionState[]> = { openflow: [], ovsdb: [] };
  setInstalled(flows: number, groups: number): void {
    this.flows = flows;
    this.groups = groups;
  }
  observeBatch(): void {
    this.batches++;
  }
  addRepairs(count: number): void {
    this.repairs += count;
  }
  setConnectionState(channel: OvsChannel, state: OvsConnectionState): void {
    this.states[channel].push(state);
  }
  setUnprogrammed(count: number): void {
    this.unprogrammed = count;
  }
}

function install(prefix: string, nextHops: string[], blackhole = false): FibCommand {
  const route: FibRoute = {
    version: prefix.includes(':') ? 6 : 4,
    prefix,
    nextHops: nextHops.map((address) => ({ address })),
    blackhole,
  };
  return { kind: 'install', route };
}

const withdraw = (prefix: string): FibCommand => ({
  kind: 'withdraw',
  version: prefix.includes(':') ? 6 : 4,
  prefix,
});

async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let topo: Topology;
let ns: string;
let ovs: OvsLab;
let uplinkMac: string;

beforeAll(async () => {
  topo = Topology.create();
  ns = await topo.addNamespace('ovs');
  ovs = await OvsLab.start({ namespace: ns, stateDir: topo.stateDir('ovs') });
  await ovs.addBridge('br0');
  await topo.execOk(ns, ['ip', 'link', 'add', 'up1', 'type', 'veth', 'peer', 'name', 'up1p']);
  await topo.execOk(ns, ['ip', 'link', 'set', 'up1', 'up']);
  await topo.execOk(ns, ['ip', 'link', 'set', 'up1p', 'up']);
  await ovs.addPort('br0', 'up1', { ofport: 1 });
  uplinkMac = await ovs.macInUse('up1');
  // Tunnel bridge: a flow-based VXLAN port, and an underlay address on the
  // bridge's own port so the userspace datapath can route the outer packet.
  await ovs.addBridge('br-tun');
  await topo.execOk(ns, ['ip', 'link', 'add', 'up2', 'type', 'veth', 'peer', 'name', 'up2p']);
  await topo.execOk(ns, ['ip', 'link', 'set', 'up2', 'up']);
  await topo.execOk(ns, ['ip', 'link', 'set', 'up2p', 'up']);
  await ovs.addPort('br-tun', 'up2', { ofport: 1 });
  await ovs.addPort('br-tun', 'vx0', {
    ofport: 10,
    type: 'vxlan',
    options: { remote_ip: 'flow', key: 'flow' },
  });
  await topo.execOk(ns, ['ip', 'addr', 'add', '172.18.8.101/24', 'dev', 'br-tun']);
  await topo.execOk(ns, ['ip', 'link', 'set', 'br-tun', 'up']);
});

afterAll(async () => {
  await topo?.destroy();
});

function config(overrides: Partial<OvsWriterConfig> = {}): OvsWriterConfig {
  return {
    enabled: true,
    bridge: 'br0',
    table: 0,
    mode: 'routed',
    openflow: null,
    ovsdb: ovs.ovsdbTarget,
    uplinkPort: 'up1',
    tunnelPort: null,
    cookie: COOKIE,
    ...overrides,
  };
}

const fastRetry = { backoff: { initialMs: 50, maxMs: 300 }, reconcileIntervalMs: 0, neighborRefreshMs: 0 };

describe('routed mode', () => {
  const logger = new RecordingLogger();
  const metrics = new RecordingMetrics();
  const neighbors = new StaticNeighborResolver({ [NH1]: MAC1, [NH2]: MAC2, 'fd00:18:8::102': MAC1 });
  let writer: OvsWriter;

  beforeAll(async () => {
    // Flows that are not ours: the bridge's own NORMAL flow, and two made by hand.
    await ovs.ofctl('br0', ['add-flow', 'table=0,priority=1048,ip,nw_dst=10.99.0.0/16,actions=drop']);
    await ovs.ofctl('br0', [
      'add-flow',
      'table=0,cookie=0x1234,priority=3000,ip,nw_dst=10.98.0.0/16,actions=output:1',
    ]);
    writer = new OvsWriter(config(), { logger, metrics, neighbors, options: fastRetry });
    await writer.start();
    writer.apply([
      install('10.233.2.0/24', [NH1]),
      install('10.233.2.128/25', [NH2]),
      install('fd00:233:2::/64', ['fd00:18:8::102']),
      install('10.233.3.0/24', [NH1, NH2]),
      install('10.233.4.0/24', [NH2, NH1]),
      install('10.233.9.0/24', [], true),
    ]);
    await writer.flush();
  });

  afterAll(async () => {
    await writer?.stop();
  });

  it('writes one cookie-owned flow per prefix; ovs-ofctl shows them with priority by prefix length', async () => {
    const dump = await ovs.dumpFlows('br0', `cookie=${'0x'}${COOKIE.toString(16)}/0xffffffff00000000`);
    const flows = dump
      .split('\n')
      .filter((l) => l.includes('priority='))
      .map((l) => l.replace(/^.*?(priority=)/, '$1').replace(/ actions=/, ' actions='));
    expect(flows.sort()).toEqual(
      [
        `priority=1048,ip,nw_dst=10.233.2.0/24 actions=set_field:${uplinkMac}->eth_src,set_field:${MAC1}->eth_dst,dec_ttl,output:1`,
        `priority=1049,ip,nw_dst=10.233.2.128/25 actions=set_field:${uplinkMac}->eth_src,set_field:${MAC2}->eth_dst,dec_ttl,output:1`,
        `priority=1088,ipv6,ipv6_dst=fd00:233:2::/64 actions=set_field:${uplinkMac}->eth_src,set_field:${MAC1}->eth_dst,dec_ttl,output:1`,
        `priority=1048,ip,nw_dst=10.233.3.0/24 actions=dec_ttl,group:${GROUP}`,
        `priority=1048,ip,nw_dst=10.233.4.0/24 actions=dec_ttl,group:${GROUP}`,
        'priority=1048,ip,nw_dst=10.233.9.0/24 actions=drop',
      ].sort(),
    );
    expect(dump).toContain('send_flow_rem');
    expect(await writer.diff()).toEqual([]);
    expect(metrics.flows).toBe(6);
    expect(metrics.states.openflow.at(-1)).toBe('connected');
  });

  it('ECMP: one select group shared by both prefixes, one bucket per next hop', async () => {
    const groups = await ovs.dumpGroups('br0');
    expect(groups.match(/group_id=/g)).toHaveLength(1);
    expect(groups).toContain(`group_id=${GROUP},type=select`);
    expect(groups).toContain(`set_field:${MAC1}->eth_dst,output:1`);
    expect(groups).toContain(`set_field:${MAC2}->eth_dst,output:1`);
  });

  it('ofproto/trace: our flow decides (longest prefix), rewrites the MACs, decrements TTL, outputs to the uplink', async () => {
    const trace = await ovs.trace('br0', 'in_port=LOCAL,ip,nw_src=10.233.1.10,nw_dst=10.233.2.200,nw_ttl=64');
    expect(trace).toMatch(/ip,nw_dst=10\.233\.2\.128\/25, priority 1049, cookie 0xb6b0000000000000/);
    expect(trace).toContain(`set_field:${MAC2}->eth_dst`);
    expect(trace).toContain('dec_ttl');
    expect(trace).toContain('output:1');
    expect(trace).toMatch(/Final flow: .*dl_dst=02:00:00:00:01:03,.*nw_ttl=63/);
    expect(trace).toContain(`Datapath actions: set(eth(src=${uplinkMac},dst=${MAC2})),`);
    const ecmp = await ovs.trace('br0', 'in_port=LOCAL,ip,nw_dst=10.233.3.7,nw_ttl=64');
    expect(ecmp).toContain(`group:${GROUP}`);
    // OVS's select group hashes in the datapath, then recirculates; the second
    // pass picks the bucket by dp_hash: both next hops get traffic.
    const recirc = /Datapath actions: hash\(.*\),recirc\((0x[0-9a-f]+)\)/.exec(ecmp)?.[1];
    expect(recirc).toBeDefined();
    const chosen = new Set<string>();
    for (const hash of [1, 2, 3, 4, 5, 6]) {
      const second = await ovs.trace(
        'br0',
        `recirc_id=${recirc},dp_hash=${hash},in_port=LOCAL,ip,nw_dst=10.233.3.7,nw_ttl=63`,
      );
      expect(second).toMatch(/using bucket \d/);
      const dst = /Datapath actions: set\(eth\(src=[0-9a-f:]+,dst=([0-9a-f:]+)\)\),\d+/.exec(second)?.[1];
      if (dst) chosen.add(dst);
    }
    expect([...chosen].sort()).toEqual([MAC1, MAC2]);
    const blackhole = await ovs.trace('br0', 'in_port=LOCAL,ip,nw_dst=10.233.9.1,nw_ttl=64');
    expect(blackhole).toMatch(/priority 1048, cookie 0xb6b0000000000000/);
    expect(blackhole).toContain('Datapath actions: drop');
  });

  it('show lists what we own in ovs-ofctl form, with the group buckets for ECMP', async () => {
    const entries = await writer.show();
    expect(entries.map((e) => e.prefix).sort()).toEqual(
      [
        '10.233.2.0/24',
        '10.233.2.128/25',
        '10.233.3.0/24',
        '10.233.4.0/24',
        '10.233.9.0/24',
        'fd00:233:2::/64',
      ].sort(),
    );
    const ecmp = entries.find((e) => e.prefix === '10.233.3.0/24');
    expect(ecmp?.text).toMatch(
      /^cookie=0xb6b0000000000000, table=0, .*priority=1048,ip,nw_dst=10.233.3.0\/24 actions=dec_ttl,group:/,
    );
    expect(ecmp?.detail).toMatchObject({ priority: 1048, group: { id: GROUP } });
  });

  it('repairs a flow deleted by hand at once, and a group deleted by hand with its flows', async () => {
    const repairsBefore = metrics.repairs;
    await ovs.ofctl('br0', ['del-flows', '--strict', 'table=0,priority=1048,ip,nw_dst=10.233.2.0/24']);
    await eventually('10.233.2.0/24 restored', async () =>
      (await ovs.dumpFlows('br0')).includes('nw_dst=10.233.2.0/24'),
    );
    expect(metrics.repairs).toBeGreaterThan(repairsBefore);
    expect(logger.has('info', /deleted outside the agent/)).toBe(true);
    await ovs.ofctl('br0', ['del-groups', `group_id=${GROUP}`]);
    await eventually('group and its flows restored', async () => {
      const flows = await ovs.dumpFlows('br0');
      return (
        (await ovs.dumpGroups('br0')).includes(`group_id=${GROUP}`) &&
        flows.includes('nw_dst=10.233.3.0/24') &&
        flows.includes('nw_dst=10.233.4.0/24')
      );
    });
    expect(await writer.diff()).toEqual([]);
  });

  it('a sync puts back changed flows and removes stray flows carrying our cookie', async () => {
    await ovs.ofctl('br0', [
      'mod-flows',
      '--strict',
      'table=0,priority=1048,ip,nw_dst=10.233.9.0/24,actions=output:1',
    ]);
    await ovs.ofctl('br0', [
      'add-flow',
      `table=0,cookie=${'0x'}${COOKIE.toString(16)},priority=7,in_port=1,actions=drop`,
    ]);
    expect((await writer.diff()).map((e) => `${e.problem} ${e.prefix}`).sort()).toEqual([
      'different 10.233.9.0/24',
      'extra (other)',
    ]);
    const repairsBefore = metrics.repairs;
    await writer.reconcile();
    expect(await writer.diff()).toEqual([]);
    expect(metrics.repairs - repairsBefore).toBe(2);
    expect(await ovs.dumpFlows('br0')).not.toContain('priority=7,in_port=1');
  });

  it('withdrawals delete flows, and the group once no route uses it; foreign flows are never touched', async () => {
    writer.apply([withdraw('10.233.3.0/24'), withdraw('10.233.2.128/25')]);
    await writer.flush();
    expect(await ovs.dumpGroups('br0')).toContain(`group_id=${GROUP}`); // 10.233.4.0/24 still uses it
    writer.apply([withdraw('10.233.4.0/24')]);
    await writer.flush();
    expect(await ovs.dumpGroups('br0')).not.toContain('group_id=');
    const dump = await ovs.dumpFlows('br0');
    expect(dump).not.toContain('nw_dst=10.233.3.0/24');
    expect(dump).toContain('cookie=0x0, ');
    expect(dump).toContain('priority=1048,ip,nw_dst=10.99.0.0/16 actions=drop');
    expect(dump).toContain('cookie=0x1234');
    expect(dump).toContain('priority=0 actions=NORMAL');
  });

  it('a MAC that moves is rewritten', async () => {
    neighbors.set(NH1, '02:00:00:00:0a:0a');
    await eventually('new MAC in the flow', async () =>
      (await ovs.dumpFlows('br0')).includes('set_field:02:00:00:00:0a:0a->eth_dst'),
    );
    await writer.flush();
    expect(await writer.diff()).toEqual([]);
  });

  it('a next hop without a MAC waits (reported by fib diff) and is written once the MAC is known', async () => {
    writer.apply([install('10.233.6.0/24', ['172.18.8.106'])]);
    await writer.flush();
    expect(writer.status().unprogrammed).toEqual([
      { prefix: '10.233.6.0/24', reason: 'next hop 172.18.8.106: no MAC in the neighbour table yet' },
    ]);
    expect(await writer.diff()).toMatchObject([{ prefix: '10.233.6.0/24', problem: 'missing' }]);
    neighbors.set('172.18.8.106', '02:00:00:00:01:06');
    await eventually('10.233.6.0/24 written', async () =>
      (await ovs.dumpFlows('br0')).includes('nw_dst=10.233.6.0/24'),
    );
    expect(writer.status().unprogrammed).toEqual([]);
  });

  it('restores every flow after ovs-vswitchd restarts (flows do not survive it)', async () => {
    const before = (await writer.show()).map((e) => e.prefix).sort();
    await ovs.restartVswitchd();
    await eventually('reconnected and restored', async () => {
      const dump = await ovs.dumpFlows('br0').catch(() => '');
      return before.every((prefix) =>
        dump.includes(prefix.includes(':') ? `ipv6_dst=${prefix}` : `nw_dst=${prefix}`),
      );
    });
    await writer.flush();
    expect(await writer.diff()).toEqual([]);
    expect(logger.has('warn', /lost the OpenFlow connection/)).toBe(true);
    expect(metrics.states.openflow).toContain('connecting');
    expect(metrics.states.openflow.at(-1)).toBe('connected');
  });

  it('after a restart (keepFoundUntilSweep) the flows of the previous run stay until sweepStale()', async () => {
    const before = (await writer.show()).map((e) => e.prefix).sort();
    await writer.stop(); // the previous run leaves its flows in the bridge
    const restarted = new OvsWriter(config(), {
      logger,
      metrics,
      neighbors,
      options: { ...fastRetry, keepFoundUntilSweep: true },
    });
    await restarted.start();
    expect(restarted.adopted).toBe(before.length);
    // Only one route is wanted again so far: the others are kept, not deleted.
    restarted.apply([install('10.233.2.0/24', [NH1])]);
    await restarted.flush();
    expect((await restarted.show()).map((e) => e.prefix).sort()).toEqual(before);
    restarted.sweepStale();
    await eventually(
      'swept',
      async () => (await restarted.show()).map((e) => e.prefix).join() === '10.233.2.0/24',
    );
    expect((await ovs.ofctl('br0', ['dump-groups'])).includes('group_id=')).toBe(false);
    // The writer the next tests use, with the routes the tests before left it.
    await restarted.stop();
    writer = new OvsWriter(config(), { logger, metrics, neighbors, options: fastRetry });
    await writer.start();
    writer.apply([
      install('10.233.2.0/24', [NH1]),
      install('fd00:233:2::/64', ['fd00:18:8::102']),
      install('10.233.6.0/24', ['172.18.8.106']),
      install('10.233.9.0/24', [], true),
    ]);
    await writer.flush();
    expect((await writer.show()).map((e) => e.prefix).sort()).toEqual(before);
  });

  it('with ovsdb-server and ovs-vswitchd both stopped: logs, keeps the routes, never throws; recovers when they return', async () => {
    await ovs.stop();
    await eventually(
      'noticed',
      () => writer.status().openflow.state !== 'connected' && writer.status().ovsdb.state !== 'connected',
    );
    expect(() => writer.apply([install('10.233.7.0/24', [NH2]), withdraw('10.233.6.0/24')])).not.toThrow();
    await writer.flush(); // resolves while disconnected
    await expect(writer.show()).rejects.toThrow(/not connected/);
    await new Promise((r) => setTimeout(r, 600)); // a few retries
    expect(logger.has('warn', /cannot reach OVSDB/)).toBe(true);
    expect(logger.has('warn', /cannot connect over OpenFlow/)).toBe(true);
    await ovs.startOvsdb();
    await ovs.startVswitchd();
    await eventually('recovered with the change made while down', async () => {
      const dump = await ovs.dumpFlows('br0').catch(() => '');
      return (
        dump.includes('nw_dst=10.233.7.0/24') &&
        !dump.includes('nw_dst=10.233.6.0/24') &&
        dump.includes('nw_dst=10.233.2.0/24')
      );
    });
    await writer.flush();
    expect(await writer.diff()).toEqual([]);
    await eventually('both channels connected', () => {
      const status = writer.status();
      return status.openflow.state === 'connected' && status.ovsdb.state === 'connected';
    });
  });
});

describe('tunnel mode', () => {
  it('sets the tunnel destination to the BGP next hop and outputs to the flow-based VXLAN port', async () => {
    await ovs.appctl(['tnl/arp/set', 'br-tun', NH2, 'aa:55:aa:55:00:03']);
    const writer = new OvsWriter(
      config({ bridge: 'br-tun', mode: 'tunnel', uplinkPort: null, tunnelPort: 'vx0' }),
      {
        options: fastRetry,
      },
    );
    try {
      await writer.start();
      writer.apply([install('10.233.3.0/24', [NH2]), install('10.233.5.0/24', [NH1, NH2])]);
      await writer.flush();
      const dump = await ovs.dumpFlows('br-tun');
      expect(dump).toContain(
        `priority=1048,ip,nw_dst=10.233.3.0/24 actions=set_field:${NH2}->tun_dst,output:10`,
      );
      expect(dump).toContain(`priority=1048,ip,nw_dst=10.233.5.0/24 actions=group:${GROUP}`);
      expect(await ovs.dumpGroups('br-tun')).toContain(`bucket=actions=set_field:${NH1}->tun_dst,output:10`);
      const trace = await ovs.trace(
        'br-tun',
        'in_port=LOCAL,ip,nw_src=10.233.1.10,nw_dst=10.233.3.10,nw_ttl=64',
      );
      expect(trace).toMatch(/nw_dst=10\.233\.3\.0\/24, priority 1048, cookie 0xb6b0000000000000/);
      expect(trace).toContain(`set_field:${NH2}->tun_dst`);
      expect(trace).toContain('output:10');
      expect(trace).toContain(`tunneling to ${NH2} via br-tun`);
      expect(trace).toMatch(/Datapath actions: .*tnl_push\(.*dst=172\.18\.8\.103/);
      expect(await writer.diff()).toEqual([]);
    } finally {
      await writer.stop();
    }
  });
});

describe('a bridge that does not exist yet', () => {
  it('is a clear log line and a no-bridge state, then the writer connects when it appears', async () => {
    const logger = new RecordingLogger();
    const metrics = new RecordingMetrics();
    const writer = new OvsWriter(config({ bridge: 'br-late', uplinkPort: null }), {
      logger,
      metrics,
      options: fastRetry,
    });
    try {
      await writer.start();
      writer.apply([install('10.233.9.0/24', [], true)]);
      await eventually('no-bridge reported', () => metrics.states.openflow.includes('no-bridge'));
      expect(logger.has('warn', /bridge does not exist in OVSDB/)).toBe(true);
      expect(writer.status().openflow.state).toBe('no-bridge');
      await ovs.addBridge('br-late');
      await eventually('flow written', async () =>
        (await ovs.dumpFlows('br-late')).includes('nw_dst=10.233.9.0/24'),
      );
      expect(writer.status().openflow.state).toBe('connected');
    } finally {
      await writer.stop();
      await ovs.deleteBridge('br-late');
    }
  });
});

describe('bundles', () => {
  it('a batch with one invalid flow mod applies nothing, and the refusal names that message', async () => {
    const connection = await OpenflowConnection.connect({ kind: 'unix', path: ovs.mgmtPath('br0') });
    try {
      const flows = ['10.250.1.0/24', '10.250.2.0/24', '10.250.3.0/24'];
      const encode = (w: ByteWriter, index: number, xid: number): void =>
        writeFlowMod(w, xid, {
          ...flowModDefaults,
          cookie: 0xb6b1000000000000n,
          tableId: 0,
          command: 'add',
          priority: 1048,
          match: matchOfPrefix(flows[index] ?? ''),
          // The last one points at a group that does not exist.
          instructions: [{ type: 'applyActions', actions: index === 2 ? [group(12345)] : [output(1)] }],
        });
      const rejected = await sendBatch(connection, 3, encode, { bundle: true, bundleId: 7 });
      expect(rejected.outcome).toBe('rejected');
      expect([...rejected.failed]).toEqual([[2, 'BAD_ACTION/BAD_OUT_GROUP']]);
      expect(await ovs.dumpFlows('br0')).not.toContain('10.250.');
      // Without the bad one, the same bundle applies whole.
      const committed = await sendBatch(connection, 2, encode, { bundle: true, bundleId: 8 });
      expect(committed.outcome).toBe('committed');
      const dump = await ovs.dumpFlows('br0');
      expect(dump).toContain('nw_dst=10.250.1.0/24');
      expect(dump).toContain('nw_dst=10.250.2.0/24');
    } finally {
      await ovs.ofctl('br0', ['del-flows', 'cookie=0xb6b1000000000000/0xffffffff00000000']);
      connection.close();
    }
  });

  it('a switch that refuses OpenFlow 1.3 is a readable error', async () => {
    await ovs.addBridge('br-of10', { protocols: 'OpenFlow10' });
    try {
      await expect(
        OpenflowConnection.connect({ kind: 'unix', path: ovs.mgmtPath('br-of10') }),
      ).rejects.toThrow(/refused OpenFlow 1.3|does not speak OpenFlow 1.3/);
    } finally {
      await ovs.deleteBridge('br-of10');
    }
  });
});

// The OVS variant of the two-node lab end to end (lab/lab.ts --ovs,
// lab/ovs-node.ts, two real agents writing flows to two real userspace
// ovs-vswitchd): pods ping both ways through the agents' flows with no kernel
// route for the other pod; ofproto/trace shows the agent's flow deciding;
// a flow deleted by hand comes back; an ovs-vswitchd restart loses every flow
// and the agent restores them; tunnel mode encapsulates in VXLAN (seen in
// the trace) and forwards; an agent whose OVS is missing keeps BGP running
// and says why; `down` leaves no namespace and no process behind.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LabAgent } from '../../lab/agent.js';
import { Lab } from '../../lab/lab.js';
import { execOk, listNamespaces, run, Topology } from '../../lab/netns.js';
import type { OvsLabMode } from '../../lab/ovs-node.js';
import { isAlive, savedPids } from '../../lab/process.js';
import { eventually } from '../interop/helpers.js';

const labs: Lab[] = [];
const AGENT_COOKIE = 'cookie=0xb6b0000000000000/0xffffffff00000000';

function newLab(ovs: OvsLabMode): Lab {
  const lab = new Lab({
    prefix: `o${randomBytes(2).toString('hex')}-`,
    state: mkdtempSync(join(tmpdir(), 'agent-ovs-lab-')),
    node2: 'agent',
    holdTimeSeconds: 3,
    ovs,
  });
  labs.push(lab);
  return lab;
}

async function up(lab: Lab): Promise<void> {
  await lab.up();
  await lab.waitEstablished();
  await lab.waitRoutes();
}

/** The agent's flows on node n, one line each, without counters. */
async function agentFlows(lab: Lab, n: 1 | 2): Promise<string[]> {
  const dump = await lab.ovsTools(n).ofctl(['dump-flows', AGENT_COOKIE]);
  return dump
    .split('\n')
    .filter((line) => line.includes('priority='))
    .map((line) => line.replace(/^.*?(priority=)/, '$1'));
}

/** Saved PIDs of everything the lab started (agents and both nodes' OVS daemons). */
function labPids(lab: Lab): number[] {
  return [1, 2].flatMap((n) => {
    const dir = join(lab.options.state, `node${n}`);
    return [...savedPids(dir), ...savedPids(join(dir, 'ovs'))].map((p) => p.pid);
  });
}

/** The icmp_seq numbers ping printed no reply for. */
function missingSequences(stdout: string, count: number): number[] {
  const seen = new Set([...stdout.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1])));
  return Array.from({ length: count }, (_, i) => i + 1).filter((seq) => !seen.has(seq));
}

afterAll(async () => {
  for (const lab of labs) await Lab.down(lab.options.state);
});

describe('OVS lab, routed mode', () => {
  const lab = newLab('routed');
  let node2Mac = '';

  it('pods ping each other through the agents flows; no kernel route for the other pod', async () => {
    await up(lab);
    node2Mac = (await execOk(lab.node(2), ['cat', '/sys/class/net/host0/address'])).trim();
    // No uplinkPort in the lab's config: the bridge's own MAC, then NORMAL.
    const node1Bridge = (await execOk(lab.node(1), ['cat', '/sys/class/net/br0/address'])).trim();
    expect(await agentFlows(lab, 1)).toEqual([
      `priority=1048,ip,nw_dst=10.233.2.0/24 actions=set_field:${node1Bridge}->eth_src,set_field:${node2Mac}->eth_dst,dec_ttl,NORMAL`,
    ]);
    for (const n of [1, 2] as const) {
      expect((await execOk(lab.node(n), ['ip', 'route', 'show', `10.233.${3 - n}.0/24`])).trim()).toBe('');
      expect(await execOk(lab.node(n), ['ip', 'route', 'show', 'proto', 'bgp'])).toBe('');
    }
    for (const from of [1, 2] as const)
      expect(await lab.ping(from, 3)).toMatchObject({ sent: 3, received: 3 });
    // The flow carried the pings: its counters (pulled from the datapath by
    // OVS's revalidators, so a little late) count the three echo requests.
    await eventually(
      'flow counters',
      async () => {
        const dump = await lab.ovsTools(1).ofctl(['dump-flows', AGENT_COOKIE]);
        return Number(/n_packets=(\d+)/.exec(dump)?.[1] ?? 0) >= 3 ? true : undefined;
      },
      5000,
      100,
    );
  }, 60_000);

  it('ofproto/trace: the agent flow decides, rewrites the MACs, decrements TTL, NORMAL outputs to the uplink (no uplinkPort configured)', async () => {
    const trace = await lab.ovsTools(1).appctl(['ofproto/trace', 'br0', lab.traceFlow(1)]);
    expect(trace).toContain('ip,nw_dst=10.233.2.0/24, priority 1048, cookie 0xb6b0000000000000');
    expect(trace).toContain(`set_field:${node2Mac}->eth_dst`);
    expect(trace).toContain('dec_ttl');
    expect(trace).toMatch(
      /Datapath actions: set\(eth\(src=[0-9a-f:]+,dst=[0-9a-f:]+\)\),set\(ipv4\(ttl=63\)\),\d+/,
    );
    const report = await lab.report();
    expect(report).toContain('== node1: agentctl fib show --ovs');
    expect(report).toContain('== node2: ovs-appctl ofproto/trace br0');
    expect(report).toContain('3 packets transmitted, 3 received');
  }, 30_000);

  it('fib show/diff --ovs: the flow in ovs-ofctl form, and in sync', async () => {
    const show = await lab.agentctl(1, ['fib', 'show', '--ovs', '--json']);
    expect(show.code).toBe(0);
    const parsed = JSON.parse(show.stdout) as { writer: string; entries: { prefix: string; text: string }[] };
    expect(parsed.writer).toBe('ovs');
    expect(parsed.entries.map((e) => e.prefix)).toEqual(['10.233.2.0/24']);
    expect(parsed.entries[0]?.text).toMatch(/^cookie=0xb6b0000000000000, table=0, n_packets=\d+/);
    expect((await lab.agentctl(1, ['fib', 'diff', '--ovs'])).stdout.trim()).toBe('in sync');
    expect(JSON.parse((await lab.agentctl(2, ['fib', 'diff', '--ovs', '--json'])).stdout)).toEqual({
      writer: 'ovs',
      differences: [],
    });
  }, 30_000);

  it('a flow deleted by hand is back within a second', async () => {
    await lab.ovsTools(1).ofctl(['del-flows', '--strict', 'table=0,priority=1048,ip,nw_dst=10.233.2.0/24']);
    const started = Date.now();
    await eventually(
      'flow repaired',
      async () => ((await agentFlows(lab, 1)).length === 1 ? true : undefined),
      5000,
      50,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await lab.ping(1, 2)).toMatchObject({ received: 2 });
  }, 30_000);

  it('restarting ovs-vswitchd (which loses every flow) restores the flows; pods ping again', async () => {
    const before = await agentFlows(lab, 2);
    await lab.restartOvs(2);
    await eventually(
      'flows restored',
      async () => ((await agentFlows(lab, 2).catch(() => [])).join() === before.join() ? true : undefined),
      15_000,
      100,
    );
    for (const from of [1, 2] as const)
      expect(await lab.ping(from, 3)).toMatchObject({ sent: 3, received: 3 });
    expect(await lab.agentctl(2, ['neighbor', 'show', '--json'])).toMatchObject({ code: 0 });
  }, 60_000);

  it('SIGTERM and start of node2 agent while pod1 pings pod2 every 100 ms: its flows stay, no ping lost', async () => {
    const before = await agentFlows(lab, 2);
    const pid = savedPids(lab.stateDir(2)).find((p) => p.name === 'agent')?.pid as number;
    const pings = run(
      ['ip', 'netns', 'exec', lab.pod(1), 'ping', '-c', '80', '-i', '0.1', '-W', '1', '10.233.2.10'],
      { timeoutMs: 30_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    process.kill(pid, 'SIGTERM');
    await eventually('agent gone', async () => (isAlive(pid) ? undefined : true), 10_000, 20);
    expect(await agentFlows(lab, 2)).toEqual(before);
    await lab.startAgent(2);
    const result = await pings;
    const summary = result.stdout.split('\n').find((line) => line.includes('packets transmitted')) ?? '';
    const missing = missingSequences(result.stdout, 80);
    expect(
      summary,
      `lost icmp_seq ${missing.join(', ')}\n${readFileSync(join(lab.stateDir(2), 'agent.out'), 'utf8').slice(-6000)}`,
    ).toMatch(/^80 packets transmitted, 80 received, 0% packet loss/);
    await lab.waitEstablished();
    await eventually('flows as before', async () =>
      (await agentFlows(lab, 2)).join() === before.join() ? true : undefined,
    );
    expect(readFileSync(join(lab.stateDir(2), 'agent.out'), 'utf8')).toContain(
      'ovs: keeping flows from the previous run until peers have sent theirs again',
    );
  }, 60_000);

  it('down leaves no namespace and no process', async () => {
    const pids = labPids(lab);
    expect(pids.length).toBe(6); // two agents, two ovsdb-servers, two ovs-vswitchds
    await Lab.down(lab.options.state);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(listNamespaces().filter((ns) => ns.startsWith(lab.options.prefix))).toEqual([]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(existsSync(lab.options.state)).toBe(false);
  }, 30_000);
});

describe('OVS lab, tunnel mode', () => {
  it('flows set tun_dst to the other node and output to the VXLAN port; the trace shows the encapsulation; pods ping', async () => {
    const lab = newLab('tunnel');
    await up(lab);
    expect(await agentFlows(lab, 1)).toEqual([
      'priority=1048,ip,nw_dst=10.233.2.0/24 actions=set_field:172.18.8.102->tun_dst,output:10',
    ]);
    for (const from of [1, 2] as const)
      expect(await lab.ping(from, 3)).toMatchObject({ sent: 3, received: 3 });
    const trace = await lab.ovsTools(1).appctl(['ofproto/trace', 'br0', lab.traceFlow(1)]);
    expect(trace).toContain('ip,nw_dst=10.233.2.0/24, priority 1048, cookie 0xb6b0000000000000');
    expect(trace).toContain('tunneling to 172.18.8.102 via br0');
    expect(trace).toMatch(
      /Datapath actions: tnl_push\(.*ipv4\(src=172\.18\.8\.101,dst=172\.18\.8\.102,proto=17.*udp\(src=0,dst=4789.*vxlan\(/,
    );
    await Lab.down(lab.options.state);
    expect(listNamespaces().filter((ns) => ns.startsWith(lab.options.prefix))).toEqual([]);
  }, 90_000);
});

describe('an agent with fib.ovs enabled and no Open vSwitch at all', () => {
  it('runs, keeps its BGP session, and says why there are no flows', async () => {
    const topo = Topology.create();
    try {
      const a = await topo.addNamespace('a');
      const b = await topo.addNamespace('b');
      await topo.addLink({
        a: { ns: a, ifname: 'eth1', ipv4: '172.18.8.101/24' },
        b: { ns: b, ifname: 'eth1', ipv4: '172.18.8.102/24' },
      });
      const missing = join(topo.dir, 'no-ovs');
      const agents = [
        [a, '172.18.8.101', '172.18.8.102'],
        [b, '172.18.8.102', '172.18.8.101'],
      ].map(
        ([ns, self, peer]) =>
          new LabAgent({
            namespace: ns as string,
            stateDir: topo.stateDir(`agent-${self}`),
            config: {
              asn: 64512,
              routerId: self,
              neighbors: [{ address: peer, asn: 64512, holdTimeSeconds: 3, connectRetrySeconds: 1 }],
              originate: [{ prefix: self === '172.18.8.101' ? '10.233.1.0/24' : '10.233.2.0/24' }],
              fib: {
                kernel: { enabled: false },
                ovs: { enabled: true, bridge: 'br0', ovsdb: `unix:${missing}/db.sock`, uplinkPort: 'eth1' },
              },
            },
          }),
      );
      for (const agent of agents) await agent.start();
      const [first] = agents;
      if (first === undefined) throw new Error('no agent');
      await first.waitNeighbor('172.18.8.102');
      const rib = await first.ctl(['rib', 'show']);
      expect(rib.stdout).toContain('10.233.2.0/24');
      const show = await first.ctl(['fib', 'show', '--ovs']);
      expect(show.code).not.toBe(0);
      expect(show.stdout + show.stderr).toMatch(/ovs: not connected to unix:.*br0\.mgmt/);
      const log = await first.logText();
      expect(log).toContain('cannot reach OVSDB (is ovsdb-server running?)');
      expect(log).toContain(
        'cannot connect over OpenFlow: is ovs-vswitchd running and does bridge br0 exist?',
      );
      expect(first.running()).toBe(true);
      for (const agent of agents) await agent.stop();
    } finally {
      await topo.destroy();
    }
  }, 60_000);
});

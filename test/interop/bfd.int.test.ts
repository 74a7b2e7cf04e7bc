// BFD between the agent (bin/agent, its BFD worker) and real FRR bfdd and
// BIRD 2 protocol bfd in network namespaces: single-hop over IPv4 and IPv6
// with each, multihop (RFC 5883, port 4784) with FRR. Each case checks Up on
// both sides (the peer's own CLI and agentctl bfd show) and the negotiated
// intervals. Then, with FRR, the coupling: the peer's end of the link set
// down (this kernel has no sch_netem) -> the agent's BFD goes Down, the BGP session is
// closed with Cease/BFD Down and held; the link back -> BFD Up, BGP back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabAgent } from '../../lab/agent.js';
import { cleanupStaleRuns, listNamespaces, Topology } from '../../lab/netns.js';
import type { BirdPeer } from '../../lab/peers/bird.js';
import type { FrrPeer } from '../../lab/peers/frr.js';
import { startPeer } from '../../lab/peers/index.js';
import { isAlive, savedPids } from '../../lab/process.js';
import { eventually } from './helpers.js';

interface Case {
  readonly name: string;
  readonly peer: 'frr' | 'bird';
  readonly transport: 'ipv4' | 'ipv6';
  readonly multihop: boolean;
}

const CASES: readonly Case[] = [
  { name: 'frr-v4', peer: 'frr', transport: 'ipv4', multihop: false },
  { name: 'frr-v6', peer: 'frr', transport: 'ipv6', multihop: false },
  { name: 'bird-v4', peer: 'bird', transport: 'ipv4', multihop: false },
  { name: 'bird-v6', peer: 'bird', transport: 'ipv6', multihop: false },
  { name: 'frr-v4-multihop', peer: 'frr', transport: 'ipv4', multihop: true },
];

const AGENT_ASN = 65110;
const TIMERS = { minRxMs: 100, minTxMs: 100, multiplier: 3 };

interface BfdJson {
  neighbor: string;
  state: string;
  multihop: boolean;
  remoteDiscriminator: number;
  transmitIntervalMs: number;
  detectionTimeMs: number;
  flaps: number;
  lastDown: { diagnostic: string } | null;
  bgpHeld: boolean;
}

interface Running {
  readonly spec: Case;
  readonly topology: Topology;
  readonly agent: LabAgent;
  readonly peer: FrrPeer | BirdPeer;
  readonly peerNs: string;
  readonly agentAddress: string;
  readonly peerAddress: string;
  readonly config: AgentConfigJson;
}

interface AgentConfigJson {
  readonly neighbors: readonly Record<string, unknown>[];
  readonly [key: string]: unknown;
}

const running: Running[] = [];

async function bringUp(spec: Case, index: number): Promise<Running> {
  const topology = Topology.create();
  const agentNs = await topology.addNamespace('agent');
  const peerNs = await topology.addNamespace('peer');
  const v4 = (host: number) => `10.94.${index}.${host}`;
  const v6 = (host: number) => `fd00:94:${index}::${host}`;
  await topology.addLink({
    a: { ns: agentNs, ifname: 'eth1', ipv4: `${v4(1)}/24`, ipv6: `${v6(1)}/64` },
    b: { ns: peerNs, ifname: 'eth1', ipv4: `${v4(2)}/24`, ipv6: `${v6(2)}/64` },
  });
  const agentAddress = spec.transport === 'ipv4' ? v4(1) : v6(1);
  const peerAddress = spec.transport === 'ipv4' ? v4(2) : v6(2);
  const peerAsn = 65210 + index;
  const peer = await startPeer({
    kind: spec.peer,
    namespace: peerNs,
    stateDir: topology.stateDir('peer'),
    routerId: v4(2),
    asn: peerAsn,
    neighbors: [
      {
        address: agentAddress,
        asn: AGENT_ASN,
        localAddress: peerAddress,
        holdTimeSeconds: 9,
        connectRetrySeconds: 1,
        families: [spec.transport === 'ipv4' ? 'ipv4-unicast' : 'ipv6-unicast'],
        bfd: { ...TIMERS, ...(spec.multihop ? { multihop: true } : {}) },
      },
    ],
  });
  const config: AgentConfigJson = {
    asn: AGENT_ASN,
    routerId: v4(1),
    listen: { address: spec.transport === 'ipv4' ? '0.0.0.0' : '::', port: 179 },
    neighbors: [
      {
        address: peerAddress,
        asn: peerAsn,
        localAddress: agentAddress,
        holdTimeSeconds: 9,
        connectRetrySeconds: 1,
        families: [spec.transport === 'ipv4' ? 'ipv4-unicast' : 'ipv6-unicast'],
        import: 'accept-all',
        export: 'accept-all',
        bfd: { enabled: true, ...TIMERS, ...(spec.multihop ? { hops: 2 } : {}) },
      },
    ],
    fib: { kernel: { enabled: false } },
  };
  const agent = new LabAgent({
    namespace: agentNs,
    stateDir: topology.stateDir('agent'),
    config: { ...config },
  });
  await agent.start();
  const entry = { spec, topology, agent, peer, peerNs, agentAddress, peerAddress, config };
  running.push(entry);
  return entry;
}

async function agentBfd(r: Running): Promise<BfdJson> {
  return r.agent.ctlJson<BfdJson>(['bfd', 'show', r.peerAddress]);
}

beforeAll(async () => {
  await cleanupStaleRuns();
});

afterAll(async () => {
  for (const r of running) {
    await r.agent.stop().catch(() => undefined);
    await r.peer.stop().catch(() => undefined);
    const dirs = [r.topology.stateDir('agent'), r.topology.stateDir('peer')];
    const pids = dirs.flatMap((dir) => savedPids(dir).map((p) => p.pid));
    await r.topology.destroy({ keepFiles: process.env.KEEP_LAB === '1' });
    expect(listNamespaces().filter((ns) => ns.startsWith(`${r.topology.runId}-`))).toEqual([]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }
});

describe('BFD with real peers', () => {
  let all: Running[] = [];
  const flapsBefore = new Map<string, number>();

  it('every case comes Up on both sides with 100 ms x 3 negotiated', async () => {
    all = await Promise.all(CASES.map((spec, index) => bringUp(spec, index + 1)));
    const started = Date.now();
    const results = await Promise.allSettled(
      all.map(async (r) => {
        try {
          await r.agent.waitNeighbor(r.peerAddress, 'established', 30_000);
          await eventually(`${r.spec.name}: agent BFD Up`, async () =>
            (await agentBfd(r)).state === 'up' ? true : undefined,
          );
          await eventually(`${r.spec.name}: peer BFD Up`, async () =>
            (await r.peer.bfdState(r.agentAddress)) === 'up' ? true : undefined,
          );
        } catch (error) {
          const peerLog = (await r.peer.logText().catch(() => '')).slice(-3000);
          throw new Error(`${(error as Error).message}\n--- ${r.spec.peer} log (tail):\n${peerLog}`);
        }
      }),
    );
    expect(
      results.flatMap((result, i) =>
        result.status === 'rejected' ? [`${CASES[i]?.name}: ${String(result.reason)}`] : [],
      ),
    ).toEqual([]);
    console.log(`all ${all.length} BFD sessions Up within ${Date.now() - started} ms`);
    for (const r of all) {
      // The poll for the fast rate ends within a few packets.
      const bfd = await eventually(`${r.spec.name}: 100 ms negotiated`, async () => {
        const b = await agentBfd(r);
        return b.transmitIntervalMs === 100 && b.detectionTimeMs === 300 ? b : undefined;
      });
      expect([r.spec.name, bfd.multihop, bfd.remoteDiscriminator > 0]).toEqual([
        r.spec.name,
        r.spec.multihop,
        true,
      ]);
      // FRR may restart its side once when bgpd registers the session with
      // bfdd after BGP comes up (a Down from the peer right after Up): the
      // baseline for "no flap" is taken once both are settled.
      flapsBefore.set(r.spec.name, bfd.flaps);
    }
  }, 90_000);

  it('sessions stay Up for 5 s once BGP is up too (jittered 100 ms packets, no flap)', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    for (const r of all) {
      const bfd = await agentBfd(r);
      expect([r.spec.name, bfd.state, bfd.flaps]).toEqual([r.spec.name, 'up', flapsBefore.get(r.spec.name)]);
      expect([r.spec.name, await r.peer.bfdState(r.agentAddress)]).toEqual([r.spec.name, 'up']);
    }
  }, 30_000);

  it('FRR: the peer link down -> BFD Down, BGP closed with Cease/BFD Down and held; back -> Up and Established', async () => {
    const r = all.find((x) => x.spec.name === 'frr-v4');
    if (r === undefined) throw new Error('no frr-v4 case');
    await r.agent.waitNeighbor(r.peerAddress, 'established', 30_000);
    await r.topology.execOk(r.peerNs, ['ip', 'link', 'set', 'eth1', 'down']);
    const down = await eventually(
      'agent BFD Down',
      async () => {
        const b = await agentBfd(r);
        return b.state === 'down' ? b : undefined;
      },
      5000,
      50,
    );
    expect(down.lastDown?.diagnostic).toBe('Control Detection Time Expired');
    expect(down.bgpHeld).toBe(true);
    await r.agent.waitNeighbor(r.peerAddress, 'idle', 5000);
    const entries = await r.agent.logEntries();
    const cease = entries.find((e) => e.direction === 'sent' && e.code === 6 && e.subcode === 10);
    expect(cease).toBeDefined();
    expect(
      entries.some((e) => typeof e.msg === 'string' && e.msg.startsWith('BFD down: Control Detection')),
    ).toBe(true);
    await r.topology.execOk(r.peerNs, ['ip', 'link', 'set', 'eth1', 'up']);
    await eventually('agent BFD Up again', async () =>
      (await agentBfd(r)).state === 'up' ? true : undefined,
    );
    await r.agent.waitNeighbor(r.peerAddress, 'established', 45_000);
    expect((await agentBfd(r)).bgpHeld).toBe(false);
  }, 90_000);

  it('a reload re-tunes BFD in place (Poll Sequence): new interval, BFD and BGP stay up', async () => {
    const r = all.find((x) => x.spec.name === 'bird-v4');
    if (r === undefined) throw new Error('no bird-v4 case');
    const neighborFlaps = async () =>
      (await r.agent.ctlJson<{ address: string; flaps: number; state: string }[]>(['neighbor', 'show'])).find(
        (n) => n.address === r.peerAddress,
      );
    const before = await neighborFlaps();
    const bfdBefore = await agentBfd(r);
    expect([before?.state, bfdBefore.state]).toEqual(['established', 'up']);
    const neighbors = r.config.neighbors.map((n) => ({
      ...n,
      bfd: { enabled: true, ...TIMERS, minTxMs: 200 },
    }));
    r.agent.writeConfig({ ...r.config, neighbors });
    const reload = await r.agent.ctl(['config', 'reload']);
    expect([reload.code, reload.stdout]).toEqual([0, expect.stringContaining('0 restarted')]);
    // BIRD asks for 100 ms; we now want 200 ms: max(200, 100) once BIRD's Final ends the poll.
    await eventually('200 ms negotiated', async () =>
      (await agentBfd(r)).transmitIntervalMs === 200 ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await neighborFlaps();
    const bfdAfter = await agentBfd(r);
    expect([after?.state, after?.flaps, bfdAfter.state, bfdAfter.flaps]).toEqual([
      'established',
      before?.flaps,
      'up',
      bfdBefore.flaps,
    ]);
  }, 30_000);
});

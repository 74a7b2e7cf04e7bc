// Sessions between the agent (the real daemon, bin/agent) and real gobgpd,
// FRR bgpd, BIRD 2 and ExaBGP in network namespaces: iBGP and eBGP, IPv4 and
// IPv6 transport, the agent active and passive, TCP MD5 and GTSM. Each case
// checks Established on both sides (the peer's own CLI and agentctl), that
// the session outlives three hold times, that a NOTIFICATION from the peer
// is logged with its code, and that the session comes back after the peer
// restarts. Cases run side by side, each in its own pair of namespaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabAgent } from '../../lab/agent.js';
import { cleanupStaleRuns, listNamespaces, Topology } from '../../lab/netns.js';
import { type AnyPeer, type PeerKind, startPeer } from '../../lab/peers/index.js';
import { isAlive, savedPids } from '../../lab/process.js';

interface Case {
  readonly name: string;
  readonly peer: PeerKind;
  readonly internal: boolean;
  readonly transport: 'ipv4' | 'ipv6';
  /** The agent waits; the peer connects. */
  readonly agentPassive: boolean;
  /** The peer connects too (both sides active: a collision to resolve). */
  readonly peerActive: boolean;
  readonly password?: string;
  readonly ttlSecurity?: boolean;
}

// gobgpd's first connect comes 5-10 s after start, so it is passive here.
const CASES: readonly Case[] = [
  {
    name: 'gobgp-ebgp-v4-md5',
    peer: 'gobgp',
    internal: false,
    transport: 'ipv4',
    agentPassive: false,
    peerActive: false,
    password: 'gobgp-md5',
  },
  {
    name: 'gobgp-ibgp-v6',
    peer: 'gobgp',
    internal: true,
    transport: 'ipv6',
    agentPassive: false,
    peerActive: false,
  },
  {
    name: 'frr-ebgp-v4-gtsm-agent-passive',
    peer: 'frr',
    internal: false,
    transport: 'ipv4',
    agentPassive: true,
    peerActive: true,
    ttlSecurity: true,
  },
  {
    name: 'frr-ibgp-v6-md5-both-active',
    peer: 'frr',
    internal: true,
    transport: 'ipv6',
    agentPassive: false,
    peerActive: true,
    password: 'frr-md5',
  },
  {
    name: 'bird-ibgp-v4-md5-agent-passive',
    peer: 'bird',
    internal: true,
    transport: 'ipv4',
    agentPassive: true,
    peerActive: true,
    password: 'bird-md5',
  },
  {
    name: 'bird-ebgp-v6-gtsm-both-active',
    peer: 'bird',
    internal: false,
    transport: 'ipv6',
    agentPassive: false,
    peerActive: true,
    ttlSecurity: true,
  },
  {
    name: 'bird-ebgp-v4-gtsm',
    peer: 'bird',
    internal: false,
    transport: 'ipv4',
    agentPassive: false,
    peerActive: true,
    ttlSecurity: true,
  },
  {
    name: 'exabgp-ebgp-v4-agent-passive',
    peer: 'exabgp',
    internal: false,
    transport: 'ipv4',
    agentPassive: true,
    peerActive: true,
  },
  {
    name: 'exabgp-ibgp-v6',
    peer: 'exabgp',
    internal: true,
    transport: 'ipv6',
    agentPassive: false,
    peerActive: true,
  },
];

const HOLD_SECONDS = 3;
const AGENT_ASN = 65100;

interface Running {
  readonly spec: Case;
  readonly topology: Topology;
  readonly agent: LabAgent;
  readonly peer: AnyPeer;
  readonly agentAddress: string;
  readonly peerAddress: string;
}

const running: Running[] = [];

async function bringUp(spec: Case, index: number): Promise<Running> {
  const topology = Topology.create();
  const agentNs = await topology.addNamespace('agent');
  const peerNs = await topology.addNamespace('peer');
  const v4 = (host: number) => `10.92.${index}.${host}`;
  const v6 = (host: number) => `fd00:92:${index}::${host}`;
  await topology.addLink({
    a: { ns: agentNs, ifname: 'eth1', ipv4: `${v4(1)}/24`, ipv6: `${v6(1)}/64` },
    b: { ns: peerNs, ifname: 'eth1', ipv4: `${v4(2)}/24`, ipv6: `${v6(2)}/64` },
  });
  const agentAddress = spec.transport === 'ipv4' ? v4(1) : v6(1);
  const peerAddress = spec.transport === 'ipv4' ? v4(2) : v6(2);
  const peerAsn = spec.internal ? AGENT_ASN : 65200 + index;
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
        passive: !spec.peerActive,
        holdTimeSeconds: HOLD_SECONDS,
        connectRetrySeconds: 1,
        families: ['ipv4-unicast', 'ipv6-unicast'],
        ...(spec.password !== undefined ? { password: spec.password } : {}),
        ...(spec.ttlSecurity === true ? { ttlSecurity: true } : {}),
      },
    ],
  });
  const agent = new LabAgent({
    namespace: agentNs,
    stateDir: topology.stateDir('agent'),
    config: {
      asn: AGENT_ASN,
      routerId: v4(1),
      listen: { address: spec.transport === 'ipv4' ? '0.0.0.0' : '::', port: 179 },
      neighbors: [
        {
          address: peerAddress,
          asn: peerAsn,
          holdTimeSeconds: HOLD_SECONDS,
          connectRetrySeconds: 1,
          passive: spec.agentPassive,
          families: ['ipv4-unicast', 'ipv6-unicast'],
          ...(spec.password !== undefined ? { password: spec.password } : {}),
          ...(spec.ttlSecurity === true ? { ttlSecurity: true } : {}),
          ...(spec.internal ? {} : { import: 'accept-all', export: 'accept-all' }),
        },
      ],
      fib: { kernel: { enabled: false } },
    },
  });
  await agent.start();
  const entry = { spec, topology, agent, peer, agentAddress, peerAddress };
  running.push(entry);
  return entry;
}

async function bothEstablished(r: Running, timeoutMs = 30_000): Promise<void> {
  try {
    await Promise.all([
      r.agent.waitNeighbor(r.peerAddress, 'established', timeoutMs),
      r.peer.waitEstablished(r.agentAddress, timeoutMs),
    ]);
  } catch (error) {
    // The peer's side of the story, for a failure seen only in CI.
    const peerLog = (await r.peer.logText().catch(() => '')).slice(-3000);
    throw new Error(`${(error as Error).message}\n--- ${r.spec.peer} log (tail):\n${peerLog}`);
  }
}

/** TCP connections on port 179 in the agent's namespace. */
async function bgpConnections(r: Running): Promise<number> {
  const out = await r.topology.execOk(r.agent.namespace, [
    'ss',
    '-Hnt',
    'state',
    'established',
    '( sport = :179 or dport = :179 )',
  ]);
  return out.split('\n').filter((line) => line.trim() !== '').length;
}

interface NeighborJson {
  address: string;
  state: string;
  flaps: number;
  session: { holdTimeSeconds: number; families: string[] } | null;
}

async function neighbor(r: Running): Promise<NeighborJson> {
  const list = await r.agent.ctlJson<NeighborJson[]>(['neighbor', 'show']);
  const found = list.find((n) => n.address === r.peerAddress);
  if (found === undefined) throw new Error(`no neighbor ${r.peerAddress}`);
  return found;
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
    await r.topology.destroy();
    expect(listNamespaces().filter((ns) => ns.startsWith(`${r.topology.runId}-`))).toEqual([]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }
});

describe('agent sessions with real peers', () => {
  let all: Running[] = [];

  it('every case reaches Established on both sides (peer CLI and agentctl)', async () => {
    all = await Promise.all(CASES.map((spec, index) => bringUp(spec, index + 1)));
    const started = Date.now();
    const results = await Promise.allSettled(all.map((r) => bothEstablished(r)));
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected' ? [`${CASES[i]?.name}: ${String(result.reason)}`] : [],
    );
    expect(failures).toEqual([]);
    console.log(`all ${all.length} sessions Established within ${Date.now() - started} ms`);
    for (const r of all) {
      const n = await neighbor(r);
      expect(n.session?.holdTimeSeconds).toBe(HOLD_SECONDS);
    }
  }, 90_000);

  it('sessions outlive three hold times, one TCP connection each (collisions resolved)', async () => {
    await new Promise((resolve) => setTimeout(resolve, (HOLD_SECONDS * 3 + 1) * 1000));
    for (const r of all) {
      expect([r.spec.name, await r.peer.sessionState(r.agentAddress)]).toEqual([r.spec.name, 'established']);
      const n = await neighbor(r);
      expect([r.spec.name, n.state, n.flaps]).toEqual([r.spec.name, 'established', 0]);
      expect([r.spec.name, await bgpConnections(r)]).toEqual([r.spec.name, 1]);
    }
  }, 60_000);

  it('a NOTIFICATION from the peer is logged with its code, and the session comes back', async () => {
    const withShutdown = all.filter((r) => r.spec.peer !== 'exabgp');
    await Promise.all(
      withShutdown.map((r) => r.peer.shutdownNeighbor(r.agentAddress, 'maintenance by the interop test')),
    );
    for (const r of withShutdown) {
      const deadline = Date.now() + 15_000;
      let logged: Record<string, unknown> | undefined;
      while (logged === undefined && Date.now() < deadline) {
        logged = (await r.agent.logEntries()).find((e) => e.direction === 'received' && e.code === 6);
        if (logged === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect([r.spec.name, logged?.code, logged?.notification]).toEqual([
        r.spec.name,
        6,
        expect.stringMatching(/^Cease \//),
      ]);
    }
    await Promise.all(withShutdown.map((r) => r.peer.enableNeighbor(r.agentAddress)));
    const results = await Promise.allSettled(withShutdown.map((r) => bothEstablished(r, 45_000)));
    expect(
      results.flatMap((result, i) =>
        result.status === 'rejected' ? [`${withShutdown[i]?.spec.name}: ${String(result.reason)}`] : [],
      ),
    ).toEqual([]);
  }, 120_000);

  it('the session re-establishes after the peer daemon restarts', async () => {
    await Promise.all(all.map((r) => r.peer.restart({ graceful: false })));
    const results = await Promise.allSettled(all.map((r) => bothEstablished(r, 45_000)));
    expect(
      results.flatMap((result, i) =>
        result.status === 'rejected' ? [`${all[i]?.spec.name}: ${String(result.reason)}`] : [],
      ),
    ).toEqual([]);
    for (const r of all) {
      const n = await neighbor(r);
      expect([r.spec.name, n.flaps >= 1]).toEqual([r.spec.name, true]);
    }
  }, 120_000);
});

describe('two agents', () => {
  it('peer with each other over IPv4 (MD5, GTSM) and IPv6, both active: one session each, Cease on stop', async () => {
    const topology = Topology.create();
    try {
      const ns1 = await topology.addNamespace('a1');
      const ns2 = await topology.addNamespace('a2');
      await topology.addLink({
        a: { ns: ns1, ifname: 'eth1', ipv4: '10.93.0.1/24', ipv6: 'fd00:93::1/64' },
        b: { ns: ns2, ifname: 'eth1', ipv4: '10.93.0.2/24', ipv6: 'fd00:93::2/64' },
      });
      const config = (self: number, other: number, asn: number, otherAsn: number) => ({
        asn,
        routerId: `10.93.0.${self}`,
        listen: { address: '0.0.0.0', port: 179 },
        neighbors: [
          {
            address: `10.93.0.${other}`,
            asn: otherAsn,
            holdTimeSeconds: 3,
            connectRetrySeconds: 1,
            password: 'agent-md5',
            ttlSecurity: true,
            import: 'accept-all',
            export: 'accept-all',
          },
          {
            address: `fd00:93::${other}`,
            asn: otherAsn,
            holdTimeSeconds: 3,
            connectRetrySeconds: 1,
            families: ['ipv6-unicast'],
            import: 'accept-all',
            export: 'accept-all',
          },
        ],
        fib: { kernel: { enabled: false } },
        // Without Graceful Restart SIGTERM says goodbye with Cease (with it, it leaves as a crash would).
        gracefulRestart: { enabled: false },
      });
      const a1 = new LabAgent({
        namespace: ns1,
        stateDir: topology.stateDir('a1'),
        config: config(1, 2, 65301, 65302),
      });
      const a2 = new LabAgent({
        namespace: ns2,
        stateDir: topology.stateDir('a2'),
        config: config(2, 1, 65302, 65301),
      });
      await Promise.all([a1.start(), a2.start()]);
      await Promise.all([
        a1.waitNeighbor('10.93.0.2'),
        a1.waitNeighbor('fd00:93::2'),
        a2.waitNeighbor('10.93.0.1'),
        a2.waitNeighbor('fd00:93::1'),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const sessions = await topology.execOk(ns1, [
        'ss',
        '-Hnt',
        'state',
        'established',
        '( sport = :179 or dport = :179 )',
      ]);
      expect(sessions.split('\n').filter((line) => line.trim() !== '')).toHaveLength(2);
      for (const n of await a1.ctlJson<NeighborJson[]>(['neighbor', 'show']))
        expect([n.address, n.state, n.flaps]).toEqual([n.address, 'established', 0]);
      await a2.stop();
      await a1
        .waitNeighbor('10.93.0.2', 'idle', 10_000)
        .catch(() => a1.waitNeighbor('10.93.0.2', 'active', 10_000));
      const cease = (await a1.logEntries()).find(
        (e) => e.direction === 'received' && e.code === 6 && e.subcode === 2,
      );
      expect(cease?.detail).toBe('"agent shutting down"');
      await a1.stop();
    } finally {
      await topology.destroy({ keepFiles: process.env.KEEP_LAB === '1' });
    }
  }, 60_000);
});

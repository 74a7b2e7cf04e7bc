// Route exchange between the agent and real gobgpd, FRR and BIRD: IPv4 and
// IPv6 prefixes each way (seen by the peer's CLI and by agentctl), communities
// including BLACKHOLE, withdraw on `rib del`, routes gone when the peer stops;
// the best path and the ECMP set with two peers; the agent as route reflector
// between two clients; and Graceful Restart (RFC 4724) when a peer restarts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabAgent } from '../../lab/agent.js';
import { cleanupStaleRuns, Topology } from '../../lab/netns.js';
import { type AnyPeer, type GobgpPeer, type PeerKind, startPeer } from '../../lab/peers/index.js';
import { agentPaths, eventually } from './helpers.js';

const topologies: Topology[] = [];
const agents: LabAgent[] = [];
const peers: AnyPeer[] = [];

beforeAll(async () => {
  await cleanupStaleRuns();
});

afterAll(async () => {
  for (const agent of agents) await agent.stop().catch(() => undefined);
  for (const peer of peers) await peer.stop().catch(() => undefined);
  for (const topology of topologies) await topology.destroy();
});

function neighborOf(
  address: string,
  asn: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    address,
    asn,
    holdTimeSeconds: 9,
    connectRetrySeconds: 1,
    families: ['ipv4-unicast', 'ipv6-unicast'],
    import: 'accept-all',
    export: 'accept-all',
    ...extra,
  };
}

async function exchange(kind: PeerKind, index: number): Promise<void> {
  const topology = Topology.create();
  topologies.push(topology);
  const agentNs = await topology.addNamespace('agent');
  const peerNs = await topology.addNamespace('peer');
  const agentV4 = `10.94.${index}.1`;
  const peerV4 = `10.94.${index}.2`;
  await topology.addLink({
    a: { ns: agentNs, ifname: 'eth1', ipv4: `${agentV4}/24`, ipv6: `fd00:94:${index}::1/64` },
    b: { ns: peerNs, ifname: 'eth1', ipv4: `${peerV4}/24`, ipv6: `fd00:94:${index}::2/64` },
  });
  const peerAsn = 65200 + index;
  const peer = await startPeer({
    kind,
    namespace: peerNs,
    stateDir: topology.stateDir('peer'),
    routerId: peerV4,
    asn: peerAsn,
    neighbors: [
      {
        address: agentV4,
        asn: 65100,
        localAddress: peerV4,
        passive: kind === 'gobgp',
        holdTimeSeconds: 9,
        families: ['ipv4-unicast', 'ipv6-unicast'],
      },
    ],
    routes: [
      { prefix: '10.233.2.0/24', communities: ['64512:200', 'blackhole'], largeCommunities: ['64512:2:3'] },
      { prefix: 'fd00:233:2::/64', communities: ['64512:201'] },
    ],
  });
  peers.push(peer);
  const agent = new LabAgent({
    namespace: agentNs,
    stateDir: topology.stateDir('agent'),
    config: {
      asn: 65100,
      routerId: agentV4,
      neighbors: [neighborOf(peerV4, peerAsn)],
      originate: [
        { prefix: '10.233.1.0/24', communities: ['64512:100'] },
        { prefix: 'fd00:233:1::/64', largeCommunities: ['64512:1:1'] },
      ],
      fib: { kernel: { enabled: false } },
    },
  });
  agents.push(agent);
  await agent.start();
  await agent.waitNeighbor(peerV4);
  await peer.waitEstablished(agentV4, 20_000);

  // Agent -> peer, both families, with communities.
  const v4 = await eventually(`${kind} has 10.233.1.0/24`, async () =>
    (await peer.receivedRoutes('ipv4-unicast')).find((r) => r.prefix === '10.233.1.0/24'),
  );
  expect(v4.communities).toContain('64512:100');
  expect(v4.asPath).toEqual([65100]);
  expect(v4.nextHop).toBe(agentV4);
  const v6 = await eventually(`${kind} has fd00:233:1::/64`, async () =>
    (await peer.receivedRoutes('ipv6-unicast')).find((r) => r.prefix === 'fd00:233:1::/64'),
  );
  expect(v6.largeCommunities).toEqual(['64512:1:1']);
  expect(v6.nextHop).toBe(`fd00:94:${index}::1`);

  // Peer -> agent, both families, BLACKHOLE intact.
  const fromPeer = await eventually(
    'agent has 10.233.2.0/24',
    async () => (await agentPaths(agent, '10.233.2.0/24'))[0],
  );
  expect(fromPeer).toMatchObject({ best: true, neighbor: peerV4, nextHop: peerV4, asPath: String(peerAsn) });
  expect(fromPeer.communities.sort()).toEqual(['64512:200', 'blackhole']);
  expect(fromPeer.largeCommunities).toEqual(['64512:2:3']);
  const fromPeerV6 = await eventually(
    'agent has fd00:233:2::/64',
    async () => (await agentPaths(agent, 'fd00:233:2::/64'))[0],
  );
  expect(fromPeerV6).toMatchObject({
    best: true,
    communities: ['64512:201'],
    nextHop: `fd00:94:${index}::2`,
  });

  // rib add with BLACKHOLE arrives; rib del withdraws it.
  expect((await agent.ctl(['rib', 'add', '10.233.9.0/24', 'community', 'blackhole', 'med', '30'])).code).toBe(
    0,
  );
  const added = await eventually(`${kind} has 10.233.9.0/24`, async () =>
    (await peer.receivedRoutes('ipv4-unicast')).find((r) => r.prefix === '10.233.9.0/24'),
  );
  expect(added.communities).toContain('blackhole');
  expect(added.med).toBe(30);
  expect((await agent.ctl(['rib', 'del', '10.233.9.0/24'])).code).toBe(0);
  await eventually(`${kind} withdrew 10.233.9.0/24`, async () =>
    (await peer.receivedRoutes('ipv4-unicast')).some((r) => r.prefix === '10.233.9.0/24') ? undefined : true,
  );

  // The peer stops: its routes leave the agent's RIB.
  await peer.stop();
  await eventually('routes of the stopped peer gone', async () =>
    (await agentPaths(agent, '10.233.2.0/24')).length === 0 &&
    (await agentPaths(agent, 'fd00:233:2::/64')).length === 0
      ? true
      : undefined,
  );
}

describe('routes with real peers', () => {
  it('exchange IPv4 and IPv6 routes with gobgpd, FRR and BIRD (communities, BLACKHOLE, rib add/del, peer stop)', async () => {
    const results = await Promise.allSettled(
      (['gobgp', 'frr', 'bird'] as const).map((kind, i) => exchange(kind, i + 1)),
    );
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${['gobgp', 'frr', 'bird'][i]}: ${String(r.reason)}`] : [],
    );
    expect(failures).toEqual([]);
  }, 120_000);

  it('best path and ECMP with two peers (FRR and BIRD)', async () => {
    const topology = Topology.create();
    topologies.push(topology);
    const agentNs = await topology.addNamespace('agent');
    const frrNs = await topology.addNamespace('frr');
    const birdNs = await topology.addNamespace('bird');
    await topology.addLink({
      a: { ns: agentNs, ifname: 'eth1', ipv4: '10.95.1.1/24' },
      b: { ns: frrNs, ifname: 'eth1', ipv4: '10.95.1.2/24' },
    });
    await topology.addLink({
      a: { ns: agentNs, ifname: 'eth2', ipv4: '10.95.2.1/24' },
      b: { ns: birdNs, ifname: 'eth1', ipv4: '10.95.2.2/24' },
    });
    const frr = await startPeer({
      kind: 'frr',
      namespace: frrNs,
      stateDir: topology.stateDir('frr'),
      routerId: '10.95.1.2',
      asn: 65301,
      neighbors: [{ address: '10.95.1.1', asn: 65100 }],
      routes: [{ prefix: '10.60.0.0/16', asPathPrepend: [65301, 65301] }, { prefix: '10.70.0.0/16' }],
    });
    const bird = await startPeer({
      kind: 'bird',
      namespace: birdNs,
      stateDir: topology.stateDir('bird'),
      routerId: '10.95.2.2',
      asn: 65302,
      neighbors: [{ address: '10.95.2.1', asn: 65100 }],
      routes: [{ prefix: '10.60.0.0/16' }, { prefix: '10.70.0.0/16' }],
    });
    peers.push(frr, bird);
    const agent = new LabAgent({
      namespace: agentNs,
      stateDir: topology.stateDir('agent'),
      config: {
        asn: 65100,
        routerId: '10.95.1.1',
        maxPaths: 2,
        neighbors: [
          neighborOf('10.95.1.2', 65301, { families: ['ipv4-unicast'] }),
          neighborOf('10.95.2.2', 65302, { families: ['ipv4-unicast'] }),
        ],
        fib: { kernel: { enabled: false } },
      },
    });
    agents.push(agent);
    await agent.start();
    await Promise.all([agent.waitNeighbor('10.95.1.2'), agent.waitNeighbor('10.95.2.2')]);
    // Different attributes: the shorter AS_PATH (BIRD's) wins, FRR's path says why it lost.
    const best = await eventually('two paths for 10.60.0.0/16', async () => {
      const paths = await agentPaths(agent, '10.60.0.0/16');
      return paths.length === 2 ? paths : undefined;
    });
    expect(best.map((p) => [p.neighbor, p.best, p.installed])).toEqual([
      ['10.95.2.2', true, true],
      ['10.95.1.2', false, false],
    ]);
    expect(best[1]?.reason).toMatch(/shorter AS_PATH/);
    // Equal attributes from both: the ECMP set holds both (maxPaths 2).
    const ecmp = await eventually('two paths for 10.70.0.0/16', async () => {
      const paths = await agentPaths(agent, '10.70.0.0/16');
      return paths.length === 2 ? paths : undefined;
    });
    expect(
      ecmp
        .filter((p) => p.installed)
        .map((p) => p.neighbor)
        .sort(),
    ).toEqual(['10.95.1.2', '10.95.2.2']);
    expect(ecmp.filter((p) => p.best)).toHaveLength(1);
  }, 60_000);

  it('the agent as route reflector between FRR and BIRD clients (ORIGINATOR_ID, CLUSTER_LIST)', async () => {
    const topology = Topology.create();
    topologies.push(topology);
    const agentNs = await topology.addNamespace('agent');
    const frrNs = await topology.addNamespace('frr');
    const birdNs = await topology.addNamespace('bird');
    const switchNs = await topology.addNamespace('sw');
    // One shared segment, so reflected next hops are reachable for every client.
    await topology.addLink({
      a: { ns: agentNs, ifname: 'eth1', ipv4: '10.96.0.1/24' },
      b: { ns: switchNs, ifname: 'p1' },
    });
    await topology.addLink({
      a: { ns: frrNs, ifname: 'eth1', ipv4: '10.96.0.2/24' },
      b: { ns: switchNs, ifname: 'p2' },
    });
    await topology.addLink({
      a: { ns: birdNs, ifname: 'eth1', ipv4: '10.96.0.3/24' },
      b: { ns: switchNs, ifname: 'p3' },
    });
    await topology.execOk(switchNs, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    for (const port of ['p1', 'p2', 'p3'])
      await topology.execOk(switchNs, ['ip', 'link', 'set', port, 'master', 'br0']);
    await topology.execOk(switchNs, ['ip', 'link', 'set', 'br0', 'up']);
    const client = (kind: 'frr' | 'bird', address: string, prefix: string) =>
      startPeer({
        kind,
        namespace: kind === 'frr' ? frrNs : birdNs,
        stateDir: topology.stateDir(kind),
        routerId: address,
        asn: 65000,
        neighbors: [{ address: '10.96.0.1', asn: 65000 }],
        routes: [{ prefix }],
      });
    const frr = await client('frr', '10.96.0.2', '10.80.0.0/16');
    const bird = await client('bird', '10.96.0.3', '10.81.0.0/16');
    peers.push(frr, bird);
    const agent = new LabAgent({
      namespace: agentNs,
      stateDir: topology.stateDir('agent'),
      config: {
        asn: 65000,
        routerId: '10.96.0.1',
        clusterId: '10.96.0.254',
        neighbors: [
          {
            address: '10.96.0.2',
            asn: 65000,
            holdTimeSeconds: 9,
            connectRetrySeconds: 1,
            routeReflectorClient: true,
          },
          {
            address: '10.96.0.3',
            asn: 65000,
            holdTimeSeconds: 9,
            connectRetrySeconds: 1,
            routeReflectorClient: true,
          },
        ],
        fib: { kernel: { enabled: false } },
      },
    });
    agents.push(agent);
    await agent.start();
    const atBird = await eventually('BIRD got 10.80.0.0/16 reflected', async () =>
      (await bird.receivedRoutes('ipv4-unicast')).find((r) => r.prefix === '10.80.0.0/16'),
    );
    expect(atBird).toMatchObject({
      nextHop: '10.96.0.2',
      originatorId: '10.96.0.2',
      clusterList: ['10.96.0.254'],
    });
    const atFrr = await eventually('FRR got 10.81.0.0/16 reflected', async () =>
      (await frr.receivedRoutes('ipv4-unicast')).find((r) => r.prefix === '10.81.0.0/16'),
    );
    expect(atFrr).toMatchObject({
      nextHop: '10.96.0.3',
      originatorId: '10.96.0.3',
      clusterList: ['10.96.0.254'],
    });
  }, 60_000);

  it('graceful restart of a peer: its routes stay (stale) without a withdraw, the unrefreshed one is swept at End-of-RIB', async () => {
    const topology = Topology.create();
    topologies.push(topology);
    const agentNs = await topology.addNamespace('agent');
    const peerNs = await topology.addNamespace('peer');
    await topology.addLink({
      a: { ns: agentNs, ifname: 'eth1', ipv4: '10.97.0.1/24' },
      b: { ns: peerNs, ifname: 'eth1', ipv4: '10.97.0.2/24' },
    });
    const gobgp = (await startPeer({
      kind: 'gobgp',
      namespace: peerNs,
      stateDir: topology.stateDir('gobgp'),
      routerId: '10.97.0.2',
      asn: 65000,
      neighbors: [
        { address: '10.97.0.1', asn: 65000, passive: true, gracefulRestart: { restartTimeSeconds: 60 } },
      ],
      routes: [{ prefix: '10.90.1.0/24' }],
    })) as GobgpPeer;
    peers.push(gobgp);
    const agent = new LabAgent({
      namespace: agentNs,
      stateDir: topology.stateDir('agent'),
      config: {
        asn: 65000,
        routerId: '10.97.0.1',
        neighbors: [{ address: '10.97.0.2', asn: 65000, holdTimeSeconds: 9, connectRetrySeconds: 1 }],
        fib: { kernel: { enabled: false } },
      },
    });
    agents.push(agent);
    await agent.start();
    await agent.waitNeighbor('10.97.0.2');
    // A route the harness does not know about: gone from gobgpd after its restart.
    await gobgp.cli('global', 'rib', 'add', '-a', 'ipv4', '10.90.2.0/24', 'nexthop', '10.97.0.2');
    await eventually('both routes at the agent', async () =>
      (await agentPaths(agent, '10.90.1.0/24')).length === 1 &&
      (await agentPaths(agent, '10.90.2.0/24')).length === 1
        ? true
        : undefined,
    );
    // Watch 10.90.1.0/24 through the restart: it must never disappear.
    let watching = true;
    let missing = 0;
    let sawStale = false;
    const watcher = (async () => {
      while (watching) {
        const paths = await agentPaths(agent, '10.90.1.0/24');
        if (paths.length === 0) missing++;
        if (paths[0]?.stale === true) sawStale = true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await gobgp.restart({ graceful: true });
    await agent.waitNeighbor('10.97.0.2', 'established', 30_000);
    await eventually('stale route swept after End-of-RIB', async () =>
      (await agentPaths(agent, '10.90.2.0/24')).length === 0 ? true : undefined,
    );
    await eventually('refreshed route no longer stale', async () =>
      (await agentPaths(agent, '10.90.1.0/24'))[0]?.stale === false ? true : undefined,
    );
    watching = false;
    await watcher;
    expect(missing).toBe(0);
    expect(sawStale).toBe(true);
    const log = await agent.logEntries();
    expect(log.some((e) => e.msg === 'graceful restart: keeping routes as stale')).toBe(true);
    expect(log.some((e) => String(e.msg).startsWith('stale routes swept: End-of-RIB received'))).toBe(true);
  }, 90_000);
});

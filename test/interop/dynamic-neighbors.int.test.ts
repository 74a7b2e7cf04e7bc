// Dynamic neighbors: the agent as a route reflector with one listen range
// (10.98.0.0/24, peer group "clients", limit 3) and no neighbor configured.
// Unconfigured FRR, BIRD and gobgpd clients connect, become neighbors with the
// group's settings and get each other's routes reflected; a fourth client is
// refused at the limit; a client that leaves disappears (routes, neighbor
// list, metric series) and comes back when it reconnects; one that drops
// without a NOTIFICATION while Graceful Restart was negotiated stays, with
// its routes stale, until the restart time has passed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabAgent } from '../../lab/agent.js';
import { cleanupStaleRuns, Topology } from '../../lab/netns.js';
import { type AnyPeer, type PeerKind, startPeer } from '../../lab/peers/index.js';
import type { NeighborJson } from '../../src/api/types.js';
import { eventually } from './helpers.js';

const RANGE = '10.98.0.0/24';
const AGENT = '10.98.0.1';
const AGENT_V6 = 'fd00:98::1';
const agentConfig = {
  asn: 65000,
  routerId: AGENT,
  clusterId: '10.98.0.254',
  peerGroups: {
    clients: { asn: 65000, routeReflectorClient: true, holdTimeSeconds: 9 },
  },
  listenRanges: [{ prefix: RANGE, peerGroup: 'clients', limit: 3 }],
  metrics: { listen: '127.0.0.1:9179' },
  fib: { kernel: { enabled: false } },
};
const topology = Topology.create();
let agent: LabAgent;
const clients = new Map<string, AnyPeer>();
const prefixOf = (host: number) => `10.80.${host}.0/24`;
const addressOf = (host: number) => `10.98.0.${host}`;

async function neighbors(): Promise<NeighborJson[]> {
  return agent.ctlJson<NeighborJson[]>(['neighbor', 'show']);
}

async function scrape(): Promise<string> {
  const script =
    "fetch('http://127.0.0.1:9179/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";
  return topology.execOk(agent.namespace, [process.execPath, '-e', script]);
}

async function client(
  kind: PeerKind,
  host: number,
  options: { gracefulRestartSeconds?: number; ipv6Password?: string } = {},
): Promise<AnyPeer> {
  const ns = await topology.addNamespace(`c${host}`);
  await topology.addLink({
    a: {
      ns,
      ifname: 'eth1',
      ipv4: `${addressOf(host)}/24`,
      ipv6: `${AGENT_V6.replace(/1$/, String(host))}/64`,
    },
    b: { ns: switchNs, ifname: `p${host}` },
  });
  await topology.execOk(switchNs, ['ip', 'link', 'set', `p${host}`, 'master', 'br0']);
  const v6 = options.ipv6Password !== undefined;
  const peer = await startPeer({
    kind,
    namespace: ns,
    stateDir: topology.stateDir(`c${host}`),
    routerId: addressOf(host),
    asn: 65000,
    neighbors: [
      {
        address: v6 ? AGENT_V6 : AGENT,
        asn: 65000,
        localAddress: v6 ? AGENT_V6.replace(/1$/, String(host)) : addressOf(host),
        holdTimeSeconds: 9,
        connectRetrySeconds: 1,
        ...(v6 ? { password: options.ipv6Password, families: ['ipv4-unicast' as const] } : {}),
        ...(options.gracefulRestartSeconds !== undefined
          ? { gracefulRestart: { restartTimeSeconds: options.gracefulRestartSeconds } }
          : {}),
      },
    ],
    routes: [{ prefix: prefixOf(host) }],
  });
  clients.set(addressOf(host), peer);
  return peer;
}

async function has(peer: AnyPeer, prefix: string): Promise<boolean> {
  return (await peer.receivedRoutes('ipv4-unicast')).some((r) => r.prefix === prefix);
}

let switchNs: string;

beforeAll(async () => {
  await cleanupStaleRuns();
  const agentNs = await topology.addNamespace('rr');
  switchNs = await topology.addNamespace('sw');
  await topology.execOk(switchNs, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  await topology.execOk(switchNs, ['ip', 'link', 'set', 'br0', 'up']);
  await topology.addLink({
    a: { ns: agentNs, ifname: 'eth1', ipv4: `${AGENT}/24`, ipv6: `${AGENT_V6}/64` },
    b: { ns: switchNs, ifname: 'p1' },
  });
  await topology.execOk(switchNs, ['ip', 'link', 'set', 'p1', 'master', 'br0']);
  agent = new LabAgent({
    namespace: agentNs,
    stateDir: topology.stateDir('rr'),
    config: agentConfig,
  });
  await agent.start();
}, 60_000);

afterAll(async () => {
  await agent?.stop().catch(() => undefined);
  for (const peer of clients.values()) await peer.stop().catch(() => undefined);
  await topology.destroy();
});

describe('dynamic neighbors: the agent as route reflector for a listen range', () => {
  it('unconfigured FRR, BIRD and gobgpd clients become neighbors and get each other routes reflected; a fourth is refused at the limit', async () => {
    const frr = await client('frr', 2);
    const bird = await client('bird', 3);
    const gobgp = await client('gobgp', 4, { gracefulRestartSeconds: 4 });
    const listed = await eventually(
      'three dynamic neighbors Established',
      async () => {
        const all = await neighbors();
        return all.length === 3 && all.every((n) => n.state === 'established') ? all : undefined;
      },
      40_000,
    );
    for (const n of listed) expect(n).toMatchObject({ asn: 65000, listenRange: RANGE, peerGroup: 'clients' });
    expect(listed.map((n) => n.address).sort()).toEqual([addressOf(2), addressOf(3), addressOf(4)]);
    const table = await agent.ctl(['neighbor', 'show']);
    expect(table.stdout).toContain(`*${addressOf(2)}`);
    expect(table.stdout).toContain('* dynamic neighbor');
    const detail = await agent.ctl(['neighbor', 'show', addressOf(3)]);
    expect(detail.stdout).toContain(`Dynamic neighbor from listen range ${RANGE}, peer group clients`);

    // Reflected among the clients (RFC 4456), as to configured clients.
    for (const [peer, host] of [
      [frr, 2],
      [bird, 3],
      [gobgp, 4],
    ] as const) {
      for (const other of [2, 3, 4].filter((h) => h !== host)) {
        const route = await eventually(`${peer.kind} got ${prefixOf(other)}`, async () =>
          (await peer.receivedRoutes('ipv4-unicast')).find((r) => r.prefix === prefixOf(other)),
        );
        expect(route.nextHop).toBe(addressOf(other));
      }
    }
    const atBird = (await bird.receivedRoutes('ipv4-unicast')).find((r) => r.prefix === prefixOf(2));
    expect(atBird).toMatchObject({ originatorId: addressOf(2), clusterList: ['10.98.0.254'] });

    // A fourth client: the range is at its limit of 3.
    const fourth = await client('bird', 5);
    await eventually('the agent refused the fourth client', async () =>
      (await agent.logText()).includes(
        `connection from ${addressOf(5)} refused: listen range ${RANGE} has its limit of 3`,
      )
        ? true
        : undefined,
    );
    expect((await neighbors()).map((n) => n.address)).not.toContain(addressOf(5));
    expect(await fourth.sessionState(AGENT)).not.toBe('established');
    await fourth.stop();
    clients.delete(addressOf(5));
  }, 120_000);

  it('a client that leaves disappears with its routes and metric series; it comes back when it reconnects', async () => {
    const bird = clients.get(addressOf(3)) as AnyPeer;
    const frr = clients.get(addressOf(2)) as AnyPeer;
    const gobgp = clients.get(addressOf(4)) as AnyPeer;
    expect(await scrape()).toContain(`bgp_session_established{neighbor="${addressOf(3)}"} 1`);
    await bird.shutdownNeighbor(AGENT, 'leaving');
    await eventually('the agent forgot the BIRD client', async () =>
      (await neighbors()).some((n) => n.address === addressOf(3)) ? undefined : true,
    );
    await eventually('FRR and gobgpd lost its route', async () =>
      !(await has(frr, prefixOf(3))) && !(await has(gobgp, prefixOf(3))) ? true : undefined,
    );
    const metrics = await eventually('its metric series are gone', async () => {
      const text = await scrape();
      return text.includes(`neighbor="${addressOf(3)}"`) ? undefined : text;
    });
    expect(metrics).toContain(`bgp_session_established{neighbor="${addressOf(2)}"} 1`);
    expect(await agent.logText()).toContain(`dynamic neighbor ${addressOf(3)} removed: its session ended`);

    await bird.enableNeighbor(AGENT);
    await eventually(
      'the BIRD client is back',
      async () => (await neighbors()).find((n) => n.address === addressOf(3) && n.state === 'established'),
      30_000,
    );
    await eventually('FRR has its route again', async () =>
      (await has(frr, prefixOf(3))) ? true : undefined,
    );
  }, 90_000);

  it('a Graceful Restart client that drops without a NOTIFICATION stays, routes stale, until its restart time passes', async () => {
    const frr = clients.get(addressOf(2)) as AnyPeer;
    const gobgp = clients.get(addressOf(4)) as AnyPeer;
    for (const pid of gobgp.pids()) process.kill(pid, 'SIGKILL');
    const downAt = Date.now();
    // Held through the restart time (4 s, from its GR capability, RFC 4724 §4.2).
    const held = await eventually('the agent kept the gobgpd client with stale routes', async () => {
      const n = (await neighbors()).find((x) => x.address === addressOf(4));
      return n !== undefined && n.state !== 'established' ? n : undefined;
    });
    expect(held.listenRange).toBe(RANGE);
    expect(await has(frr, prefixOf(4))).toBe(true);
    await eventually('then it is forgotten and its routes withdrawn', async () =>
      (await neighbors()).some((n) => n.address === addressOf(4)) || (await has(frr, prefixOf(4)))
        ? undefined
        : true,
    );
    const heldMs = Date.now() - downAt;
    console.log(`gobgpd client kept ${heldMs} ms after its TCP connection died (restart time 4 s)`);
    expect(heldMs).toBeGreaterThanOrEqual(3_000);
    clients.delete(addressOf(4));
  }, 60_000);

  it('a connection that drops after our OPEN leaves nothing behind (no neighbor, no slot of the limit)', async () => {
    const ns = await topology.addNamespace('c7');
    await topology.addLink({
      a: { ns, ifname: 'eth1', ipv4: `${addressOf(7)}/24` },
      b: { ns: switchNs, ifname: 'p7' },
    });
    await topology.execOk(switchNs, ['ip', 'link', 'set', 'p7', 'master', 'br0']);
    // A health check or a port scan: connect, read our OPEN, close (the session goes OpenSent -> Active).
    const probe = `const s = require('net').connect({ host: '${AGENT}', port: 179, localAddress: '${addressOf(7)}' });
      s.on('data', () => s.destroy()); s.on('error', () => {}); setTimeout(() => process.exit(0), 3000);`;
    await topology.execOk(ns, [process.execPath, '-e', probe]);
    await eventually('the probe left no neighbor', async () =>
      (await neighbors()).some((n) => n.address === addressOf(7)) ? undefined : true,
    );
    expect(await agent.logText()).toContain(`dynamic neighbor ${addressOf(7)} removed: its session ended`);
    expect((await neighbors()).map((n) => n.address).sort()).toEqual([addressOf(2), addressOf(3)]);
  }, 30_000);

  it('config reload adds an IPv6 range whose group has a TCP MD5 password: one key for the prefix admits an FRR client', async () => {
    agent.writeConfig({
      ...agentConfig,
      peerGroups: {
        ...agentConfig.peerGroups,
        secure: { asn: 65000, routeReflectorClient: true, holdTimeSeconds: 9, password: 'range-secret' },
      },
      listenRanges: [...agentConfig.listenRanges, { prefix: 'fd00:98::/64', peerGroup: 'secure', limit: 2 }],
    });
    const reload = await agent.ctl(['config', 'reload']);
    expect([reload.code, reload.stderr]).toEqual([0, '']);
    // The IPv4 range's neighbors stay up across the reload.
    expect((await neighbors()).find((n) => n.address === addressOf(2))?.state).toBe('established');
    const frr = await client('frr', 6, { ipv6Password: 'range-secret' });
    const secure = await eventually(
      'the MD5-signed IPv6 client is a dynamic neighbor',
      async () => (await neighbors()).find((n) => n.address === 'fd00:98::6' && n.state === 'established'),
      40_000,
    );
    expect(secure).toMatchObject({ listenRange: 'fd00:98::/64', peerGroup: 'secure' });
    await eventually('it gets the IPv4 clients routes reflected', async () =>
      (await has(frr, prefixOf(2))) ? true : undefined,
    );
  }, 90_000);
});

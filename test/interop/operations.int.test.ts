// What operators lean on once sessions are up, with real peers and scripted
// ones: a stuck peer does not hold up the others or grow the agent's memory
// (write backpressure), ROUTE-REFRESH both ways with FRR, max-prefix (Cease
// 6/1 with its RFC 4486 data, and warning-only), and the Prometheus
// endpoint counting all of it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabAgent } from '../../lab/agent.js';
import { cleanupStaleRuns, Topology } from '../../lab/netns.js';
import { type FrrPeer, type GobgpPeer, startPeer } from '../../lab/peers/index.js';
import { type ManagedProcess, startProcess } from '../../lab/process.js';
import { eventually } from './helpers.js';

const AGENT_ASN = 65100;
const FEED = 200_000;
const SCRIPTED_PEER = join(import.meta.dirname, '../../dist/lab/scripted-peer.js');

interface Neighbor {
  address: string;
  state: string;
  prefixes: { received: number; accepted: number; advertised: number };
  outQueueBytes: number;
  lastError: string | null;
}

let topology: Topology;
let agent: LabAgent;
let frr: FrrPeer;
let gobgp: GobgpPeer;
let feeder: ManagedProcess;
let slow: ManagedProcess;
const address = (net: number, host: number) => `10.96.${net}.${host}`;

async function neighbor(peer: string): Promise<Neighbor> {
  const all = await agent.ctlJson<Neighbor[]>(['neighbor', 'show']);
  const found = all.find((n) => n.address === peer);
  if (found === undefined) throw new Error(`no neighbor ${peer}`);
  return found;
}

/** The scripted peer's events (JSON lines on its stdout). */
function events(process: ManagedProcess): Record<string, unknown>[] {
  return readFileSync(process.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function lastReceived(process: ManagedProcess): { prefixes: number; endOfRib: number } {
  const last = events(process)
    .filter((e) => e.event === 'received')
    .at(-1);
  return { prefixes: Number(last?.prefixes ?? 0), endOfRib: Number(last?.endOfRib ?? 0) };
}

function rssKb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN);
}

async function frrNeighborJson(): Promise<Record<string, unknown>> {
  const json = JSON.parse(await frr.vtysh(`show bgp neighbors ${address(1, 1)} json`)) as Record<
    string,
    unknown
  >;
  return json[address(1, 1)] as Record<string, unknown>;
}

async function frrMessageStat(name: string): Promise<number> {
  const stats = (await frrNeighborJson()).messageStats as Record<string, number> | undefined;
  return stats?.[name] ?? 0;
}

async function frrPrefixesFromAgent(): Promise<number> {
  const json = JSON.parse(await frr.vtysh('show bgp ipv4 unicast summary json')) as {
    peers?: Record<string, { pfxRcd?: number }>;
  };
  return json.peers?.[address(1, 1)]?.pfxRcd ?? 0;
}

async function scrape(): Promise<string> {
  const script =
    "fetch('http://127.0.0.1:9179/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";
  return topology.execOk(agent.namespace, [process.execPath, '-e', script]);
}

function metric(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    const have = Object.fromEntries(
      labelText.split(',').map((pair) => {
        const [key, value] = pair.split('=');
        return [key, value?.replace(/^"|"$/g, '')];
      }),
    );
    if (Object.entries(labels).every(([key, value]) => have[key] === value))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

beforeAll(async () => {
  await cleanupStaleRuns();
  topology = Topology.create();
  const agentNs = await topology.addNamespace('agent');
  const names = ['frr', 'gobgp', 'feeder', 'slow'] as const;
  const spaces: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    const ns = await topology.addNamespace(name);
    spaces[name] = ns;
    await topology.addLink({
      a: { ns: agentNs, ifname: `eth${i + 1}`, ipv4: `${address(i + 1, 1)}/24` },
      b: { ns, ifname: 'eth1', ipv4: `${address(i + 1, 2)}/24` },
    });
  }
  // Small socket buffers on the agent's and the stuck peer's side, so that a
  // feed of a few megabytes outgrows them and the agent's own write mark is
  // what holds it back (tcp_rmem/tcp_wmem are per network namespace).
  await topology.sysctl(agentNs, { 'net.ipv4.tcp_wmem': '4096 16384 65536' });
  await topology.sysctl(spaces.slow as string, { 'net.ipv4.tcp_rmem': '4096 4096 4096' });

  frr = (await startPeer({
    kind: 'frr',
    namespace: spaces.frr as string,
    stateDir: topology.stateDir('frr'),
    routerId: address(1, 2),
    asn: 65201,
    neighbors: [
      {
        address: address(1, 1),
        asn: AGENT_ASN,
        localAddress: address(1, 2),
        holdTimeSeconds: 9,
        families: ['ipv4-unicast'],
      },
    ],
    routes: [{ prefix: '10.233.7.0/24' }],
  })) as FrrPeer;
  gobgp = (await startPeer({
    kind: 'gobgp',
    namespace: spaces.gobgp as string,
    stateDir: topology.stateDir('gobgp'),
    routerId: address(2, 2),
    asn: 65202,
    neighbors: [
      {
        address: address(2, 1),
        asn: AGENT_ASN,
        localAddress: address(2, 2),
        passive: true,
        holdTimeSeconds: 9,
        families: ['ipv4-unicast'],
      },
    ],
    routes: [{ prefix: '10.233.21.0/24' }, { prefix: '10.233.22.0/24' }, { prefix: '10.233.23.0/24' }],
  })) as GobgpPeer;
  const neighborOf = (net: number, asn: number, extra: Record<string, unknown> = {}) => ({
    address: address(net, 2),
    asn,
    holdTimeSeconds: 9,
    connectRetrySeconds: 1,
    families: ['ipv4-unicast'],
    import: 'accept-all',
    export: 'accept-all',
    ...extra,
  });
  agent = new LabAgent({
    namespace: agentNs,
    stateDir: topology.stateDir('agent'),
    config: {
      asn: AGENT_ASN,
      routerId: address(1, 1),
      neighbors: [
        neighborOf(1, 65201),
        neighborOf(2, 65202, { maxPrefix: { limit: 2 } }),
        neighborOf(3, 65203, { passive: true, maxPrefix: { limit: 100, warningOnly: true } }),
        neighborOf(4, 65204, { passive: true }),
      ],
      metrics: { listen: '127.0.0.1:9179' },
      fib: { kernel: { enabled: false } },
    },
  });
  await agent.start();
  const scripted = (name: 'feeder' | 'slow', net: number, asn: number, extra: string[]) =>
    startProcess({
      name,
      argv: [
        process.execPath,
        SCRIPTED_PEER,
        '--connect',
        address(net, 1),
        '--local',
        address(net, 2),
        '--asn',
        String(asn),
        '--peer-asn',
        String(AGENT_ASN),
        ...extra,
      ],
      stateDir: topology.stateDir(name),
      namespace: spaces[name] as string,
    });
  slow = await scripted('slow', 4, 65204, ['--stop-reading']);
  await eventually('the stuck peer Established', async () =>
    events(slow).some((e) => e.event === 'reading-stopped') ? true : undefined,
  );
  await agent.waitNeighbor(address(1, 2));
  feeder = await scripted('feeder', 3, 65203, ['--announce', String(FEED)]);
}, 120_000);

afterAll(async () => {
  await agent?.stop().catch(() => undefined);
  await frr?.stop().catch(() => undefined);
  await gobgp?.stop().catch(() => undefined);
  await feeder?.stop().catch(() => undefined);
  await slow?.stop().catch(() => undefined);
  await topology?.destroy();
});

describe('operations with real and scripted peers', () => {
  it('a stuck peer holds its own output queue at the write mark; FRR gets the whole feed meanwhile', async () => {
    const pid = agent.pid as number;
    await eventually(
      'FRR has the whole feed from the agent',
      async () => ((await frrPrefixesFromAgent()) >= FEED ? true : undefined),
      60_000,
      500,
    );
    const stuck = await neighbor(address(4, 2));
    console.log(
      `stuck peer: ${stuck.prefixes.advertised} of ${FEED} prefixes advertised, ${stuck.outQueueBytes} octets queued, peer has ${lastReceived(slow).prefixes}`,
    );
    expect(stuck.state).toBe('established');
    // Nowhere near the feed went out to it; what waits in user space is
    // bounded by the 256 KiB write mark plus one packed batch.
    expect(stuck.prefixes.advertised).toBeLessThan(FEED);
    expect(stuck.outQueueBytes).toBeGreaterThan(0);
    expect(stuck.outQueueBytes).toBeLessThan(1024 * 1024);
    expect(lastReceived(slow).prefixes).toBeLessThan(FEED);
    // And it stays bounded while the peer stays stuck.
    const before = rssKb(pid);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(rssKb(pid) - before).toBeLessThan(20 * 1024);
    expect((await neighbor(address(4, 2))).outQueueBytes).toBeLessThan(1024 * 1024);

    // Unstuck, it gets everything and End-of-RIB.
    process.kill(slow.pid, 'SIGUSR2');
    await eventually(
      'the formerly stuck peer has the whole feed and End-of-RIB',
      async () => {
        const got = lastReceived(slow);
        return got.prefixes >= FEED && got.endOfRib > 0 ? true : undefined;
      },
      60_000,
      500,
    );
    expect((await neighbor(address(4, 2))).state).toBe('established');
  }, 150_000);

  it('max-prefix: Cease 6/1 with AFI, SAFI and the limit; warning-only keeps the session', async () => {
    await eventually(
      'the agent sent Cease/Maximum Number of Prefixes Reached to gobgpd',
      async () =>
        (await agent.logEntries()).find(
          (e) => e.direction === 'sent' && e.code === 6 && e.subcode === 1 && e.neighbor === address(2, 2),
        ),
      30_000,
    );
    // RFC 4486 §4: AFI 1, SAFI 1, upper bound 2.
    const sent = (await agent.logEntries()).find(
      (e) => e.direction === 'sent' && e.code === 6 && e.subcode === 1,
    );
    expect(String(sent?.data)).toBe('00010100000002');
    expect((await neighbor(address(2, 2))).prefixes.received).toBe(0);
    expect(await gobgp.logText()).toMatch(/[Cc]ease|[Mm]aximum/);

    // The feeder is far over its warning-only limit and still Established.
    const feederState = await neighbor(address(3, 2));
    expect(feederState.state).toBe('established');
    expect(feederState.prefixes.accepted).toBe(FEED);
    expect(
      (await agent.logEntries()).some((e) =>
        String(e.msg).includes('max-prefix limit exceeded (warning only)'),
      ),
    ).toBe(true);
  }, 60_000);

  it('ROUTE-REFRESH both ways with FRR', async () => {
    // Outbound: agentctl neighbor refresh asks FRR to send its routes again.
    const before = await frrMessageStat('routeRefreshRecv');
    const ctl = await agent.ctl(['neighbor', 'refresh', address(1, 2)]);
    expect(ctl.code).toBe(0);
    await eventually('FRR received a ROUTE-REFRESH', async () =>
      (await frrMessageStat('routeRefreshRecv')) > before ? true : undefined,
    );
    // Inbound: FRR asks the agent (soft in without a stored Adj-RIB-In); the
    // agent sends its table again framed by BoRR/EoRR (RFC 7313).
    const updatesBefore = await frrMessageStat('updatesRecv');
    const refreshSentBefore = await frrMessageStat('routeRefreshSent');
    await frr.vtysh(`clear bgp ipv4 unicast ${address(1, 1)} soft in`);
    await eventually('FRR sent a ROUTE-REFRESH', async () =>
      (await frrMessageStat('routeRefreshSent')) > refreshSentBefore ? true : undefined,
    );
    await eventually(
      'the agent re-sent its table to FRR',
      async () => ((await frrMessageStat('updatesRecv')) > updatesBefore ? true : undefined),
      30_000,
    );
    // Nothing lost: FRR still has every route (EoRR sweeps nothing that was re-sent).
    await eventually(
      'FRR has the whole table after the refresh',
      async () => ((await frrPrefixesFromAgent()) >= FEED ? true : undefined),
      30_000,
      500,
    );
    expect((await neighbor(address(1, 2))).state).toBe('established');
  }, 90_000);

  it('the metrics endpoint counts sessions, messages, notifications and the refreshes', async () => {
    const text = await scrape();
    expect(metric(text, 'bgp_sessions', { state: 'established' })).toBe(3);
    expect(metric(text, 'bgp_session_established', { neighbor: address(1, 2) })).toBe(1);
    expect(
      metric(text, 'bgp_messages_total', { neighbor: address(1, 2), direction: 'in', type: 'routeRefresh' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metric(text, 'bgp_messages_total', { neighbor: address(1, 2), direction: 'out', type: 'routeRefresh' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metric(text, 'bgp_messages_total', { neighbor: address(3, 2), direction: 'in', type: 'update' }),
    ).toBeGreaterThan(0);
    expect(
      metric(text, 'bgp_notifications_total', {
        neighbor: address(2, 2),
        direction: 'out',
        code: '6',
        subcode: '1',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(metric(text, 'bgp_neighbor_prefixes', { neighbor: address(3, 2), kind: 'accepted' })).toBe(FEED);
    expect(metric(text, 'bgp_rib_prefixes', { family: 'ipv4-unicast' })).toBeGreaterThanOrEqual(FEED);
    expect(text).toMatch(/^agent_build_info\{version="[^"]+",node="[^"]+"\} 1$/m);
  }, 30_000);
});

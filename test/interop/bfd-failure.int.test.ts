// Failure detection end to end, BFD at 100 ms x 3: node1 and node2 joined
// through a switch namespace (a bridge), so node2's link going down is not
// seen by node1's kernel (its port keeps carrier) and only BFD can tell.
// node2 originates 10.233.2.0/24; node1 installs it. node2's end set down ->
// node1 must delete the route from its kernel within 500 ms; the time from
// the cut to the netlink RTM_DELROUTE (seen by `ip monitor route` in node1's
// namespace) is measured and printed. Link back -> BFD Up, BGP and route back.
//
// node1 is the agent, then FRR (bgpd + bfdd + zebra) on the same link, so the
// two detection times can be compared (README, "BFD").
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabAgent } from '../../lab/agent.js';
import { cleanupStaleRuns, listNamespaces, Topology } from '../../lab/netns.js';
import type { FrrPeer } from '../../lab/peers/frr.js';
import { startPeer } from '../../lab/peers/index.js';
import { isAlive, savedPids } from '../../lab/process.js';
import { agentPaths, eventually } from './helpers.js';

const POD2 = '10.233.2.0/24';
const ROUNDS = 3;
const LIMIT_MS = 500;
const TIMERS = { minRxMs: 100, minTxMs: 100, multiplier: 3 };

interface Lab {
  readonly topology: Topology;
  readonly ns1: string;
  readonly ns2: string;
}

const topologies: Topology[] = [];
const stops: (() => Promise<void>)[] = [];

async function twoNodesThroughSwitch(octet: number): Promise<Lab> {
  const topology = Topology.create();
  topologies.push(topology);
  const ns1 = await topology.addNamespace('node1');
  const ns2 = await topology.addNamespace('node2');
  const sw = await topology.addNamespace('sw');
  await topology.addLink({
    a: { ns: ns1, ifname: 'eth1', ipv4: `10.${octet}.0.1/24` },
    b: { ns: sw, ifname: 'p1' },
  });
  await topology.addLink({
    a: { ns: ns2, ifname: 'eth1', ipv4: `10.${octet}.0.2/24` },
    b: { ns: sw, ifname: 'p2' },
  });
  await topology.execOk(sw, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  for (const port of ['p1', 'p2']) await topology.execOk(sw, ['ip', 'link', 'set', port, 'master', 'br0']);
  await topology.execOk(sw, ['ip', 'link', 'set', 'br0', 'up']);
  return { topology, ns1, ns2 };
}

function agentConfig(self: number, octet: number, originate: boolean, kernel: boolean) {
  const other = self === 1 ? 2 : 1;
  return {
    asn: 64512,
    routerId: `10.${octet}.0.${self}`,
    listen: { address: '0.0.0.0', port: 179 },
    neighbors: [
      {
        address: `10.${octet}.0.${other}`,
        asn: 64512,
        holdTimeSeconds: 9,
        connectRetrySeconds: 1,
        bfd: { enabled: true, ...TIMERS },
      },
    ],
    originate: originate ? [{ prefix: POD2 }] : [],
    fib: { kernel: { enabled: kernel } },
  };
}

/** Watches node1's routing table; resolves with the time the route to POD2 is deleted. */
function watchDeletion(ns: string): { deleted: Promise<number>; stop: () => void } {
  const monitor: ChildProcess = spawn('ip', ['-n', ns, 'monitor', 'route'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let buffered = '';
  const deleted = new Promise<number>((resolve) => {
    monitor.stdout?.on('data', (chunk: Buffer) => {
      const at = performance.now();
      buffered += chunk.toString();
      if (buffered.split('\n').some((line) => line.startsWith(`Deleted ${POD2}`))) resolve(at);
    });
  });
  return { deleted, stop: () => monitor.kill() };
}

async function hasRoute(topology: Topology, ns: string): Promise<boolean> {
  return (await topology.execOk(ns, ['ip', 'route', 'show', POD2])).includes(POD2);
}

/** Cuts node2's end, returns ms from the cut to node1's kernel deleting the route. */
async function measureOnce(lab: Lab): Promise<number> {
  const watch = watchDeletion(lab.ns1);
  await new Promise((resolve) => setTimeout(resolve, 300)); // monitor subscribed
  const cut = performance.now();
  await lab.topology.execOk(lab.ns2, ['ip', 'link', 'set', 'eth1', 'down']);
  const deletedAt = await Promise.race([
    watch.deleted,
    new Promise<number>((resolve) => setTimeout(() => resolve(Number.NaN), 5000)),
  ]);
  watch.stop();
  return deletedAt - cut;
}

async function restore(lab: Lab, routeBack: () => Promise<boolean>): Promise<void> {
  await lab.topology.execOk(lab.ns2, ['ip', 'link', 'set', 'eth1', 'up']);
  await eventually('route back in node1', async () => ((await routeBack()) ? true : undefined), 45_000);
  // Let BFD settle at 100 ms again before the next cut.
  await new Promise((resolve) => setTimeout(resolve, 2000));
}

beforeAll(async () => {
  await cleanupStaleRuns();
});

afterAll(async () => {
  for (const stop of stops) await stop().catch(() => undefined);
  for (const topology of topologies) {
    const pids = ['node1', 'node2'].flatMap((name) => savedPids(topology.stateDir(name)).map((p) => p.pid));
    await topology.destroy({ keepFiles: process.env.KEEP_LAB === '1' });
    expect(listNamespaces().filter((ns) => ns.startsWith(`${topology.runId}-`))).toEqual([]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }
});

describe('BFD failure detection, 100 ms x 3', () => {
  it(`agent node1: node2 cut -> its route leaves node1's kernel within ${LIMIT_MS} ms; back -> BFD, BGP, route back`, async () => {
    const lab = await twoNodesThroughSwitch(97);
    const node1 = new LabAgent({
      namespace: lab.ns1,
      stateDir: lab.topology.stateDir('node1'),
      config: agentConfig(1, 97, false, true),
      logLevel: 'info',
    });
    const node2 = new LabAgent({
      namespace: lab.ns2,
      stateDir: lab.topology.stateDir('node2'),
      config: agentConfig(2, 97, true, false),
      logLevel: 'info',
    });
    stops.push(
      () => node1.stop(),
      () => node2.stop(),
    );
    await Promise.all([node1.start(), node2.start()]);
    const routeBack = () => hasRoute(lab.topology, lab.ns1);
    await eventually('route in node1', async () => ((await routeBack()) ? true : undefined), 30_000);
    await eventually('BFD Up at 100 ms', async () => {
      const b = await node1.ctlJson<{ state: string; detectionTimeMs: number }>(['bfd', 'show', '10.97.0.2']);
      return b.state === 'up' && b.detectionTimeMs === 300 ? true : undefined;
    });
    // Both agents negotiate Graceful Restart (on by default): a BFD Down must
    // still flush node2's routes, not keep them stale (RFC 5882 §4.3).
    const session = await node1.ctlJson<{ address: string; session: { gracefulRestart: boolean } | null }[]>([
      'neighbor',
      'show',
    ]);
    expect(session[0]?.session?.gracefulRestart).toBe(true);
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      times.push(await measureOnce(lab));
      expect(await agentPaths(node1, POD2)).toEqual([]);
      const bfd = await node1.ctlJson<{ state: string; bgpHeld: boolean; lastDown: { diagnostic: string } }>([
        'bfd',
        'show',
        '10.97.0.2',
      ]);
      expect([bfd.state, bfd.bgpHeld, bfd.lastDown.diagnostic]).toEqual([
        'down',
        true,
        'Control Detection Time Expired',
      ]);
      await restore(lab, routeBack);
      await node1.waitNeighbor('10.97.0.2', 'established', 10_000);
    }
    console.log(
      `agent node1: link cut -> kernel route deleted in ${times.map((t) => t.toFixed(0)).join(', ')} ms`,
    );
    for (const t of times) expect(t).toBeLessThan(LIMIT_MS);
  }, 120_000);

  it('FRR node1 on the same link: cut -> route deleted (measured for comparison)', async () => {
    const lab = await twoNodesThroughSwitch(98);
    const frr = (await startPeer({
      kind: 'frr',
      namespace: lab.ns1,
      stateDir: lab.topology.stateDir('node1'),
      routerId: '10.98.0.1',
      asn: 64512,
      installFib: true,
      neighbors: [
        {
          address: '10.98.0.2',
          asn: 64512,
          holdTimeSeconds: 9,
          connectRetrySeconds: 1,
          bfd: TIMERS,
        },
      ],
    })) as FrrPeer;
    const node2 = new LabAgent({
      namespace: lab.ns2,
      stateDir: lab.topology.stateDir('node2'),
      config: agentConfig(2, 98, true, false),
      logLevel: 'info',
    });
    stops.push(
      () => frr.stop(),
      () => node2.stop(),
    );
    await node2.start();
    const routeBack = () => hasRoute(lab.topology, lab.ns1);
    await eventually('route in FRR node1', async () => ((await routeBack()) ? true : undefined), 30_000);
    await eventually('FRR BFD Up', async () =>
      (await frr.bfdState('10.98.0.2')) === 'up' ? true : undefined,
    );
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      times.push(await measureOnce(lab));
      await restore(lab, routeBack);
    }
    console.log(
      `FRR node1: link cut -> kernel route deleted in ${times.map((t) => t.toFixed(0)).join(', ')} ms`,
    );
    for (const t of times) expect(Number.isFinite(t)).toBe(true);
  }, 120_000);
});

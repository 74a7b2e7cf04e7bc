// A policy change applied by `config reload` sends exactly the difference
// (issue 14, bug 1): a tighter export policy withdraws what left the
// Adj-RIB-Out from FRR and from another agent (its RIB and its kernel), a
// looser one announces it again, with no ROUTE-REFRESH asked or needed; an
// import policy change re-decides from the kept Adj-RIB-In (soft
// reconfiguration inbound) and the kernel follows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabAgent } from '../../lab/agent.js';
import { cleanupStaleRuns, Topology } from '../../lab/netns.js';
import { type FrrPeer, startPeer } from '../../lab/peers/index.js';
import { eventually } from './helpers.js';

const ORIGIN_ASN = 65110;
const RECEIVER_ASN = 65120;
const FRR_ASN = 65130;
const TIGHTENED = '10.55.0.0/24';
const KEPT = '10.55.1.0/24';
const address = (net: number, host: number) => `10.97.${net}.${host}`;

let topology: Topology;
let origin: LabAgent;
let receiver: LabAgent;
let frr: FrrPeer;
let receiverNs: string;

const neighbor = (net: number, asn: number, extra: Record<string, unknown> = {}) => ({
  address: address(net, 2),
  asn,
  holdTimeSeconds: 9,
  connectRetrySeconds: 1,
  families: ['ipv4-unicast'],
  import: 'accept-all',
  export: 'accept-all',
  ...extra,
});

function originConfig(exportPolicy: unknown): Record<string, unknown> {
  return {
    asn: ORIGIN_ASN,
    routerId: address(1, 1),
    neighbors: [
      neighbor(1, RECEIVER_ASN, { export: exportPolicy }),
      neighbor(2, FRR_ASN, { export: exportPolicy }),
    ],
    fib: { kernel: { enabled: false } },
  };
}

function receiverConfig(importPolicy: unknown): Record<string, unknown> {
  return {
    asn: RECEIVER_ASN,
    routerId: address(1, 2),
    neighbors: [{ ...neighbor(1, ORIGIN_ASN, { import: importPolicy }), address: address(1, 1) }],
    fib: { kernel: { enabled: true } },
  };
}

const rejectTightened = [{ prefixes: [TIGHTENED], action: 'reject' }, { action: 'accept' }];

async function frrPrefixes(): Promise<string[]> {
  const json = JSON.parse(await frr.vtysh('show bgp ipv4 unicast json')) as {
    routes?: Record<string, unknown>;
  };
  return Object.keys(json.routes ?? {}).sort();
}

async function frrMessageStat(name: string): Promise<number> {
  const json = JSON.parse(await frr.vtysh(`show bgp neighbors ${address(2, 1)} json`)) as Record<
    string,
    { messageStats?: Record<string, number> }
  >;
  return json[address(2, 1)]?.messageStats?.[name] ?? 0;
}

async function receiverPrefixes(): Promise<string[]> {
  const rib = await receiver.ctlJson<{ destinations: { prefix: string }[] }>([
    'rib',
    'show',
    '--family',
    'ipv4',
  ]);
  return rib.destinations.map((d) => d.prefix).sort();
}

async function kernelRoute(prefix: string): Promise<string> {
  return (await topology.execOk(receiverNs, ['ip', 'route', 'show', prefix])).trim();
}

async function reload(agent: LabAgent, config: Record<string, unknown>): Promise<void> {
  agent.writeConfig(config);
  const result = await agent.ctl(['config', 'reload']);
  expect(result.code, result.stderr).toBe(0);
}

beforeAll(async () => {
  await cleanupStaleRuns();
  topology = Topology.create();
  const originNs = await topology.addNamespace('origin');
  receiverNs = await topology.addNamespace('receiver');
  const frrNs = await topology.addNamespace('frr');
  await topology.addLink({
    a: { ns: originNs, ifname: 'eth1', ipv4: `${address(1, 1)}/24` },
    b: { ns: receiverNs, ifname: 'eth1', ipv4: `${address(1, 2)}/24` },
  });
  await topology.addLink({
    a: { ns: originNs, ifname: 'eth2', ipv4: `${address(2, 1)}/24` },
    b: { ns: frrNs, ifname: 'eth1', ipv4: `${address(2, 2)}/24` },
  });
  frr = (await startPeer({
    kind: 'frr',
    namespace: frrNs,
    stateDir: topology.stateDir('frr'),
    routerId: address(2, 2),
    asn: FRR_ASN,
    neighbors: [
      {
        address: address(2, 1),
        asn: ORIGIN_ASN,
        localAddress: address(2, 2),
        holdTimeSeconds: 9,
        families: ['ipv4-unicast'],
      },
    ],
    routes: [],
  })) as FrrPeer;
  origin = new LabAgent({
    name: 'origin',
    namespace: originNs,
    stateDir: topology.stateDir('origin'),
    config: originConfig('accept-all'),
  });
  receiver = new LabAgent({
    name: 'receiver',
    namespace: receiverNs,
    stateDir: topology.stateDir('receiver'),
    config: receiverConfig('accept-all'),
  });
  await origin.start();
  await receiver.start();
  await origin.waitNeighbor(address(1, 2));
  await origin.waitNeighbor(address(2, 2));
  for (const prefix of [TIGHTENED, KEPT]) {
    const added = await origin.ctl(['rib', 'add', prefix]);
    expect(added.code, added.stderr).toBe(0);
  }
  await eventually('FRR and the receiver hold both prefixes', async () =>
    (await frrPrefixes()).length === 2 && (await receiverPrefixes()).length === 2 ? true : undefined,
  );
}, 120_000);

afterAll(async () => {
  await origin?.stop().catch(() => undefined);
  await receiver?.stop().catch(() => undefined);
  await frr?.stop().catch(() => undefined);
  await topology?.destroy();
});

describe('policy changes on config reload send exactly the difference', () => {
  it('a tighter export policy withdraws the prefix from FRR and from the other agent, kernel included', async () => {
    expect(await kernelRoute(TIGHTENED)).toContain(`via ${address(1, 1)}`);
    const updatesBefore = await frrMessageStat('updatesRecv');
    const refreshBefore = await frrMessageStat('routeRefreshSent');
    await reload(origin, originConfig(rejectTightened));

    await eventually('FRR lost the rejected prefix', async () =>
      (await frrPrefixes()).join() === KEPT ? true : undefined,
    );
    await eventually('the receiver lost it from its RIB and kernel', async () =>
      (await receiverPrefixes()).join() === KEPT && (await kernelRoute(TIGHTENED)) === '' ? true : undefined,
    );
    expect(await kernelRoute(KEPT)).toContain(`via ${address(1, 1)}`);
    // Exactly the difference: one UPDATE carrying the withdrawal, and no refresh.
    expect((await frrMessageStat('updatesRecv')) - updatesBefore).toBe(1);
    expect(await frrMessageStat('routeRefreshSent')).toBe(refreshBefore);
    const out = await origin.ctl(['rib', 'show', '--neighbor', address(2, 2), '--out']);
    expect(out.stdout).not.toContain(TIGHTENED);
  }, 60_000);

  it('loosening it again announces the prefix once more', async () => {
    const updatesBefore = await frrMessageStat('updatesRecv');
    await reload(origin, originConfig('accept-all'));
    await eventually('FRR has both again', async () =>
      (await frrPrefixes()).join() === [TIGHTENED, KEPT].sort().join() ? true : undefined,
    );
    await eventually('the receiver installs it again', async () =>
      (await kernelRoute(TIGHTENED)).includes(`via ${address(1, 1)}`) ? true : undefined,
    );
    expect((await frrMessageStat('updatesRecv')) - updatesBefore).toBe(1);
  }, 60_000);

  it('a tighter import policy drops the route from the RIB and kernel; loosening restores it without a refresh', async () => {
    await reload(receiver, receiverConfig(rejectTightened));
    await eventually('the receiver dropped the prefix it now rejects', async () =>
      (await receiverPrefixes()).join() === KEPT && (await kernelRoute(TIGHTENED)) === '' ? true : undefined,
    );
    await reload(receiver, receiverConfig('accept-all'));
    await eventually('the receiver accepts it again from its Adj-RIB-In', async () =>
      (await kernelRoute(TIGHTENED)).includes(`via ${address(1, 1)}`) ? true : undefined,
    );
    expect((await receiverPrefixes()).join()).toBe([TIGHTENED, KEPT].sort().join());
  }, 60_000);
});

// Proves the real-peer harness (lab/): five pairs of real daemons in their
// own namespaces, all started in parallel. For each pair: both sides report
// Established through their own CLI, a route announced at runtime on one side
// shows up (with its communities) on the other and disappears on withdraw,
// and a config route flows the other way. Then everything is destroyed and
// nothing may be left: no namespace of this run, no process of a saved PID.
import { readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupStaleRuns, listNamespaces, Topology } from '../../lab/netns.js';
import type {
  AnyPeer,
  Family,
  NeighborConfig,
  PeerConfig,
  PeerKind,
  ReceivedRoute,
} from '../../lab/peers/index.js';
import { startPeer } from '../../lab/peers/index.js';
import { isAlive, savedPids, startProcess } from '../../lab/process.js';

const isRoot = process.getuid?.() === 0;

interface Side {
  readonly kind: PeerKind;
  readonly asn: number;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly neighbor?: Partial<NeighborConfig>;
  readonly installFib?: boolean;
}

interface PairSpec {
  readonly name: string;
  readonly transport: 'ipv4' | 'ipv6';
  readonly families: readonly Family[];
  readonly a: Side;
  readonly b: Side;
  /** Announced at runtime by a, checked on b. */
  readonly route: { readonly prefix: string; readonly communities: readonly string[] };
  /** Configured on b from the start, checked on a. */
  readonly configRoute: { readonly prefix: string; readonly communities: readonly string[] };
}

// gobgpd's first outgoing connect comes 5-10 s after start, so gobgpd is the passive side.
const PAIRS: readonly PairSpec[] = [
  {
    name: 'gobgp-bird-md5',
    transport: 'ipv4',
    families: ['ipv4-unicast'],
    a: {
      kind: 'gobgp',
      asn: 65001,
      ipv4: '10.91.1.1',
      ipv6: 'fd00:91:1::1',
      neighbor: { passive: true, password: 'lab-md5-1' },
    },
    b: {
      kind: 'bird',
      asn: 65002,
      ipv4: '10.91.1.2',
      ipv6: 'fd00:91:1::2',
      neighbor: { password: 'lab-md5-1' },
    },
    route: { prefix: '10.101.1.0/24', communities: ['64512:101', 'no-export'] },
    configRoute: { prefix: '10.201.1.0/24', communities: ['64512:201'] },
  },
  {
    name: 'frr-bird-gtsm-ibgp',
    transport: 'ipv4',
    families: ['ipv4-unicast', 'ipv6-unicast'],
    a: {
      kind: 'frr',
      asn: 65010,
      ipv4: '10.91.2.1',
      ipv6: 'fd00:91:2::1',
      neighbor: { ttlSecurity: true },
      installFib: true,
    },
    b: {
      kind: 'bird',
      asn: 65010,
      ipv4: '10.91.2.2',
      ipv6: 'fd00:91:2::2',
      neighbor: { ttlSecurity: true, passive: true },
      installFib: true,
    },
    route: { prefix: '2001:db8:102::/48', communities: ['64512:102', 'blackhole'] },
    configRoute: { prefix: '10.202.1.0/24', communities: ['64512:202'] },
  },
  {
    name: 'exabgp-gobgp',
    transport: 'ipv4',
    families: ['ipv4-unicast'],
    a: { kind: 'exabgp', asn: 65020, ipv4: '10.91.3.1', ipv6: 'fd00:91:3::1' },
    b: { kind: 'gobgp', asn: 65021, ipv4: '10.91.3.2', ipv6: 'fd00:91:3::2', neighbor: { passive: true } },
    route: { prefix: '10.103.1.0/24', communities: ['64512:103'] },
    configRoute: { prefix: '10.203.1.0/24', communities: ['64512:203'] },
  },
  {
    name: 'frr-gobgp',
    transport: 'ipv4',
    families: ['ipv4-unicast'],
    a: { kind: 'frr', asn: 65030, ipv4: '10.91.4.1', ipv6: 'fd00:91:4::1' },
    b: { kind: 'gobgp', asn: 65031, ipv4: '10.91.4.2', ipv6: 'fd00:91:4::2', neighbor: { passive: true } },
    route: { prefix: '10.104.1.0/24', communities: ['64512:104'] },
    configRoute: { prefix: '10.204.1.0/24', communities: ['64512:204'] },
  },
  {
    name: 'exabgp-frr-ipv6-transport',
    transport: 'ipv6',
    families: ['ipv6-unicast', 'ipv4-unicast'],
    a: { kind: 'exabgp', asn: 65040, ipv4: '10.91.5.1', ipv6: 'fd00:91:5::1' },
    b: { kind: 'frr', asn: 65041, ipv4: '10.91.5.2', ipv6: 'fd00:91:5::2', neighbor: { passive: true } },
    route: { prefix: '2001:db8:105::/48', communities: ['64512:105', 'no-export'] },
    configRoute: { prefix: '10.205.1.0/24', communities: ['64512:205'] },
  },
];

interface RunningPair {
  readonly spec: PairSpec;
  readonly a: AnyPeer;
  readonly b: AnyPeer;
  readonly addrA: string;
  readonly addrB: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitForRoutes(
  peer: AnyPeer,
  family: Family,
  check: (routes: ReceivedRoute[]) => boolean,
  timeoutMs = 15_000,
): Promise<ReceivedRoute[]> {
  const deadline = Date.now() + timeoutMs;
  let routes: ReceivedRoute[] = [];
  while (Date.now() < deadline) {
    routes = await peer.receivedRoutes(family);
    if (check(routes)) return routes;
    await sleep(200);
  }
  return routes;
}

const familyOf = (prefix: string): Family => (prefix.includes(':') ? 'ipv6-unicast' : 'ipv4-unicast');

describe.skipIf(!isRoot)('real-peer harness', () => {
  let topo: Topology;
  const pairs: RunningPair[] = [];
  const allPids: number[] = [];

  beforeAll(async () => {
    await cleanupStaleRuns();
    topo = Topology.create();
    await Promise.all(
      PAIRS.map(async (spec, i) => {
        const nsA = await topo.addNamespace(`p${i}a`);
        const nsB = await topo.addNamespace(`p${i}b`);
        await topo.addLink({
          a: { ns: nsA, ifname: 'eth1', ipv4: `${spec.a.ipv4}/24`, ipv6: `${spec.a.ipv6}/64` },
          b: { ns: nsB, ifname: 'eth1', ipv4: `${spec.b.ipv4}/24`, ipv6: `${spec.b.ipv6}/64` },
        });
        const addrA = spec.transport === 'ipv4' ? spec.a.ipv4 : spec.a.ipv6;
        const addrB = spec.transport === 'ipv4' ? spec.b.ipv4 : spec.b.ipv6;
        const config = (
          side: Side,
          ns: string,
          name: string,
          self: string,
          peer: string,
          peerAsn: number,
          isB: boolean,
        ): PeerConfig => ({
          kind: side.kind,
          namespace: ns,
          stateDir: topo.stateDir(name),
          routerId: side.ipv4,
          asn: side.asn,
          installFib: side.installFib ?? false,
          neighbors: [
            { address: peer, asn: peerAsn, localAddress: self, families: spec.families, ...side.neighbor },
          ],
          routes: isB ? [{ ...spec.configRoute }] : [],
        });
        const [a, b] = await Promise.all([
          startPeer(config(spec.a, nsA, `p${i}a-${spec.a.kind}`, addrA, addrB, spec.b.asn, false)),
          startPeer(config(spec.b, nsB, `p${i}b-${spec.b.kind}`, addrB, addrA, spec.a.asn, true)),
        ]);
        pairs.push({ spec, a, b, addrA, addrB });
        allPids.push(...a.pids(), ...b.pids());
      }),
    );
  });

  afterAll(async () => {
    await topo?.destroy();
  });

  it('saves the daemons’ own PIDs, each inside its namespace', () => {
    expect(pairs).toHaveLength(PAIRS.length);
    for (const { a, b } of pairs) {
      for (const peer of [a, b]) {
        const saved = savedPids(peer.config.stateDir);
        expect(saved.length).toBeGreaterThan(0);
        for (const rec of saved) {
          expect(peer.pids()).toContain(rec.pid);
          expect(readlinkSync(`/proc/${rec.pid}/exe`)).not.toMatch(/\/ip$/);
          expect(statSync(`/proc/${rec.pid}/ns/net`).ino).toBe(
            statSync(join('/run/netns', peer.config.namespace)).ino,
          );
        }
      }
    }
  });

  describe.concurrent('pairs', () => {
    for (const spec of PAIRS) {
      it(`${spec.name}: Established, routes with communities both ways, withdraw`, async () => {
        const pair = pairs.find((p) => p.spec === spec);
        if (!pair) throw new Error(`pair ${spec.name} did not start`);
        const { a, b, addrA, addrB } = pair;
        await Promise.all([a.waitEstablished(addrB, 30_000), b.waitEstablished(addrA, 30_000)]);
        expect(await a.sessionState(addrB)).toBe('established');
        expect(await b.sessionState(addrA)).toBe('established');
        expect(await a.version()).toMatch(/\d+\.\d+/);

        // b's config route reaches a
        const cfgFamily = familyOf(spec.configRoute.prefix);
        const onA = await waitForRoutes(a, cfgFamily, (rs) =>
          rs.some((r) => r.prefix === spec.configRoute.prefix),
        );
        const cfg = onA.find((r) => r.prefix === spec.configRoute.prefix);
        expect(cfg, `${spec.configRoute.prefix} on ${spec.a.kind}`).toBeDefined();
        expect(cfg?.communities).toEqual(expect.arrayContaining([...spec.configRoute.communities]));
        if (spec.a.asn !== spec.b.asn) expect(cfg?.asPath[0]).toBe(spec.b.asn);

        // a's runtime route reaches b, with its communities, then goes away
        const family = familyOf(spec.route.prefix);
        await a.announce({
          prefix: spec.route.prefix,
          communities: spec.route.communities,
          largeCommunities: ['64512:7:7'],
        });
        const onB = await waitForRoutes(b, family, (rs) => rs.some((r) => r.prefix === spec.route.prefix));
        const got = onB.find((r) => r.prefix === spec.route.prefix);
        expect(got, `${spec.route.prefix} on ${spec.b.kind}`).toBeDefined();
        expect(got?.communities).toEqual(expect.arrayContaining([...spec.route.communities]));
        expect(got?.largeCommunities).toContain('64512:7:7');
        expect(got?.fromNeighbor).toBe(addrA);
        if (spec.a.installFib || spec.b.installFib) {
          const kernel = await b.kernelRoutes();
          expect(kernel.map((k) => k.prefix)).toContain(spec.route.prefix);
        }
        await a.withdraw(spec.route.prefix);
        const after = await waitForRoutes(b, family, (rs) => !rs.some((r) => r.prefix === spec.route.prefix));
        expect(after.map((r) => r.prefix)).not.toContain(spec.route.prefix);
      });
    }
  });

  it('cleanupStaleRuns removes a crashed run (dead owner): its process and namespace', async () => {
    const crashed = Topology.create();
    const ns = await crashed.addNamespace('crash');
    const dir = crashed.stateDir('sleeper');
    const proc = await startProcess({ name: 'sleep', argv: ['sleep', '300'], stateDir: dir, namespace: ns });
    // pretend the owner died: a PID that cannot exist
    writeFileSync(
      join(crashed.dir, 'owner.json'),
      JSON.stringify({ pid: 2 ** 22 + 1, startTime: '1', createdAt: '' }),
    );
    const removed = await cleanupStaleRuns();
    expect(removed).toContain(crashed.runId);
    expect(listNamespaces()).not.toContain(ns);
    expect(isAlive(proc.pid)).toBe(false);
    await crashed.destroy(); // idempotent on an already-cleaned run
  });

  it('destroy() removes every namespace and process of the run, and is idempotent', async () => {
    expect(allPids.length).toBeGreaterThanOrEqual(PAIRS.length * 2);
    await topo.destroy();
    await topo.destroy();
    expect(listNamespaces().filter((n) => n.startsWith(`${topo.runId}-`))).toEqual([]);
    expect(allPids.filter(isAlive)).toEqual([]);
  });
});

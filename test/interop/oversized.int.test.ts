// The crash case of issue 10 against real peers: ExaBGP, with RFC 8654
// Extended Message, sends the agent a route whose attributes (1,100
// communities, ~4.4 kB) make an UPDATE larger than 4096 octets. gobgpd has
// no Extended Message: the agent must not send it that route (nor die
// trying), must say why in `rib show --out`, its log and its metrics, and
// must go on sending gobgpd everything else. FRR negotiates Extended
// Message and gets the large route.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabAgent } from '../../lab/agent.js';
import { cleanupStaleRuns, execOk, Topology } from '../../lab/netns.js';
import { type AnyPeer, startPeer } from '../../lab/peers/index.js';
import { type AgentDestination, eventually } from './helpers.js';

const topology = Topology.create();
let agent: LabAgent | undefined;
const peers: AnyPeer[] = [];

beforeAll(async () => {
  await cleanupStaleRuns();
});

afterAll(async () => {
  await agent?.stop().catch(() => undefined);
  for (const peer of peers) await peer.stop().catch(() => undefined);
  await topology.destroy();
});

const AGENT_ASN = 65100;
const BIG = '10.200.0.0/24';
const SMALL = '10.201.0.0/24';
const manyCommunities = Array.from({ length: 1100 }, (_, i) => `65010:${i + 1}`);

describe('an UPDATE too large for one peer (RFC 8654 on one side only)', () => {
  it('is refused for gobgpd alone; FRR gets it; the agent and every session stay up', async () => {
    const agentNs = await topology.addNamespace('agent');
    const links = [
      { kind: 'exabgp' as const, asn: 65010, index: 1 },
      { kind: 'gobgp' as const, asn: 65020, index: 2 },
      { kind: 'frr' as const, asn: 65030, index: 3 },
    ];
    const address = (index: number, host: number) => `10.96.${index}.${host}`;
    for (const link of links) {
      const ns = await topology.addNamespace(link.kind);
      await topology.addLink({
        a: { ns: agentNs, ifname: `eth${link.index}`, ipv4: `${address(link.index, 1)}/24` },
        b: { ns, ifname: 'eth1', ipv4: `${address(link.index, 2)}/24` },
      });
      peers.push(
        await startPeer({
          kind: link.kind,
          namespace: ns,
          stateDir: topology.stateDir(link.kind),
          routerId: address(link.index, 2),
          asn: link.asn,
          neighbors: [
            {
              address: address(link.index, 1),
              asn: AGENT_ASN,
              localAddress: address(link.index, 2),
              passive: link.kind === 'gobgp',
              holdTimeSeconds: 9,
            },
          ],
          routes:
            link.kind === 'exabgp'
              ? [
                  { prefix: BIG, communities: manyCommunities },
                  { prefix: SMALL, communities: ['65010:7'] },
                ]
              : [],
        }),
      );
    }
    agent = new LabAgent({
      namespace: agentNs,
      stateDir: topology.stateDir('agent'),
      config: {
        asn: AGENT_ASN,
        routerId: address(1, 1),
        neighbors: links.map((link) => ({
          address: address(link.index, 2),
          asn: link.asn,
          holdTimeSeconds: 9,
          connectRetrySeconds: 1,
          import: 'accept-all',
          export: 'accept-all',
        })),
        fib: { kernel: { enabled: false } },
        metrics: { listen: '127.0.0.1:9179' },
      },
    });
    await agent.start();
    for (const link of links) await agent.waitNeighbor(address(link.index, 2));
    const [, gobgp, frr] = peers as [AnyPeer, AnyPeer, AnyPeer];

    // FRR, with Extended Message, gets both routes, the large one whole.
    const large = await eventually(`FRR has ${BIG}`, async () =>
      (await frr.receivedRoutes('ipv4-unicast')).find((r) => r.prefix === BIG),
    );
    expect(large.communities).toHaveLength(1100);
    await eventually(`FRR has ${SMALL}`, async () =>
      (await frr.receivedRoutes('ipv4-unicast')).find((r) => r.prefix === SMALL),
    );
    // gobgpd gets the small one and never the large one.
    await eventually(`gobgpd has ${SMALL}`, async () =>
      (await gobgp.receivedRoutes('ipv4-unicast')).find((r) => r.prefix === SMALL),
    );
    expect((await gobgp.receivedRoutes('ipv4-unicast')).some((r) => r.prefix === BIG)).toBe(false);

    // The agent says why, once: `rib show --out`, the log, the metric.
    const out = await agent.ctlJson<{ destinations: AgentDestination[] }>([
      'rib',
      'show',
      '--neighbor',
      address(2, 2),
      '--out',
    ]);
    const refused = out.destinations.find((d) => d.prefix === BIG)?.paths[0];
    expect(refused?.best).toBe(false);
    expect(refused?.reason).toMatch(
      /^not sent: attributes of \d+ octets make an UPDATE of \d+ octets, over the peer's maximum of 4096/,
    );
    expect(out.destinations.find((d) => d.prefix === SMALL)?.paths[0]?.best).toBe(true);
    const lines = (await agent.logEntries()).filter((e) =>
      String(e.msg).startsWith(`not sent to ${address(2, 2)}`),
    );
    expect(lines).toHaveLength(1);
    const metrics = await execOk(agentNs, [
      'node',
      '-e',
      "fetch('http://127.0.0.1:9179/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))",
    ]);
    expect(metrics).toContain(
      `bgp_prefixes_refused_total{neighbor="${address(2, 2)}",reason="message-too-long"} 1`,
    );

    // Nothing went down: the daemon runs, every session is Established, no flap, no internal error.
    expect(agent.running()).toBe(true);
    const neighbors = await agent.ctlJson<{ address: string; state: string; flaps: number }[]>([
      'neighbor',
      'show',
    ]);
    expect(neighbors.map((n) => [n.state, n.flaps])).toEqual(links.map(() => ['established', 0]));
    expect((await agent.logEntries()).some((e) => String(e.msg).startsWith('internal error'))).toBe(false);
  }, 120_000);
});

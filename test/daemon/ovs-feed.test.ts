// Loc-RIB changes become OVS writer commands: one per changed prefix and
// turn however often it changed, ECMP next hops from the installed paths,
// BLACKHOLE as a blackhole route, our own prefixes and lost routes withdrawn.
import { describe, expect, it } from 'vitest';
import type { PathAttributes } from '../../src/bgp/codec/attribute-types.js';
import { WellKnownCommunity } from '../../src/bgp/codec/iana.js';
import { prefixesFromStrings } from '../../src/bgp/codec/nlri.js';
import { OvsFeed } from '../../src/daemon/ovs-feed.js';
import type { FibCommand } from '../../src/fib/types.js';
import { ACCEPT_ALL } from '../../src/rib/policy.js';
import { LOCAL_SOURCE, Rib } from '../../src/rib/rib.js';

const attrs = (extra: PathAttributes = {}): PathAttributes => ({
  origin: 0,
  asPath: [{ type: 2, asns: [65001] }],
  ...extra,
});
const v4 = (...texts: string[]) => prefixesFromStrings(1, texts);
const v6 = (...texts: string[]) => prefixesFromStrings(2, texts);
const turn = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const rib = new Rib({
    localAsn: 64512,
    routerId: '10.0.0.1',
    clusterId: '10.0.0.1',
    maxPaths: 4,
    alwaysCompareMed: false,
    preferOldestExternal: false,
  });
  const peer = (n: number) =>
    rib.addSource({
      address: `192.0.2.${n}`,
      asn: 65001,
      routerId: n,
      external: true,
      routeReflectorClient: false,
      importPolicy: ACCEPT_ALL,
    });
  const applied: FibCommand[][] = [];
  const feed = new OvsFeed(rib, { apply: (commands) => applied.push([...commands]) });
  return { rib, peer, applied, feed };
}

function summary(commands: readonly FibCommand[]): string[] {
  return commands.map((c) =>
    c.kind === 'withdraw'
      ? `withdraw ${c.prefix}`
      : `install ${c.route.prefix} ${c.route.blackhole ? 'blackhole' : c.route.nextHops.map((h) => h.address).join('+')}`,
  );
}

describe('OvsFeed', () => {
  it('sends each changed prefix once per turn, with the best next hop', async () => {
    const { rib, peer, applied, feed } = setup();
    const a = peer(1);
    rib.announce(a.id, 'ipv4-unicast', v4('10.233.2.0/24'), attrs({ med: 1 }), '192.0.2.1');
    rib.announce(a.id, 'ipv4-unicast', v4('10.233.2.0/24'), attrs({ med: 2 }), '192.0.2.1');
    rib.announce(a.id, 'ipv6-unicast', v6('fd00:233:2::/64'), attrs(), 'fd00::1');
    await turn();
    expect(applied.map(summary)).toEqual([
      ['install 10.233.2.0/24 192.0.2.1', 'install fd00:233:2::/64 fd00::1'],
    ]);
    expect(applied[0]?.[1]).toMatchObject({ kind: 'install', route: { version: 6 } });
    rib.withdraw(a.id, 'ipv4-unicast', v4('10.233.2.0/24'));
    await turn();
    expect(summary(applied[1] ?? [])).toEqual(['withdraw 10.233.2.0/24']);
    feed.close();
  });

  it('ECMP: every installed next hop, sorted; the next-hop list is shared by routes with the same set', async () => {
    const { rib, peer, applied, feed } = setup();
    for (const n of [3, 1, 2]) {
      const p = peer(n);
      rib.announce(p.id, 'ipv4-unicast', v4('10.9.0.0/16', '10.10.0.0/16'), attrs(), `192.0.2.${n}`);
    }
    await turn();
    const last = applied.at(-1) ?? [];
    expect(summary(last)).toEqual([
      'install 10.9.0.0/16 192.0.2.1+192.0.2.2+192.0.2.3',
      'install 10.10.0.0/16 192.0.2.1+192.0.2.2+192.0.2.3',
    ]);
    const [first, second] = last;
    if (first?.kind !== 'install' || second?.kind !== 'install') throw new Error('not installs');
    expect(first.route.nextHops).toBe(second.route.nextHops);
    feed.close();
  });

  it('BLACKHOLE becomes a blackhole route; our own prefixes get no flow', async () => {
    const { rib, peer, applied, feed } = setup();
    const a = peer(1);
    rib.announce(
      a.id,
      'ipv4-unicast',
      v4('10.233.9.0/24'),
      attrs({ communities: [WellKnownCommunity.blackhole] }),
      '192.0.2.1',
    );
    rib.announce(LOCAL_SOURCE, 'ipv4-unicast', v4('10.233.1.0/24'), attrs({ asPath: [] }), null);
    await turn();
    expect(applied.flatMap(summary).sort()).toEqual([
      'install 10.233.9.0/24 blackhole',
      'withdraw 10.233.1.0/24',
    ]);
    feed.close();
  });

  it('starts with what the RIB already has installed, and stops listening when closed', async () => {
    const rib = new Rib({
      localAsn: 64512,
      routerId: '10.0.0.1',
      clusterId: '10.0.0.1',
      maxPaths: 1,
      alwaysCompareMed: false,
      preferOldestExternal: false,
    });
    const a = rib.addSource({
      address: '192.0.2.1',
      asn: 65001,
      routerId: 1,
      external: true,
      routeReflectorClient: false,
      importPolicy: ACCEPT_ALL,
    });
    rib.announce(a.id, 'ipv4-unicast', v4('10.233.2.0/24'), attrs(), '192.0.2.1');
    const applied: FibCommand[][] = [];
    const feed = new OvsFeed(rib, { apply: (commands) => applied.push([...commands]) });
    await turn();
    expect(applied.map(summary)).toEqual([['install 10.233.2.0/24 192.0.2.1']]);
    feed.close();
    rib.announce(a.id, 'ipv4-unicast', v4('10.233.3.0/24'), attrs(), '192.0.2.1');
    await turn();
    expect(applied).toHaveLength(1);
  });

  it('a writer that throws is reported and the feed goes on with the next changes', async () => {
    const rib = new Rib({
      localAsn: 64512,
      routerId: '10.0.0.1',
      clusterId: '10.0.0.1',
      maxPaths: 1,
      alwaysCompareMed: false,
      preferOldestExternal: false,
    });
    const a = rib.addSource({
      address: '192.0.2.1',
      asn: 65001,
      routerId: 1,
      external: true,
      routeReflectorClient: false,
      importPolicy: ACCEPT_ALL,
    });
    const errors: string[] = [];
    const applied: string[] = [];
    let calls = 0;
    const feed = new OvsFeed(
      rib,
      {
        apply: (commands) => {
          calls++;
          if (calls === 1) throw new Error('writer bug');
          applied.push(...summary(commands));
        },
      },
      (error) => errors.push(String(error)),
    );
    rib.announce(a.id, 'ipv4-unicast', v4('10.233.2.0/24'), attrs(), '192.0.2.1');
    await turn();
    expect(errors).toEqual(['Error: writer bug']);
    rib.announce(a.id, 'ipv4-unicast', v4('10.233.3.0/24'), attrs(), '192.0.2.1');
    await turn();
    await turn();
    expect(applied).toEqual(['install 10.233.3.0/24 192.0.2.1']);
    feed.close();
  });
});

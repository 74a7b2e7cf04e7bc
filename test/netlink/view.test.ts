// `fib show` and `fib diff` text for kernel routes, in `ip route`'s words,
// from the kernel's own dump (fixtures/kernel-routes.ts).
import { describe, expect, it } from 'vitest';
import { bytesToAddress } from '../../src/netlink/kernel-view.js';
import { type KernelRoute, parseRoute, splitMessages } from '../../src/netlink/rtnetlink.js';
import { actualRoute, describeSet, routeText, showEntry } from '../../src/netlink/view.js';
import { dumpV4, dumpV6 } from './fixtures/kernel-routes.js';
import { world } from './helpers/world.js';

const names = { interfaceName: (index: number) => (index === 3 ? 'd0' : `if${index}`) };

function dumped(prefix: string): KernelRoute {
  for (const datagram of [...dumpV4, ...dumpV6]) {
    for (const message of splitMessages(datagram)) {
      const route = parseRoute(message.payload);
      if (route !== null && `${bytesToAddress(route.destination)}/${route.prefixLength}` === prefix)
        return route;
    }
  }
  throw new Error(`${prefix} is not in the capture`);
}

describe('kernel routes as ip route prints them', () => {
  it.each([
    ['10.233.2.0/24', '10.233.2.0/24 via 10.98.0.2 dev d0 proto bgp metric 20'],
    [
      '10.233.3.0/24',
      '10.233.3.0/24 proto bgp metric 20 nexthop via 10.98.0.3 dev d0 nexthop via 10.98.0.2 dev d0',
    ],
    ['10.233.4.0/24', 'blackhole 10.233.4.0/24 proto bgp metric 20'],
    ['fd00:233:2::/64', 'fd00:233:2::/64 via fd98::2 dev d0 proto bgp metric 20'],
    ['10.98.0.0/24', '10.98.0.0/24 dev d0 proto 2 metric 0'],
    ['10.50.0.0/16', '10.50.0.0/16 via 10.98.0.254 dev d0 proto 4 metric 0'],
  ])('%s', (prefix, text) => {
    expect(routeText(dumped(prefix), names)).toBe(text);
  });

  it('gives fib show the details for --json', () => {
    expect(showEntry(dumped('10.233.3.0/24'), names)).toEqual({
      prefix: '10.233.3.0/24',
      text: '10.233.3.0/24 proto bgp metric 20 nexthop via 10.98.0.3 dev d0 nexthop via 10.98.0.2 dev d0',
      detail: {
        type: 'unicast',
        metric: 20,
        table: 254,
        protocol: 186,
        nextHops: [
          { gateway: '10.98.0.3', dev: 'd0' },
          { gateway: '10.98.0.2', dev: 'd0' },
        ],
      },
    });
    expect(showEntry(dumped('10.233.4.0/24'), names).detail).toMatchObject({
      type: 'blackhole',
      nextHops: [],
    });
  });

  it('gives fib diff an order-free signature and the text', () => {
    expect(actualRoute(dumped('10.233.3.0/24'), names)).toEqual({
      signature: '10.98.0.2@3,10.98.0.3@3',
      text: 'via 10.98.0.3 dev d0, via 10.98.0.2 dev d0',
    });
    expect(actualRoute(dumped('10.233.4.0/24'), names)).toEqual({
      signature: 'blackhole',
      text: 'blackhole',
    });
    // A route with our protocol id but no gateway (a stray `ip route add ... dev d0 proto bgp`):
    // said as ip route says it, not "via -".
    expect(actualRoute(dumped('10.98.0.0/24'), names)).toEqual({ signature: '-@3', text: 'dev d0' });
  });
});

describe('hop sets as fib diff prints them', () => {
  it.each([
    { hops: ['10.98.0.2'], blackhole: false, text: 'via 10.98.0.2 dev eth1' },
    {
      hops: ['10.98.0.2', '10.99.0.2'],
      blackhole: false,
      text: 'via 10.98.0.2 dev eth1, via 10.99.0.2 dev eth2',
    },
    { hops: [], blackhole: true, text: 'blackhole' },
    { hops: ['192.0.2.1', '192.0.2.2'], blackhole: false, text: 'unresolved (192.0.2.1, 192.0.2.2)' },
  ])('$text', ({ hops, blackhole, text }) => {
    const { view, state } = world();
    const set =
      state.hopSets[
        state.hopSet(
          hops.map((address) => ({ address })),
          blackhole,
        )
      ];
    expect(describeSet(set!, view)).toBe(text);
  });
});

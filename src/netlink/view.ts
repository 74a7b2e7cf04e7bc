// `agentctl fib show` and `fib diff` for the kernel: pure formatting of
// routes from a dump and of hop sets, in `ip route`'s words, so that an
// operator can compare with `ip route show proto bgp`.

import type { FibEntry } from '../fib/types.js';
import type { HopSet } from './desired.js';
import { signatureOf } from './desired.js';
import { bytesToAddress } from './kernel-view.js';
import type { ActualRoute } from './reconcile.js';
import { type KernelRoute, RouteType } from './rtnetlink.js';

/** Interface names by index (kernel-view.ts's KernelView). */
export interface InterfaceNames {
  interfaceName(index: number): string;
}

/** Zebra's name for the protocol number it registered (rtnetlink's RTPROT_BGP is 186). */
const RTPROT_BGP = 186;

function prefixOf(route: KernelRoute): string {
  return `${bytesToAddress(route.destination)}/${route.prefixLength}`;
}

/** One next hop as `ip route` says it: "via 10.98.0.2 dev eth1", or "dev eth1" when on link (no gateway). */
function hopText(hop: KernelRoute['nextHops'][number], names: InterfaceNames): string {
  const dev = `dev ${names.interfaceName(hop.ifindex)}`;
  return hop.gateway === null ? dev : `via ${bytesToAddress(hop.gateway)} ${dev}`;
}

/** One line as `ip route` prints it: "10.233.2.0/24 via 10.98.0.2 dev eth1 proto bgp metric 20". */
export function routeText(route: KernelRoute, names: InterfaceNames): string {
  const prefix = prefixOf(route);
  const proto = route.protocol === RTPROT_BGP ? 'bgp' : String(route.protocol);
  const tail = `proto ${proto} metric ${route.metric}`;
  if (route.type === RouteType.blackhole) return `blackhole ${prefix} ${tail}`;
  const hops = route.nextHops.map((hop) => hopText(hop, names));
  if (hops.length === 1) return `${prefix} ${hops[0]} ${tail}`;
  return `${prefix} ${tail} ${hops.map((h) => `nexthop ${h}`).join(' ')}`;
}

/** A route of ours for `fib show`: the line and the details for --json. */
export function showEntry(route: KernelRoute, names: InterfaceNames): FibEntry {
  return {
    prefix: prefixOf(route),
    text: routeText(route, names),
    detail: {
      type: route.type === RouteType.blackhole ? 'blackhole' : 'unicast',
      metric: route.metric,
      table: route.table,
      protocol: route.protocol,
      nextHops: route.nextHops.map((hop) => ({
        gateway: hop.gateway === null ? null : bytesToAddress(hop.gateway),
        dev: names.interfaceName(hop.ifindex),
      })),
    },
  };
}

/** A route of ours as `fib diff` compares and prints it. */
export function actualRoute(route: KernelRoute, names: InterfaceNames): ActualRoute {
  const blackhole = route.type === RouteType.blackhole;
  const hops = route.nextHops.map((hop) => hopText(hop, names));
  return {
    signature: signatureOf(blackhole, route.nextHops),
    text: blackhole ? 'blackhole' : hops.join(', '),
  };
}

/** What a hop set asks for, for `fib diff` and the repair log. */
export function describeSet(set: HopSet, names: InterfaceNames): string {
  if (set.blackhole) return 'blackhole';
  if (set.resolved.length === 0) return `unresolved (${set.nextHops.map((h) => h.address).join(', ')})`;
  return set.resolved
    .map((hop) => `via ${bytesToAddress(hop.gateway)} dev ${names.interfaceName(hop.ifindex)}`)
    .join(', ');
}

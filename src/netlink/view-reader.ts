// Reads what next hops are resolved against (kernel-view.ts): the links and
// whether they are up, their addresses (connected subnets), and the unicast
// routes of other protocols in the main table. Links and addresses come
// through the netlink package's own requests (a few dozen objects); routes
// come through the writer's dumps, parsed only when they qualify.

import { createRtNetlink } from 'netlink';
import type { RouteDumps } from './dump.js';
import type { ConnectedSubnet, InterfaceState, KernelView } from './kernel-view.js';
import { AF_INET, AF_INET6, type DumpFilter, type KernelRoute, RouteType } from './rtnetlink.js';

/** The main table: other protocols' routes elsewhere do not carry next hops for us. */
const RT_TABLE_MAIN = 254;
/** What the kernel is asked for (our own routes come too: a filter cannot say "not ours"). */
const MAIN_UNICAST: DumpFilter = { table: RT_TABLE_MAIN, protocol: 0, type: RouteType.unicast };

/** Reads links, addresses and other protocols' routes into `view` (replaced at once, when all is read). */
export async function readKernelView(
  view: KernelView,
  dumps: RouteDumps,
  ourProtocol: number,
): Promise<void> {
  const rt = createRtNetlink();
  try {
    const links = await rt.getLinks();
    const addresses = await rt.getAddresses();
    const interfaces = new Map<number, InterfaceState>();
    for (const link of links) {
      const index = link.data.index ?? 0;
      const flags = link.data.flags ?? {};
      interfaces.set(index, {
        index,
        name: String(link.attrs.ifname ?? `if${index}`),
        up: flags.up === true && flags.lowerUp === true,
      });
    }
    const subnets = addresses.flatMap((a): ConnectedSubnet[] => {
      const bytes = a.attrs.local ?? a.attrs.address;
      if (bytes === undefined || a.data.family === undefined) return [];
      return [
        {
          family: a.data.family,
          ifindex: a.data.index ?? 0,
          address: Uint8Array.from(bytes),
          prefixLength: a.data.prefixlen ?? 0,
        },
      ];
    });
    const routes: KernelRoute[] = [];
    for (const af of [AF_INET, AF_INET6]) {
      const first = routes.length;
      await dumps.consistent(
        af,
        () => {
          routes.length = first;
        },
        {
          // Not our own routes (never resolve through them), not local/broadcast ones.
          wants: (peek) =>
            peek.protocol !== ourProtocol && peek.table === RT_TABLE_MAIN && peek.type === RouteType.unicast,
          route: (route) => routes.push(route),
        },
        MAIN_UNICAST,
      );
    }
    view.interfaces = interfaces;
    view.subnets = subnets;
    view.routes = routes;
  } finally {
    rt.socket.close();
  }
}

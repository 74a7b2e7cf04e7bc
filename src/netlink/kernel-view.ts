// What the kernel knows that decides whether a next hop is reachable and
// how: interfaces (up or not), their addresses (connected subnets), and the
// routes other protocols own. Next hops are resolved against it: directly
// connected, or recursively through another route's gateway (as zebra does,
// never through our own routes and never through the default route).

import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../net/ip.js';
import { AF_INET, AF_INET6, type KernelNextHop, type KernelRoute, RouteType } from './rtnetlink.js';

export interface InterfaceState {
  readonly index: number;
  readonly name: string;
  readonly up: boolean;
}

export interface ConnectedSubnet {
  readonly family: number;
  readonly ifindex: number;
  readonly address: Uint8Array;
  readonly prefixLength: number;
}

/** A next hop the kernel can use, with its cost (the metric of the route it goes through; 0 when connected). */
export interface Resolution {
  readonly hop: KernelNextHop;
  readonly cost: number;
}

function matches(address: Uint8Array, network: Uint8Array, prefixLength: number): boolean {
  const full = prefixLength >> 3;
  for (let i = 0; i < full; i++) if (address[i] !== network[i]) return false;
  const rest = prefixLength & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[full] as number) & mask) === ((network[full] as number) & mask);
}

export function addressBytes(text: string): { family: number; bytes: Uint8Array } | null {
  const v4 = parseIpv4(text);
  if (v4 !== null)
    return {
      family: AF_INET,
      bytes: Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff),
    };
  const v6 = parseIpv6(text);
  return v6 === null ? null : { family: AF_INET6, bytes: v6 };
}

export function bytesToAddress(bytes: Uint8Array): string {
  return bytes.length === 4
    ? formatIpv4(
        (((bytes[0] as number) << 24) |
          ((bytes[1] as number) << 16) |
          ((bytes[2] as number) << 8) |
          (bytes[3] as number)) >>>
          0,
      )
    : formatIpv6(bytes);
}

export class KernelView {
  interfaces = new Map<number, InterfaceState>();
  subnets: ConnectedSubnet[] = [];
  /** Routes of other protocols (not ours) that may carry a next hop. */
  routes: KernelRoute[] = [];

  interfaceName(index: number): string {
    return this.interfaces.get(index)?.name ?? `if${index}`;
  }

  interfaceIndex(name: string): number {
    for (const state of this.interfaces.values()) if (state.name === name) return state.index;
    return 0;
  }

  private isUp(index: number): boolean {
    return this.interfaces.get(index)?.up === true;
  }

  /** The most specific connected subnet of an up interface holding `bytes`, or null. */
  connectedSubnet(family: number, bytes: Uint8Array): ConnectedSubnet | null {
    let connected: ConnectedSubnet | null = null;
    for (const subnet of this.subnets) {
      if (subnet.family !== family || !this.isUp(subnet.ifindex)) continue;
      if (!matches(bytes, subnet.address, subnet.prefixLength)) continue;
      if (connected === null || subnet.prefixLength > connected.prefixLength) connected = subnet;
    }
    return connected;
  }

  /** The longest matching route of another protocol (the default route only if `withDefault`). */
  private routeTo(family: number, bytes: Uint8Array, withDefault: boolean): KernelRoute | null {
    let best: KernelRoute | null = null;
    for (const route of this.routes) {
      if (route.family !== family || route.type !== RouteType.unicast) continue;
      if (route.prefixLength === 0 && !withDefault) continue;
      if (!matches(bytes, route.destination, route.prefixLength)) continue;
      if (
        best === null ||
        route.prefixLength > best.prefixLength ||
        (route.prefixLength === best.prefixLength && route.metric < best.metric)
      ) {
        best = route;
      }
    }
    return best;
  }

  /**
   * Whether the underlay reaches `bytes` and at what cost (0 when
   * connected): unlike next-hop resolution, through the default route too,
   * which is how a VPC's other subnets are reached.
   */
  underlay(family: number, bytes: Uint8Array): { connected: boolean; cost: number | null } {
    if (this.connectedSubnet(family, bytes) !== null) return { connected: true, cost: 0 };
    const route = this.routeTo(family, bytes, true);
    const up = route?.nextHops.some((hop) => this.isUp(hop.ifindex)) === true;
    return { connected: false, cost: route === null || !up ? null : route.metric };
  }

  /** The interface named `name` when it exists: its index and whether it is up. */
  interfaceByName(name: string): InterfaceState | null {
    for (const state of this.interfaces.values()) if (state.name === name) return state;
    return null;
  }

  /**
   * How to reach `address` (text): through a connected subnet of an up
   * interface, or recursively through the longest matching route of another
   * protocol (not the default route). Null when unreachable.
   */
  resolve(address: string, interfaceName?: string): Resolution | null {
    const parsed = addressBytes(address);
    if (parsed === null) return null;
    const { family, bytes } = parsed;
    // An IPv6 link-local next hop is only usable on the interface it came with.
    if (family === AF_INET6 && bytes[0] === 0xfe && ((bytes[1] as number) & 0xc0) === 0x80) {
      const index = interfaceName === undefined ? 0 : this.interfaceIndex(interfaceName);
      return index > 0 && this.isUp(index) ? { hop: { gateway: bytes, ifindex: index }, cost: 0 } : null;
    }
    const connected = this.connectedSubnet(family, bytes);
    if (connected !== null) return { hop: { gateway: bytes, ifindex: connected.ifindex }, cost: 0 };
    const best = this.routeTo(family, bytes, false);
    const via = best?.nextHops.find((hop) => this.isUp(hop.ifindex));
    if (best === null || via === undefined) return null;
    // A device route: the next hop is on that link; a gateway route: go through its gateway.
    return { hop: { gateway: via.gateway ?? bytes, ifindex: via.ifindex }, cost: best.metric };
  }
}

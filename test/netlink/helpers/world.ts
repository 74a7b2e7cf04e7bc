// A kernel view and desired state for the pure tests: two up links with
// connected subnets (eth1 10.98.0.0/24 and fd98::/64, eth2 10.99.0.0/24), a
// down link (eth3, 10.97.0.0/24), and one static route of another protocol
// (10.50.0.0/16 via 10.98.0.254) that next hops resolve through.
import { DesiredState, type FamilyState, wordsOf } from '../../../src/netlink/desired.js';
import { addressBytes, KernelView } from '../../../src/netlink/kernel-view.js';
import { AF_INET, AF_INET6, type KernelRoute, RouteType } from '../../../src/netlink/rtnetlink.js';

export const ETH1 = 2;
export const ETH2 = 3;
export const ETH3 = 4;

export function bytes(address: string): Uint8Array {
  const parsed = addressBytes(address);
  if (parsed === null) throw new Error(`not an address: ${address}`);
  return parsed.bytes;
}

export function kernelView(): KernelView {
  const view = new KernelView();
  view.interfaces = new Map([
    [1, { index: 1, name: 'lo', up: true }],
    [ETH1, { index: ETH1, name: 'eth1', up: true }],
    [ETH2, { index: ETH2, name: 'eth2', up: true }],
    [ETH3, { index: ETH3, name: 'eth3', up: false }],
  ]);
  view.subnets = [
    { family: AF_INET, ifindex: ETH1, address: bytes('10.98.0.1'), prefixLength: 24 },
    { family: AF_INET, ifindex: ETH2, address: bytes('10.99.0.1'), prefixLength: 24 },
    { family: AF_INET, ifindex: ETH3, address: bytes('10.97.0.1'), prefixLength: 24 },
    { family: AF_INET6, ifindex: ETH1, address: bytes('fd98::1'), prefixLength: 64 },
  ];
  view.routes = [
    kernelRoute('10.50.0.0/16', [{ gateway: '10.98.0.254', ifindex: ETH1 }], { protocol: 4, metric: 7 }),
  ];
  return view;
}

export interface World {
  readonly view: KernelView;
  readonly state: DesiredState;
}

export function world(): World {
  const view = kernelView();
  return { view, state: new DesiredState(view) };
}

/** A route as a dump or notification shows it. */
export function kernelRoute(
  prefix: string,
  hops: readonly { gateway: string | null; ifindex: number }[],
  options: { protocol?: number; table?: number; blackhole?: boolean; metric?: number } = {},
): KernelRoute {
  const [address = '', length = ''] = prefix.split('/');
  const destination = bytes(address);
  return {
    family: destination.length === 4 ? AF_INET : AF_INET6,
    prefixLength: Number(length),
    table: options.table ?? 254,
    protocol: options.protocol ?? 186,
    type: options.blackhole === true ? RouteType.blackhole : RouteType.unicast,
    metric: options.metric ?? 20,
    destination,
    nextHops: hops.map((hop) => ({
      gateway: hop.gateway === null ? null : bytes(hop.gateway),
      ifindex: hop.ifindex,
    })),
  };
}

/** The family and the words of a prefix's address (1 for IPv4, 4 for IPv6). */
export function prefixWords(
  state: DesiredState,
  prefix: string,
): { family: FamilyState; words: Uint32Array } {
  const [address = ''] = prefix.split('/');
  const destination = bytes(address);
  const family = state.family(destination.length === 4 ? 4 : 6);
  const words = new Uint32Array(destination.length / 4);
  wordsOf(destination, words);
  return { family, words };
}

/** setRoute by text; returns the prefix id (-1 when a withdraw found nothing). */
export function want(state: DesiredState, prefix: string, hopSet: number): number {
  const { family, words } = prefixWords(state, prefix);
  const length = Number(prefix.split('/')[1]);
  state.setRoute(family.version, words, 0, length, hopSet);
  return family.table.findKey(words, 0, length);
}

/** The prefix id of `prefix` (interned). */
export function idOf(state: DesiredState, prefix: string): number {
  const [address = '', length = ''] = prefix.split('/');
  const { family } = prefixWords(state, prefix);
  return state.prefixOf(family, bytes(address), Number(length));
}

/** Takes every queued prefix of a family, as text. */
export function drain(family: FamilyState): string[] {
  const out: string[] = [];
  for (let p = family.queue.take(); p >= 0; p = family.queue.take()) out.push(family.table.toString(p));
  return out.sort();
}

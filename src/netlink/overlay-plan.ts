// The cross-subnet overlay's decisions, without a kernel: whether a BGP next
// hop is reached by a plain route or through the agent's VXLAN device
// (RFC 7348), and then which gateway, forwarding-database (fdb) entry and
// neighbour entry the kernel needs for it; the device's MTU; and what to add
// and remove to bring the device's entries to what is wanted. The netlink
// side (overlay-device.ts) only carries these out.
//
// Addressing, chosen so that no control-plane exchange is needed beyond BGP
// itself:
//   - a remote node's overlay address IS its BGP next hop (its underlay
//     address), used as an `onlink` gateway on the device: the route says
//     which node, and the next hop already travels in every UPDATE (through
//     a route reflector too, which does not change it: RFC 4456 §10);
//   - a node's VTEP MAC is derived from its underlay address (vtepMac), so
//     every node computes every other node's MAC by itself. The inner frame
//     must carry the receiving device's own MAC, or the receiver drops it as
//     addressed to another host;
//   - so per remote node: fdb "MAC -> underlay address" (where to send the
//     UDP datagram, RFC 7348 §4.1) and neighbour "overlay address -> MAC"
//     (what to put in the inner Ethernet header, since nothing answers ARP
//     or ND across the tunnel: the device is created with learning off).

import { createHash } from 'node:crypto';
import { bytesToAddress } from './kernel-view.js';
import { AF_INET, AF_INET6, type KernelNextHop } from './rtnetlink.js';

export type OverlayMode = 'never' | 'cross-subnet' | 'always';

/** What the kernel view tells about a next hop's underlay. */
export interface UnderlayFacts {
  /** On a directly connected subnet of an up interface: one L2 hop away. */
  readonly connected: boolean;
  /**
   * What reaching the underlay address costs (0 connected, else the metric
   * of the route it takes, the default route included: in a VPC that is how
   * other subnets are reached), or null when nothing reaches it.
   */
  readonly cost: number | null;
}

/** The agent's VXLAN device as the kernel has it now (null: not there). */
export interface OverlayDeviceView {
  readonly ifindex: number;
  readonly up: boolean;
  /** AF_INET or AF_INET6: the family of its local underlay address. */
  readonly family: number;
}

/** A remote VXLAN tunnel end point: where its frames go, and with which MAC. */
export interface Vtep {
  /** Its underlay address, which is also its overlay address (text). */
  readonly address: string;
  readonly mac: string;
}

export type NextHopPlan =
  /** Resolve as any route: through the connected subnet or another route's gateway. */
  | { readonly kind: 'plain' }
  /** `via <address> dev <device> onlink`, with the VTEP's fdb and neighbour entries. */
  | { readonly kind: 'overlay'; readonly hop: KernelNextHop; readonly cost: number; readonly vtep: Vtep }
  /** Meant for the overlay, but the underlay or the device is not there now: no route. */
  | { readonly kind: 'unreachable' };

const PLAIN: NextHopPlan = { kind: 'plain' };
const UNREACHABLE: NextHopPlan = { kind: 'unreachable' };

function isLinkLocal(bytes: Uint8Array): boolean {
  if (bytes.length === 4) return bytes[0] === 169 && bytes[1] === 254;
  return bytes[0] === 0xfe && ((bytes[1] as number) & 0xc0) === 0x80;
}

/**
 * Plain route or overlay for one BGP next hop (`address`, 4 or 16 bytes).
 * Same-subnet next hops stay plain in cross-subnet mode; a next hop of the
 * other family than the device's underlay, or a link-local one, is never a
 * VTEP and stays plain.
 */
export function planNextHop(
  mode: OverlayMode,
  address: Uint8Array,
  facts: UnderlayFacts,
  device: OverlayDeviceView | null,
): NextHopPlan {
  if (mode === 'never' || isLinkLocal(address)) return PLAIN;
  const family = address.length === 4 ? AF_INET : AF_INET6;
  if (device !== null && device.family !== family) return PLAIN;
  if (mode === 'cross-subnet' && facts.connected) return PLAIN;
  if (facts.cost === null || device === null || !device.up) return UNREACHABLE;
  return {
    kind: 'overlay',
    hop: { gateway: address, ifindex: device.ifindex, onlink: true },
    cost: facts.cost,
    vtep: { address: bytesToAddress(address), mac: formatMac(vtepMac(address)) },
  };
}

/**
 * A node's VTEP MAC from its underlay address: locally administered,
 * unicast (first octet 0x02 or 0x06: IEEE 802 "U/L" bit set, "I/G" bit
 * clear), 0xba as a marker, then the IPv4 address itself (no two IPv4
 * nodes collide), or for IPv6 four octets of its SHA-256 (a collision
 * between two nodes of one cluster is about 1 in 2^32 per pair).
 */
export function vtepMac(address: Uint8Array): Uint8Array {
  if (address.length === 4) return Uint8Array.of(0x02, 0xba, ...address);
  const digest = createHash('sha256').update(address).digest();
  return Uint8Array.of(0x06, 0xba, ...digest.subarray(0, 4));
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (octet) => octet.toString(16).padStart(2, '0')).join(':');
}

export function parseMac(text: string): Uint8Array | null {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) return null;
  return Uint8Array.from(parts, (p) => Number.parseInt(p, 16));
}

/**
 * Octets VXLAN adds inside the underlay's MTU (RFC 7348 §5): the inner
 * Ethernet header (14), VXLAN (8), UDP (8) and the outer IP header (20 for
 * IPv4, 40 for IPv6). The outer Ethernet header is outside the MTU.
 */
export function encapsulationBytes(underlayFamily: number): number {
  return 14 + 8 + 8 + (underlayFamily === AF_INET6 ? 40 : 20);
}

/** The device MTU: as configured, else the underlay's less the encapsulation (1500 -> 1450 over IPv4). */
export function deviceMtu(configured: number | null, underlayMtu: number, underlayFamily: number): number {
  return configured ?? underlayMtu - encapsulationBytes(underlayFamily);
}

/** One entry on the device: an fdb entry (key: MAC, value: underlay address) or a neighbour (key: address, value: MAC). */
export interface OverlayEntry {
  readonly kind: 'fdb' | 'neighbour';
  readonly key: string;
  readonly value: string;
}

/** The entries a set of remote VTEPs needs: one fdb and one neighbour entry each. */
export function wantedEntries(vteps: Iterable<Vtep>): OverlayEntry[] {
  const entries: OverlayEntry[] = [];
  for (const vtep of vteps) {
    entries.push({ kind: 'fdb', key: vtep.mac, value: vtep.address });
    entries.push({ kind: 'neighbour', key: vtep.address, value: vtep.mac });
  }
  return entries;
}

export interface EntryChanges {
  /** Missing or different: written with create|replace. */
  readonly write: readonly OverlayEntry[];
  /** On the device but not wanted. */
  readonly remove: readonly OverlayEntry[];
}

/**
 * What to write and remove to bring the device's entries (`actual`) to
 * `wanted`. Extras are removed only once `removeExtras` (after the restart
 * sweep: until then an adopted route may still go through an entry that a
 * previous run made, RFC 4724 §4.1).
 */
export function entryChanges(
  wanted: readonly OverlayEntry[],
  actual: readonly OverlayEntry[],
  removeExtras: boolean,
): EntryChanges {
  const id = (entry: OverlayEntry): string => `${entry.kind} ${entry.key}`;
  const have = new Map(actual.map((entry) => [id(entry), entry.value]));
  const want = new Set(wanted.map(id));
  return {
    write: wanted.filter((entry) => have.get(id(entry)) !== entry.value),
    remove: removeExtras ? actual.filter((entry) => !want.has(id(entry))) : [],
  };
}

/** The VXLAN device as it should be. */
export interface DeviceSpec {
  readonly name: string;
  readonly vni: number;
  readonly port: number;
  /** The local underlay address (4 or 16 bytes). */
  readonly local: Uint8Array;
  readonly mac: string;
  readonly mtu: number;
}

/** The device as the kernel shows it (fields it does not report are null). */
export interface DeviceFacts {
  readonly kind: string | null;
  readonly vni: number | null;
  readonly port: number | null;
  readonly local: string | null;
  readonly mac: string | null;
  readonly mtu: number | null;
  readonly up: boolean;
}

export type DeviceAction =
  | { readonly kind: 'create' }
  /** Wrong kind, VNI, port or local address: these are fixed at creation. */
  | { readonly kind: 'recreate'; readonly why: string }
  /** MAC, MTU or the up flag: changed in place. */
  | { readonly kind: 'modify'; readonly why: string }
  | { readonly kind: 'none' };

/** What the device needs, given what is there under its name (null: nothing). */
export function deviceAction(spec: DeviceSpec, facts: DeviceFacts | null): DeviceAction {
  if (facts === null) return { kind: 'create' };
  if (facts.kind !== 'vxlan') return { kind: 'recreate', why: `is a ${facts.kind ?? 'device of no kind'}` };
  if (facts.vni !== spec.vni) return { kind: 'recreate', why: `has VNI ${facts.vni}, not ${spec.vni}` };
  if (facts.port !== spec.port) return { kind: 'recreate', why: `has port ${facts.port}, not ${spec.port}` };
  const local = bytesToAddress(spec.local);
  if (facts.local !== local) return { kind: 'recreate', why: `has local ${facts.local}, not ${local}` };
  if (facts.mac !== spec.mac) return { kind: 'modify', why: `has MAC ${facts.mac}, not ${spec.mac}` };
  if (facts.mtu !== spec.mtu) return { kind: 'modify', why: `has MTU ${facts.mtu}, not ${spec.mtu}` };
  if (!facts.up) return { kind: 'modify', why: 'is down' };
  return { kind: 'none' };
}

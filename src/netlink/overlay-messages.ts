// rtnetlink link and neighbour messages for the overlay's VXLAN device,
// encoded and parsed here (linux/if_link.h, linux/neighbour.h): what `ip
// link add ... type vxlan`, `bridge fdb` and `ip neigh` send, without
// spawning them. Payloads only; the netlink header is the socket's.
//
//   ifinfomsg: family u8 | pad u8 | type u16 | index s32 | flags u32 | change u32   (16)
//   ndmsg:     family u8 | pad u8 | pad u16 | ifindex s32 | state u16 | flags u8 | type u8   (12)

import { addressBytes, bytesToAddress } from './kernel-view.js';
import { type DeviceFacts, type DeviceSpec, formatMac, type OverlayEntry, parseMac } from './overlay-plan.js';
import { AF_INET, AF_INET6, align, parseAttributes } from './rtnetlink.js';

export const LinkMsgType = { newLink: 16, delLink: 17, getLink: 18 } as const;
export const NeighMsgType = { newNeigh: 28, delNeigh: 29, getNeigh: 30 } as const;

export const AF_BRIDGE = 7;
const AF_UNSPEC = 0;
const IFF_UP = 1;
const NLA_F_NESTED = 0x8000;
const Ifla = { address: 1, ifname: 3, mtu: 4, linkinfo: 18 } as const;
const IflaInfo = { kind: 1, data: 2 } as const;
/** IFLA_VXLAN_* (linux/if_link.h). */
const IflaVxlan = { id: 1, local: 4, learning: 7, port: 15, local6: 17 } as const;
const Nda = { dst: 1, lladdr: 2 } as const;
/** NUD_PERMANENT: never expires, never probed (there is no ARP across the tunnel). */
const NUD_PERMANENT = 0x80;
/** NTF_SELF: the entry is the VXLAN device's own fdb, not a bridge's. */
const NTF_SELF = 0x02;

interface Attribute {
  readonly type: number;
  readonly value: Uint8Array;
}

function attribute(type: number, value: Uint8Array): Attribute {
  return { type, value };
}

function u32(value: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
}

function encodeAttributes(attributes: readonly Attribute[]): Buffer {
  const parts: Buffer[] = [];
  for (const { type, value } of attributes) {
    const header = Buffer.alloc(4);
    header.writeUInt16LE(4 + value.length, 0);
    header.writeUInt16LE(type, 2);
    parts.push(header, Buffer.from(value), Buffer.alloc(align(4 + value.length) - 4 - value.length));
  }
  return Buffer.concat(parts);
}

function nested(type: number, attributes: readonly Attribute[]): Attribute {
  return attribute(type | NLA_F_NESTED, encodeAttributes(attributes));
}

function ifinfomsg(index: number, flags: number, change: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = AF_UNSPEC;
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

function ifname(name: string): Attribute {
  return attribute(Ifla.ifname, Buffer.from(`${name}\0`));
}

/**
 * RTM_NEWLINK (with NLM_F_CREATE|NLM_F_EXCL) for the device: VXLAN, the
 * VNI, the UDP port, the local underlay address, learning off (the fdb is
 * ours, RFC 7348 §4.1's learning is not needed), the VTEP MAC and the MTU,
 * up. The payload of `ip link add NAME type vxlan id VNI dstport PORT local
 * ADDRESS nolearning` plus `address`, `mtu` and `up`.
 */
export function createLinkPayload(spec: DeviceSpec): Buffer {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(spec.port); // IFLA_VXLAN_PORT is in network order
  const data = [
    attribute(IflaVxlan.id, u32(spec.vni)),
    spec.local.length === 4
      ? attribute(IflaVxlan.local, spec.local)
      : attribute(IflaVxlan.local6, spec.local),
    attribute(IflaVxlan.port, port),
    attribute(IflaVxlan.learning, Uint8Array.of(0)),
  ];
  return Buffer.concat([
    ifinfomsg(0, IFF_UP, IFF_UP),
    encodeAttributes([
      ifname(spec.name),
      attribute(Ifla.address, parseMac(spec.mac) ?? new Uint8Array(6)),
      attribute(Ifla.mtu, u32(spec.mtu)),
      nested(Ifla.linkinfo, [attribute(IflaInfo.kind, Buffer.from('vxlan\0')), nested(IflaInfo.data, data)]),
    ]),
  ]);
}

/** RTM_NEWLINK without create: sets the MAC and MTU and brings it up. */
export function modifyLinkPayload(index: number, spec: DeviceSpec): Buffer {
  return Buffer.concat([
    ifinfomsg(index, IFF_UP, IFF_UP),
    encodeAttributes([
      attribute(Ifla.address, parseMac(spec.mac) ?? new Uint8Array(6)),
      attribute(Ifla.mtu, u32(spec.mtu)),
    ]),
  ]);
}

/** RTM_GETLINK / RTM_DELLINK of one link, by name (index 0) or by index. */
export function linkPayload(name: string | null, index = 0): Buffer {
  return Buffer.concat([ifinfomsg(index, 0, 0), encodeAttributes(name === null ? [] : [ifname(name)])]);
}

/** A link as a RTM_NEWLINK reply shows it: index, name, MTU, and the VXLAN facts. */
export interface LinkFacts extends DeviceFacts {
  readonly index: number;
  readonly name: string;
}

export function parseLink(payload: Buffer): LinkFacts | null {
  if (payload.length < 16) return null;
  const attributes = parseAttributes(payload, 16);
  const info = attributes.get(Ifla.linkinfo);
  const infoAttributes = info === undefined ? null : parseAttributes(info, 0);
  const kind = infoAttributes?.get(IflaInfo.kind)?.toString('utf8').replace(/\0+$/, '') ?? null;
  const dataBytes = infoAttributes?.get(IflaInfo.data);
  const data = dataBytes === undefined ? null : parseAttributes(dataBytes, 0);
  const id = data?.get(IflaVxlan.id);
  const port = data?.get(IflaVxlan.port);
  const local = data?.get(IflaVxlan.local) ?? data?.get(IflaVxlan.local6);
  const address = attributes.get(Ifla.address);
  const mtu = attributes.get(Ifla.mtu);
  return {
    index: payload.readInt32LE(4),
    name: attributes.get(Ifla.ifname)?.toString('utf8').replace(/\0+$/, '') ?? '',
    kind,
    vni: id === undefined || id.length < 4 ? null : id.readUInt32LE(0),
    port: port === undefined || port.length < 2 ? null : port.readUInt16BE(0),
    local: local === undefined ? null : bytesToAddress(local),
    mac: address === undefined || address.length !== 6 ? null : formatMac(address),
    mtu: mtu === undefined || mtu.length < 4 ? null : mtu.readUInt32LE(0),
    up: (payload.readUInt32LE(8) & IFF_UP) !== 0,
  };
}

function ndmsg(family: number, ifindex: number, state: number, flags: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = family;
  b.writeInt32LE(ifindex, 4);
  b.writeUInt16LE(state, 8);
  b[10] = flags;
  return b;
}

function addressOctets(text: string): Uint8Array {
  return addressBytes(text)?.bytes ?? new Uint8Array(4);
}

/**
 * RTM_NEWNEIGH (create|replace) or RTM_DELNEIGH for one overlay entry on
 * device `ifindex`: an fdb entry (`bridge fdb replace MAC dev DEV dst
 * ADDRESS self permanent`) or a neighbour (`ip neigh replace ADDRESS lladdr
 * MAC dev DEV nud permanent`).
 */
export function neighbourPayload(entry: OverlayEntry, ifindex: number): Buffer {
  if (entry.kind === 'fdb') {
    return Buffer.concat([
      ndmsg(AF_BRIDGE, ifindex, NUD_PERMANENT, NTF_SELF),
      encodeAttributes([
        attribute(Nda.lladdr, parseMac(entry.key) ?? new Uint8Array(6)),
        attribute(Nda.dst, addressOctets(entry.value)),
      ]),
    ]);
  }
  const address = addressOctets(entry.key);
  return Buffer.concat([
    ndmsg(address.length === 4 ? AF_INET : AF_INET6, ifindex, NUD_PERMANENT, 0),
    encodeAttributes([
      attribute(Nda.dst, address),
      attribute(Nda.lladdr, parseMac(entry.value) ?? new Uint8Array(6)),
    ]),
  ]);
}

/** RTM_GETNEIGH dump request of one family (AF_BRIDGE: fdb entries). */
export function neighbourDumpPayload(family: number): Buffer {
  return ndmsg(family, 0, 0, 0);
}

/**
 * A neighbour or fdb entry of a dump as an OverlayEntry, when it is on
 * device `ifindex`. One that is not permanent (one the kernel made while
 * trying ARP, say) shows its state in the value, so that it differs from
 * the wanted one and is written over.
 */
export function parseNeighbour(payload: Buffer, ifindex: number): OverlayEntry | null {
  if (payload.length < 12 || payload.readInt32LE(4) !== ifindex) return null;
  const family = payload[0] as number;
  const state = payload.readUInt16LE(8);
  const attributes = parseAttributes(payload, 12);
  const dst = attributes.get(Nda.dst);
  const lladdr = attributes.get(Nda.lladdr);
  if (dst === undefined || lladdr === undefined || lladdr.length !== 6) return null;
  const suffix = (state & NUD_PERMANENT) !== 0 ? '' : ` (state 0x${state.toString(16)})`;
  if (family === AF_BRIDGE)
    return { kind: 'fdb', key: formatMac(lladdr), value: `${bytesToAddress(dst)}${suffix}` };
  return { kind: 'neighbour', key: bytesToAddress(dst), value: `${formatMac(lladdr)}${suffix}` };
}

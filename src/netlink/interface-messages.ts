// Link and address dumps (RTM_GETLINK, RTM_GETADDR) for the kernel view, and
// their replies parsed into what next-hop resolution needs: an interface's
// index, name and whether it is up; an address's subnet. Our own few lines
// in place of the netlink package's generic codec, whose structure tables
// are some 7 MB of heap per thread that loads them (linux/if_link.h,
// linux/if_addr.h):
//
//   ifinfomsg: family u8 | pad u8 | type u16 | index i32 | flags u32 | change u32   (16)
//   ifaddrmsg: family u8 | prefixlen u8 | flags u8 | scope u8 | index u32          (8)

import type { ConnectedSubnet, InterfaceState } from './kernel-view.js';
import { AF_INET, AF_INET6, NETLINK_HEADER_BYTES, NlFlag, parseAttributes } from './rtnetlink.js';

export const InterfaceMsgType = { newLink: 16, getLink: 18, newAddr: 20, getAddr: 22 } as const;

const IFINFOMSG = 16;
const IFADDRMSG = 8;
const IFF_UP = 0x1;
/** The carrier is up (RFC 2863 operational state); IFF_UP alone is only the administrative state. */
const IFF_LOWER_UP = 0x10000;
const IFLA_IFNAME = 3;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;

/** A dump request for every link (RTM_GETLINK) or every address (RTM_GETADDR) of all families. */
export function interfaceDumpRequest(
  type: typeof InterfaceMsgType.getLink | typeof InterfaceMsgType.getAddr,
  seq: number,
): Buffer {
  const length = NETLINK_HEADER_BYTES + (type === InterfaceMsgType.getLink ? IFINFOMSG : IFADDRMSG);
  const message = Buffer.alloc(length);
  message.writeUInt32LE(length, 0);
  message.writeUInt16LE(type, 4);
  message.writeUInt16LE(NlFlag.request | NlFlag.dump, 6);
  message.writeUInt32LE(seq >>> 0, 8);
  return message;
}

/** An RTM_NEWLINK payload; null when it is too short to be one. */
export function parseInterface(payload: Buffer): InterfaceState | null {
  if (payload.length < IFINFOMSG) return null;
  const index = payload.readInt32LE(4);
  const flags = payload.readUInt32LE(8);
  const name = parseAttributes(payload, IFINFOMSG).get(IFLA_IFNAME);
  return {
    index,
    name: name === undefined ? `if${index}` : name.toString('utf8').replace(/\0+$/, ''),
    up: (flags & IFF_UP) !== 0 && (flags & IFF_LOWER_UP) !== 0,
  };
}

/**
 * An RTM_NEWADDR payload as a connected subnet; null when it is not an IPv4
 * or IPv6 address. The local address when there is one (on a point-to-point
 * link IFA_ADDRESS is the peer's), else IFA_ADDRESS.
 */
export function parseSubnet(payload: Buffer): ConnectedSubnet | null {
  if (payload.length < IFADDRMSG) return null;
  const family = payload[0] as number;
  if (family !== AF_INET && family !== AF_INET6) return null;
  const attributes = parseAttributes(payload, IFADDRMSG);
  const address = attributes.get(IFA_LOCAL) ?? attributes.get(IFA_ADDRESS);
  if (address === undefined || address.length !== (family === AF_INET ? 4 : 16)) return null;
  return {
    family,
    ifindex: payload.readUInt32LE(4),
    address: Uint8Array.from(address),
    prefixLength: payload[1] as number,
  };
}

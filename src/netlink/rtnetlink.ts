// rtnetlink route messages (linux/rtnetlink.h), encoded and parsed here so a
// batch of thousands of routes is one buffer for one sendmsg(), with no
// object per route. Host byte order (little-endian on the machines we run).
//
//   nlmsghdr: len u32 | type u16 | flags u16 | seq u32 | pid u32      (16)
//   rtmsg:    family u8 | dst_len u8 | src_len u8 | tos u8 | table u8 |
//             protocol u8 | scope u8 | type u8 | flags u32            (12)
//   rtattr:   len u16 | type u16 | value, padded to 4

export const NETLINK_ROUTE = 0;

export const NlMsgType = {
  error: 2,
  done: 3,
  newLink: 16,
  delLink: 17,
  newAddr: 20,
  delAddr: 21,
  newRoute: 24,
  delRoute: 25,
  getRoute: 26,
} as const;

export const NlFlag = {
  request: 0x1,
  multi: 0x2,
  ack: 0x4,
  dump: 0x300,
  replace: 0x100,
  excl: 0x200,
  create: 0x400,
  /** On dump replies: the table changed while it was dumped, so the dump may be inconsistent. */
  dumpInterrupted: 0x10,
} as const;

export const Rta = { dst: 1, oif: 4, gateway: 5, priority: 6, multipath: 9, table: 15 } as const;

export const RouteType = { unicast: 1, blackhole: 6 } as const;

/** RTNLGRP_* multicast groups (linux/rtnetlink.h). */
export const RtnlGroup = { link: 1, ipv4Ifaddr: 5, ipv4Route: 7, ipv6Ifaddr: 9, ipv6Route: 11 } as const;

export const AF_INET = 2;
export const AF_INET6 = 10;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_NOWHERE = 255;
const RT_TABLE_COMPAT = 252;
const HEADER = 16;
const RTMSG = 12;
/** Bytes of an nlmsghdr: a message's payload starts this far into it. */
export const NETLINK_HEADER_BYTES = HEADER;

/** Which routes a dump asks for (0: any). */
export interface DumpFilter {
  readonly table: number;
  readonly protocol: number;
  readonly type: number;
}

/** A next hop as the kernel takes it: gateway bytes (4 or 16) and an interface index (0: let the kernel pick). */
export interface KernelNextHop {
  readonly gateway: Uint8Array;
  readonly ifindex: number;
  /**
   * RTNH_F_ONLINK: the gateway is on the link though no subnet of it says
   * so (the overlay's gateways: the remote nodes' underlay addresses).
   */
  readonly onlink?: boolean;
}

/** RTNH_F_ONLINK (linux/rtnetlink.h), in rtm_flags and in each rtnexthop's flags. */
export const RTNH_F_ONLINK = 4;

/** NLMSG_ALIGN / RTA_ALIGN: messages and attributes start on 4-octet boundaries. */
export const align = (n: number): number => (n + 3) & ~3;

/** Writes route messages into a growable buffer; one flush = one datagram. */
export class RouteMessageWriter {
  private buffer = Buffer.alloc(1 << 16);
  length = 0;
  count = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  private attribute(type: number, value: Uint8Array): void {
    const length = 4 + value.length;
    this.buffer.writeUInt16LE(length, this.length);
    this.buffer.writeUInt16LE(type, this.length + 2);
    this.buffer.set(value, this.length + 4);
    this.buffer.fill(0, this.length + length, this.length + align(length));
    this.length += align(length);
  }

  private u32Attribute(type: number, value: number): void {
    this.buffer.writeUInt16LE(8, this.length);
    this.buffer.writeUInt16LE(type, this.length + 2);
    this.buffer.writeUInt32LE(value >>> 0, this.length + 4);
    this.length += 8;
  }

  /**
   * Appends one RTM_NEWROUTE (create/replace) or RTM_DELROUTE. The prefix is
   * given as network-order words (1 for IPv4, 4 for IPv6) at `words[at]`; an
   * empty `nextHops` with `blackhole` makes a blackhole route, several next
   * hops one multipath (ECMP) route. Positional arguments: this runs once per
   * route on the hot path and allocates nothing.
   */
  route(
    remove: boolean,
    family: number,
    words: ArrayLike<number>,
    at: number,
    prefixLength: number,
    table: number,
    protocol: number,
    metric: number,
    blackhole: boolean,
    nextHops: readonly KernelNextHop[],
    seq: number,
    ack: boolean,
  ): void {
    this.ensure(512 + nextHops.length * 32);
    const b = this.buffer;
    const start = this.length;
    const flags = NlFlag.request | (ack ? NlFlag.ack : 0) | (remove ? 0 : NlFlag.create | NlFlag.replace);
    b.writeUInt16LE(remove ? NlMsgType.delRoute : NlMsgType.newRoute, start + 4);
    b.writeUInt16LE(flags, start + 6);
    b.writeUInt32LE(seq >>> 0, start + 8);
    b.writeUInt32LE(0, start + 12);
    const r = start + HEADER;
    b[r] = family;
    b[r + 1] = prefixLength;
    b[r + 2] = 0;
    b[r + 3] = 0;
    b[r + 4] = table < 256 ? table : RT_TABLE_COMPAT;
    b[r + 5] = protocol;
    // A delete matches any scope and type (as `ip route del` does): the kernel
    // compares them when they are set, and a blackhole route is not unicast.
    b[r + 6] = remove ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
    b[r + 7] = remove ? 0 : blackhole ? RouteType.blackhole : RouteType.unicast;
    // A single onlink hop says so in rtm_flags; multipath hops each in rtnh_flags.
    b.writeUInt32LE(
      !remove && nextHops.length === 1 && nextHops[0]?.onlink === true ? RTNH_F_ONLINK : 0,
      r + 8,
    );
    let attributeAt = r + RTMSG;
    // RTA_DST: the prefix bytes, big-endian words.
    const wordCount = family === AF_INET ? 1 : 4;
    b.writeUInt16LE(4 + wordCount * 4, attributeAt);
    b.writeUInt16LE(Rta.dst, attributeAt + 2);
    for (let w = 0; w < wordCount; w++)
      b.writeUInt32BE((words[at + w] as number) >>> 0, attributeAt + 4 + w * 4);
    attributeAt += 4 + wordCount * 4;
    this.length = attributeAt;
    this.u32Attribute(Rta.table, table);
    this.u32Attribute(Rta.priority, metric);
    if (!remove && !blackhole) {
      if (nextHops.length === 1) {
        const hop = nextHops[0] as KernelNextHop;
        this.attribute(Rta.gateway, hop.gateway);
        if (hop.ifindex > 0) this.u32Attribute(Rta.oif, hop.ifindex);
      } else if (nextHops.length > 1) {
        // RTA_MULTIPATH: struct rtnexthop { len u16, flags u8, hops u8, ifindex s32 } + RTA_GATEWAY each.
        const multipathAt = this.length;
        this.length += 4;
        for (const hop of nextHops) {
          const hopAt = this.length;
          const hopLength = 8 + align(4 + hop.gateway.length);
          b.writeUInt16LE(hopLength, hopAt);
          b[hopAt + 2] = hop.onlink === true ? RTNH_F_ONLINK : 0;
          b[hopAt + 3] = 0; // weight - 1
          b.writeInt32LE(hop.ifindex, hopAt + 4);
          this.length = hopAt + 8;
          this.attribute(Rta.gateway, hop.gateway);
        }
        b.writeUInt16LE(this.length - multipathAt, multipathAt);
        b.writeUInt16LE(Rta.multipath, multipathAt + 2);
      }
    }
    b.writeUInt32LE(this.length - start, start);
    this.count++;
  }

  /** NLMSG_NOOP with NLM_F_ACK: the kernel acknowledges it after everything sent before it. */
  marker(seq: number): void {
    this.ensure(HEADER);
    const b = this.buffer;
    b.writeUInt32LE(HEADER, this.length);
    b.writeUInt16LE(1, this.length + 4); // NLMSG_NOOP
    b.writeUInt16LE(NlFlag.request | NlFlag.ack, this.length + 6);
    b.writeUInt32LE(seq >>> 0, this.length + 8);
    b.writeUInt32LE(0, this.length + 12);
    this.length += HEADER;
  }

  /** The messages written since the last take(), as one datagram (a copy). */
  take(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.length));
    this.length = 0;
    this.count = 0;
    return out;
  }

  /**
   * An RTM_GETROUTE dump request for one family. With a filter, a kernel
   * that does strict checking on the socket (NETLINK_GET_STRICT_CHK, Linux
   * 4.20+) sends only the routes of that table (RTA_TABLE: any id, also
   * above 255), protocol and type (0: any); one that does not ignores the
   * filter and sends everything, so replies are checked anyway.
   */
  static dumpRequest(family: number, seq: number, filter: DumpFilter | null = null): Buffer {
    const length = HEADER + RTMSG + (filter !== null && filter.table > 0 ? 8 : 0);
    const message = Buffer.alloc(length);
    message.writeUInt32LE(length, 0);
    message.writeUInt16LE(NlMsgType.getRoute, 4);
    message.writeUInt16LE(NlFlag.request | NlFlag.dump, 6);
    message.writeUInt32LE(seq >>> 0, 8);
    message[HEADER] = family;
    if (filter !== null) {
      // Strict checking wants dst_len, src_len, tos, scope and flags zero.
      message[HEADER + 5] = filter.protocol;
      message[HEADER + 7] = filter.type;
      if (filter.table > 0) {
        message.writeUInt16LE(8, HEADER + RTMSG);
        message.writeUInt16LE(Rta.table, HEADER + RTMSG + 2);
        message.writeUInt32LE(filter.table >>> 0, HEADER + RTMSG + 4);
      }
    }
    return message;
  }
}

/** One netlink message inside a datagram. */
export interface NetlinkMessageView {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  /** Payload (after the 16-octet header), a view of the datagram. */
  readonly payload: Buffer;
}

/** Splits a datagram into its messages. */
export function splitMessages(datagram: Buffer): NetlinkMessageView[] {
  const messages: NetlinkMessageView[] = [];
  let at = 0;
  while (at + HEADER <= datagram.length) {
    const length = datagram.readUInt32LE(at);
    if (length < HEADER || at + length > datagram.length) break;
    messages.push({
      type: datagram.readUInt16LE(at + 4),
      flags: datagram.readUInt16LE(at + 6),
      seq: datagram.readUInt32LE(at + 8),
      payload: datagram.subarray(at + HEADER, at + length),
    });
    at += align(length);
  }
  return messages;
}

/** Attributes of a payload from `at`, by type (the last one of a type wins; the NLA_F_* bits cleared). */
export function parseAttributes(payload: Buffer, at: number): Map<number, Buffer> {
  const attributes = new Map<number, Buffer>();
  while (at + 4 <= payload.length) {
    const length = payload.readUInt16LE(at);
    if (length < 4 || at + length > payload.length) break;
    attributes.set(payload.readUInt16LE(at + 2) & 0x3fff, payload.subarray(at + 4, at + length));
    at += align(length);
  }
  return attributes;
}

/** NLMSG_ERROR payload: 0 is an ACK, otherwise a negative errno. */
export function errorCode(payload: Buffer): number {
  return payload.length >= 4 ? payload.readInt32LE(0) : 0;
}

/** A route from a dump or a notification, parsed once and not kept. */
export interface KernelRoute {
  family: number;
  prefixLength: number;
  table: number;
  protocol: number;
  type: number;
  metric: number;
  /** Destination bytes (zero-filled to 4 or 16). */
  destination: Uint8Array;
  /** Next hops (one for a plain route, several for multipath; none for blackhole or a device route). */
  nextHops: { gateway: Uint8Array | null; ifindex: number }[];
}

/**
 * The few fields of a route message needed to tell ours from others and
 * find its prefix, read without allocating (peekRoute).
 */
export interface RoutePeek {
  family: number;
  prefixLength: number;
  table: number;
  protocol: number;
  type: number;
  /** Destination as network-order words (1 or 4 used). */
  readonly words: Uint32Array;
}

/** An empty RoutePeek to reuse. */
export function routePeek(): RoutePeek {
  return { family: 0, prefixLength: 0, table: 0, protocol: 0, type: 0, words: new Uint32Array(4) };
}

/**
 * Reads a route message's payload (rtmsg and attributes) between `start`
 * and `end` of `buffer` into `out`. Returns false when it is too short.
 */
export function peekRoute(buffer: Buffer, out: RoutePeek, start = 0, end = buffer.length): boolean {
  if (end - start < RTMSG) return false;
  out.family = buffer[start] as number;
  out.prefixLength = buffer[start + 1] as number;
  out.table = buffer[start + 4] as number;
  out.protocol = buffer[start + 5] as number;
  out.type = buffer[start + 7] as number;
  out.words.fill(0);
  let at = start + RTMSG;
  while (at + 4 <= end) {
    const length = buffer.readUInt16LE(at);
    if (length < 4 || at + length > end) break;
    const type = buffer.readUInt16LE(at + 2) & 0x3fff;
    if (type === Rta.dst) {
      for (let w = 0; w * 4 + 4 <= length - 4 && w < 4; w++)
        out.words[w] = buffer.readUInt32BE(at + 4 + w * 4);
    } else if (type === Rta.table && length >= 8) {
      out.table = buffer.readUInt32LE(at + 4);
    }
    at += align(length);
  }
  return true;
}

/** Parses an RTM_NEWROUTE/RTM_DELROUTE payload. */
export function parseRoute(payload: Buffer): KernelRoute | null {
  if (payload.length < RTMSG) return null;
  const family = payload[0] as number;
  const size = family === AF_INET ? 4 : 16;
  const route: KernelRoute = {
    family,
    prefixLength: payload[1] as number,
    table: payload[4] as number,
    protocol: payload[5] as number,
    type: payload[7] as number,
    metric: 0,
    destination: new Uint8Array(size),
    nextHops: [],
  };
  let gateway: Uint8Array | null = null;
  let ifindex = 0;
  let at = RTMSG;
  while (at + 4 <= payload.length) {
    const length = payload.readUInt16LE(at);
    const type = payload.readUInt16LE(at + 2) & 0x3fff;
    if (length < 4 || at + length > payload.length) break;
    const value = payload.subarray(at + 4, at + length);
    switch (type) {
      case Rta.dst:
        route.destination.set(value.subarray(0, size));
        break;
      case Rta.gateway:
        gateway = Uint8Array.from(value);
        break;
      case Rta.oif:
        ifindex = value.readUInt32LE(0);
        break;
      case Rta.priority:
        route.metric = value.readUInt32LE(0);
        break;
      case Rta.table:
        route.table = value.readUInt32LE(0);
        break;
      case Rta.multipath: {
        let hopAt = 0;
        while (hopAt + 8 <= value.length) {
          const hopLength = value.readUInt16LE(hopAt);
          if (hopLength < 8 || hopAt + hopLength > value.length) break;
          const hopIfindex = value.readInt32LE(hopAt + 4);
          let hopGateway: Uint8Array | null = null;
          let attrAt = hopAt + 8;
          while (attrAt + 4 <= hopAt + hopLength) {
            const attrLength = value.readUInt16LE(attrAt);
            if (attrLength < 4) break;
            if ((value.readUInt16LE(attrAt + 2) & 0x3fff) === Rta.gateway) {
              hopGateway = Uint8Array.from(value.subarray(attrAt + 4, attrAt + attrLength));
            }
            attrAt += align(attrLength);
          }
          route.nextHops.push({ gateway: hopGateway, ifindex: hopIfindex });
          hopAt += align(hopLength);
        }
        break;
      }
      default:
        break;
    }
    at += align(length);
  }
  if (route.nextHops.length === 0 && (gateway !== null || ifindex !== 0))
    route.nextHops.push({ gateway, ifindex });
  return route;
}

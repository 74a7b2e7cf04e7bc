// The received-TTL check of RFC 5881 §5 (single-hop: only 255) and RFC 5883
// §5 (multihop: at least 256 minus the configured hop count), done by the
// kernel. Linux applies IP_MINTTL and IPV6_MINHOPCOUNT to TCP only (a probe in
// namespaces: a UDP datagram sent with TTL 254 still reached a socket with
// IP_MINTTL 255), and Node's dgram cannot read IP_RECVTTL ancillary data. A
// classic BPF socket filter can: it loads the TTL (hop limit) from the
// network header (SKF_NET_OFF) and drops the datagram before it is queued.

import { loadLibc, type SockFilter } from '../net/libc.js';

const BPF_LD_B_ABS = 0x30;
const BPF_JMP_JGE_K = 0x35;
const BPF_RET_K = 0x06;
/** SKF_NET_OFF (<linux/filter.h>): offsets from here are relative to the IP header. */
const SKF_NET_OFF = -0x100000;
/** IPv4 TTL is octet 8 of the header; IPv6 Hop Limit is octet 7. */
const TTL_OFFSET: Readonly<Record<4 | 6, number>> = { 4: 8, 6: 7 };

/** Accept datagrams whose TTL (hop limit) is at least `minimumTtl`, drop the rest. */
export function minimumTtlProgram(family: 4 | 6, minimumTtl: number): SockFilter[] {
  return [
    { code: BPF_LD_B_ABS, jt: 0, jf: 0, k: (SKF_NET_OFF + TTL_OFFSET[family]) >>> 0 },
    { code: BPF_JMP_JGE_K, jt: 0, jf: 1, k: minimumTtl },
    { code: BPF_RET_K, jt: 0, jf: 0, k: 0xffffffff },
    { code: BPF_RET_K, jt: 0, jf: 0, k: 0 },
  ];
}

/** The minimum TTL for a session `hops` away: 255 for one hop (RFC 5881 §5). */
export function minimumTtlFor(hops: number): number {
  return 256 - Math.max(1, Math.min(hops, 255));
}

/** Attaches (or replaces) the filter on a UDP socket's descriptor; throws with the errno. */
export function attachMinimumTtl(fd: number, family: 4 | 6, minimumTtl: number): void {
  const c = loadLibc();
  if (c.attachFilter(fd, minimumTtlProgram(family, minimumTtl)) !== 0)
    throw new Error(`setsockopt(SO_ATTACH_FILTER) for the TTL check failed: errno ${c.errno()}`);
}

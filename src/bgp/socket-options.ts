// TCP MD5 signatures (RFC 2385, Linux TCP_MD5SIG) and GTSM (RFC 5082,
// IP_TTL/IP_MINTTL and their IPv6 counterparts) on Node sockets. The MD5 key
// is a 216-octet struct, beyond what integer setsockopt wrappers can pass, so
// libc's setsockopt is called through koffi (FFI, prebuilt).
//
// Active side: the key must be on the socket before connect() so the SYN is
// signed, hence socket() through libc and `new net.Socket({ fd })`.
// Passive side: keys go on the listening socket, one per neighbor address.

import type net from 'node:net';
import { parseIpv4, parseIpv6 } from '../net/ip.js';
import { loadLibc, setIntOption } from '../net/libc.js';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_IP = 0;
const IPPROTO_TCP = 6;
const IPPROTO_IPV6 = 41;
const IP_TTL = 2;
const IP_MINTTL = 21;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MINHOPCOUNT = 73;
const TCP_MD5SIG = 14;
/** Linux 4.13: the struct's flags select a prefix (TCP_MD5SIG_FLAG_PREFIX) instead of one address. */
const TCP_MD5SIG_EXT = 32;
const TCP_MD5SIG_FLAG_PREFIX = 1;
/** struct tcp_md5sig: sockaddr_storage (128), flags, prefixlen, keylen (2), ifindex (4), key[80]. */
const TCP_MD5SIG_SIZE = 216;
export const TCP_MD5SIG_MAXKEYLEN = 80;

export class SocketOptionError extends Error {}

/** The file descriptor behind a net.Socket or net.Server (Node keeps it on the internal handle). */
export function descriptorOf(handleOwner: net.Socket | net.Server): number {
  const handle = (handleOwner as unknown as { _handle?: { fd?: number } })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new SocketOptionError('socket has no file descriptor yet');
  return fd;
}

function setInt(fd: number, level: number, name: number, value: number, what: string): void {
  try {
    setIntOption(fd, level, name, value, what);
  } catch (error) {
    throw new SocketOptionError((error as Error).message);
  }
}

/**
 * Sets (or with an empty key, removes) the TCP MD5 key for `peerAddress` on
 * `fd` (RFC 2385). Keys are at most 80 octets (TCP_MD5SIG_MAXKEYLEN).
 * `peerAddress` may be a prefix ("10.0.0.0/24"): one key for every address in
 * it (a listen range of dynamic neighbors), through TCP_MD5SIG_EXT.
 */
export function setMd5Key(fd: number, peerAddress: string, key: string): void {
  const slash = peerAddress.indexOf('/');
  const address = slash < 0 ? peerAddress : peerAddress.slice(0, slash);
  const prefixLength = slash < 0 ? null : Number(peerAddress.slice(slash + 1));
  const keyBytes = Buffer.from(key, 'utf8');
  if (keyBytes.length > TCP_MD5SIG_MAXKEYLEN) {
    throw new SocketOptionError(
      `TCP MD5 password is ${keyBytes.length} octets, the kernel allows ${TCP_MD5SIG_MAXKEYLEN}`,
    );
  }
  const struct = Buffer.alloc(TCP_MD5SIG_SIZE);
  const v4 = parseIpv4(address);
  if (v4 !== null) {
    struct.writeUInt16LE(AF_INET, 0); // sin_family (host order)
    struct.writeUInt32BE(v4, 4); // sin_addr
  } else {
    const v6 = parseIpv6(address);
    if (v6 === null) throw new SocketOptionError(`not an IP address: ${peerAddress}`);
    struct.writeUInt16LE(AF_INET6, 0); // sin6_family
    Buffer.from(v6).copy(struct, 8); // sin6_addr
  }
  if (prefixLength !== null) {
    struct.writeUInt8(TCP_MD5SIG_FLAG_PREFIX, 128); // tcpm_flags
    struct.writeUInt8(prefixLength, 129); // tcpm_prefixlen
  }
  struct.writeUInt16LE(keyBytes.length, 130); // tcpm_keylen
  keyBytes.copy(struct, 136); // tcpm_key
  const c = loadLibc();
  const option = prefixLength === null ? TCP_MD5SIG : TCP_MD5SIG_EXT;
  if (c.setsockopt(fd, IPPROTO_TCP, option, struct, TCP_MD5SIG_SIZE) !== 0) {
    throw new SocketOptionError(`setsockopt(TCP_MD5SIG) for ${peerAddress} failed: errno ${c.errno()}`);
  }
}

/**
 * RFC 5082 GTSM for a directly connected peer: send with TTL (hop limit)
 * 255 and accept only segments that arrive with 254 or more (one hop).
 */
export function setGtsm(fd: number, family: 4 | 6, hops = 1): void {
  const minimum = 256 - hops;
  if (family === 4) {
    setInt(fd, IPPROTO_IP, IP_TTL, 255, 'IP_TTL');
    setInt(fd, IPPROTO_IP, IP_MINTTL, minimum, 'IP_MINTTL');
  } else {
    setInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, 'IPV6_UNICAST_HOPS');
    setInt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, minimum, 'IPV6_MINHOPCOUNT');
  }
}

/**
 * RFC 5082 §3 on a listening socket: send with TTL (hop limit) 255, so the
 * SYN-ACK already passes a GTSM peer's minimum-TTL check. The minimum for
 * what we accept is set per accepted socket (setGtsm), since neighbors
 * without GTSM share the listener.
 */
export function setListenerTtl(fd: number, family: 4 | 6): void {
  if (family === 4) setInt(fd, IPPROTO_IP, IP_TTL, 255, 'IP_TTL');
  else setInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, 'IPV6_UNICAST_HOPS');
}

/** A non-blocking TCP socket made through libc, for options that must precede connect(). */
export function rawTcpSocket(family: 4 | 6): number {
  const c = loadLibc();
  const fd = c.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SocketOptionError(`socket() failed: errno ${c.errno()}`);
  return fd;
}

export function closeDescriptor(fd: number): void {
  loadLibc().close(fd);
}

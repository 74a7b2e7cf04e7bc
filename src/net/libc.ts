// libc through koffi (FFI, prebuilt): the socket options Node has no API
// for (TCP MD5 keys, GTSM, netlink flags, socket filters). Loaded on first
// use, so nothing pays for it unless it is needed.

import { createRequire } from 'node:module';

/** struct sock_filter (classic BPF), as in <linux/filter.h>. */
export interface SockFilter {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

export interface Libc {
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  /** setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, struct sock_fprog) with the program marshalled by koffi. */
  attachFilter(fd: number, program: readonly SockFilter[]): number;
  socket(domain: number, type: number, protocol: number): number;
  /** sendto(2) of one datagram to `address` (a struct sockaddr of `address.length` octets). */
  sendto(fd: number, data: Buffer, flags: number, address: Buffer): number;
  close(fd: number): number;
  errno(): number;
}

const SOL_SOCKET = 1;
const SO_ATTACH_FILTER = 26;

let libc: Libc | null = null;

export function loadLibc(): Libc {
  if (libc !== null) return libc;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as {
    load(path: string): { func(signature: string): (...args: unknown[]) => number };
    struct(name: string, fields: Record<string, unknown>): unknown;
    pointer(type: unknown): unknown;
    sizeof(type: unknown): number;
    errno(): number;
  };
  const lib = koffi.load('libc.so.6');
  const setsockopt = lib.func(
    'int setsockopt(int fd, int level, int optname, const void *optval, uint32_t optlen)',
  );
  const filterType = koffi.struct('sock_filter', { code: 'uint16', jt: 'uint8', jf: 'uint8', k: 'uint32' });
  const programType = koffi.struct('sock_fprog', { len: 'uint16', filter: koffi.pointer(filterType) });
  const setsockoptProgram = lib.func(
    'int setsockopt(int fd, int level, int optname, const sock_fprog *optval, uint32_t optlen)',
  );
  const programSize = koffi.sizeof(programType);
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const close = lib.func('int close(int fd)');
  const sendto = lib.func(
    'long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)',
  );
  libc = {
    setsockopt: (fd, level, name, value, length) => setsockopt(fd, level, name, value, length),
    attachFilter: (fd, program) =>
      setsockoptProgram(
        fd,
        SOL_SOCKET,
        SO_ATTACH_FILTER,
        { len: program.length, filter: program },
        programSize,
      ),
    socket: (domain, type, protocol) => socket(domain, type, protocol),
    sendto: (fd, data, flags, address) => sendto(fd, data, data.length, flags, address, address.length),
    close: (fd) => close(fd),
    errno: () => koffi.errno(),
  };
  return libc;
}

/** setsockopt with a 32-bit integer value; throws with the errno. */
export function setIntOption(fd: number, level: number, name: number, value: number, what: string): void {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value);
  const c = loadLibc();
  if (c.setsockopt(fd, level, name, buffer, 4) !== 0) {
    throw new Error(`setsockopt(${what}=${value}) failed: errno ${c.errno()}`);
  }
}

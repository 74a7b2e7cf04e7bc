// Netlink socket options the npm `netlink` package has no API for, set on
// its sockets through libc:
//
// - NETLINK_NO_ENOBUFS. A netlink socket whose receive queue overflows gets
//   sk_err = ENOBUFS, which libuv reports as POLLERR, and the package's poll
//   handler then throws from native code (it builds its error with a null
//   syscall name): the process aborts. A kernel busy with a million routes
//   overflows a route monitor easily. With the flag the kernel drops the
//   message and counts it (the Drops column of /proc/net/netlink), which we
//   poll instead (netlinkDrops) and answer with a full reconcile.
// - A socket filter on the monitor that drops the notifications our own
//   writes cause. The kernel stamps a change notification with the port id
//   of the socket whose request made it (nlmsg_pid; rtmsg_fib(),
//   inet6_rt_notify()), so echoes of the command socket are dropped in the
//   kernel: a million routes written is not a million messages read back,
//   and a hand edit (another port id) always gets through.
// - NETLINK_GET_STRICT_CHK on the command socket: the kernel then honours
//   the table, protocol and type in a dump request and sends only those
//   routes, instead of every route of the family for us to skip.
//
// The package does not expose file descriptors either: a socket's is found
// from its port id (/proc/self/net/netlink: port -> inode) and the inode
// (/proc/self/fd: socket:[inode]).

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import { loadLibc, type SockFilter, setIntOption } from '../net/libc.js';

const SOL_NETLINK = 270;
const NETLINK_NO_ENOBUFS = 5;
const NETLINK_GET_STRICT_CHK = 12;

// Classic BPF opcodes (<linux/bpf_common.h>).
const BPF_LD_W_ABS = 0x20;
const BPF_JMP_JEQ_K = 0x15;
const BPF_RET_K = 0x06;
/** nlmsghdr: len (4), type (2), flags (2), seq (4), pid (4). */
const NLMSG_PID_OFFSET = 12;

interface NetlinkRow {
  readonly inode: number;
  readonly drops: number;
}

/** Rows of /proc/self/net/netlink (this process's network namespace) by port id. */
export function netlinkTable(): Map<number, NetlinkRow> {
  const rows = new Map<number, NetlinkRow>();
  const lines = readFileSync('/proc/self/net/netlink', 'utf8').split('\n');
  const header = (lines[0] ?? '').trim().split(/\s+/);
  const pidColumn = header.indexOf('Pid');
  const dropsColumn = header.indexOf('Drops');
  const inodeColumn = header.indexOf('Inode');
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length <= inodeColumn) continue;
    rows.set(Number(fields[pidColumn]), {
      inode: Number(fields[inodeColumn]),
      drops: Number(fields[dropsColumn]),
    });
  }
  return rows;
}

/** The file descriptor of this process's netlink socket bound to `port`. */
export function netlinkDescriptor(port: number): number {
  const row = netlinkTable().get(port);
  if (row === undefined) throw new Error(`no netlink socket with port id ${port} in /proc/self/net/netlink`);
  const target = `socket:[${row.inode}]`;
  for (const entry of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${entry}`) === target) return Number(entry);
    } catch {
      // The descriptor closed while we looked (readdir's own, for one).
    }
  }
  throw new Error(`no descriptor for netlink socket inode ${row.inode}`);
}

/** Messages the kernel dropped for the socket bound to `port` since it was opened. */
export function netlinkDrops(port: number): number {
  return netlinkTable().get(port)?.drops ?? 0;
}

export function setNoEnobufs(fd: number): void {
  setIntOption(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, 1, 'NETLINK_NO_ENOBUFS');
}

export function setStrictChecking(fd: number): void {
  setIntOption(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1, 'NETLINK_GET_STRICT_CHK');
}

/** The filter program: drop messages whose nlmsg_pid is `port`, accept the rest. */
export function dropFromPortProgram(port: number): SockFilter[] {
  // BPF loads are big-endian; nlmsg_pid is in host order (little-endian here).
  const swapped = Buffer.alloc(4);
  if (endianness() === 'LE') swapped.writeUInt32LE(port >>> 0);
  else swapped.writeUInt32BE(port >>> 0);
  const asLoaded = swapped.readUInt32BE(0);
  return [
    { code: BPF_LD_W_ABS, jt: 0, jf: 0, k: NLMSG_PID_OFFSET },
    { code: BPF_JMP_JEQ_K, jt: 0, jf: 1, k: asLoaded },
    { code: BPF_RET_K, jt: 0, jf: 0, k: 0 },
    { code: BPF_RET_K, jt: 0, jf: 0, k: 0xffffffff },
  ];
}

export function dropMessagesFromPort(fd: number, port: number): void {
  const c = loadLibc();
  if (c.attachFilter(fd, dropFromPortProgram(port)) !== 0) {
    throw new Error(`setsockopt(SO_ATTACH_FILTER) failed: errno ${c.errno()}`);
  }
}

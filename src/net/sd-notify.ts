// sd_notify(3) without libsystemd: one datagram of "KEY=VALUE" lines to the
// unix socket systemd names in $NOTIFY_SOCKET (Type=notify). Node has no
// unix datagram sockets, so it goes through libc (koffi, as the socket
// options do). Sent by the agent's own process, not a `systemd-notify`
// child: with NotifyAccess=main systemd accepts only the main PID, and a
// child that exits at once races systemd identifying it.

import { loadLibc } from './libc.js';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
/** No SIGPIPE if systemd went away: an error return instead. */
const MSG_NOSIGNAL = 0x4000;
/** sizeof(sun_path) in struct sockaddr_un. */
const SUN_PATH_OCTETS = 108;

/**
 * $NOTIFY_SOCKET as a struct sockaddr_un: "/path" (NUL-terminated) or
 * "@name" (abstract: a leading NUL, no terminator). Null for anything else
 * (empty, relative, too long, or a vsock address we do not speak).
 */
export function notifyAddress(text: string): Buffer | null {
  const abstract = text.startsWith('@');
  if (!abstract && !text.startsWith('/')) return null;
  const name = Buffer.from(abstract ? text.slice(1) : text, 'utf8');
  // Both forms spend one octet on the NUL (leading or trailing).
  if (name.length + 1 > SUN_PATH_OCTETS) return null;
  const family = Buffer.alloc(2);
  family.writeUInt16LE(AF_UNIX);
  const nul = Buffer.alloc(1);
  return Buffer.concat(abstract ? [family, nul, name] : [family, name, nul]);
}

export type NotifyOutcome = 'sent' | 'not-under-systemd' | { readonly error: string };

/** Sends `state` ("READY=1\nSTATUS=...") when run under Type=notify; never throws. */
export function sdNotify(state: string, env: NodeJS.ProcessEnv = process.env): NotifyOutcome {
  const socketText = env.NOTIFY_SOCKET;
  if (socketText === undefined || socketText === '') return 'not-under-systemd';
  const address = notifyAddress(socketText);
  if (address === null) return { error: `NOTIFY_SOCKET ${socketText} is not a unix socket path` };
  try {
    const libc = loadLibc();
    const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return { error: `socket(AF_UNIX) failed: errno ${libc.errno()}` };
    try {
      const data = Buffer.from(state, 'utf8');
      if (libc.sendto(fd, data, MSG_NOSIGNAL, address) !== data.length)
        return { error: `sendto ${socketText} failed: errno ${libc.errno()}` };
    } finally {
      libc.close(fd);
    }
    return 'sent';
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

// The UDP sockets of BFD (RFC 5881 §4-5, RFC 5883 §5): receiving sockets on
// the well-known ports with the kernel TTL check (ttl-filter.ts), and a
// session's sending socket on a port of its own in 49152-65535, TTL 255.

import dgram from 'node:dgram';
import { SINGLE_HOP_TTL, SOURCE_PORT_MAX, SOURCE_PORT_MIN } from './iana.js';
import { attachMinimumTtl } from './ttl-filter.js';

export interface Receiver {
  readonly socket: dgram.Socket;
  readonly family: 4 | 6;
  /** The TTL (hop limit) below which the kernel drops datagrams. */
  minimumTtl: number;
}

function createSocket(family: 4 | 6): dgram.Socket {
  // IPv6 only on the v6 socket: IPv4-mapped addresses would bypass the v4 filter.
  return dgram.createSocket(family === 4 ? { type: 'udp4' } : { type: 'udp6', ipv6Only: true });
}

function bind(socket: dgram.Socket, address: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** A receiving socket on `address`:`port` that only sees datagrams with TTL >= minimumTtl. */
export async function openReceiver(
  family: 4 | 6,
  address: string,
  port: number,
  minimumTtl: number,
): Promise<Receiver> {
  const socket = createSocket(family);
  try {
    await bind(socket, address, port);
    const receiver: Receiver = { socket, family, minimumTtl: -1 };
    setMinimumTtl(receiver, minimumTtl);
    return receiver;
  } catch (error) {
    socket.close();
    throw error;
  }
}

/** Replaces the receiver's TTL filter when the minimum changed. */
export function setMinimumTtl(receiver: Receiver, minimumTtl: number): void {
  if (receiver.minimumTtl === minimumTtl) return;
  attachMinimumTtl(descriptorOf(receiver.socket), receiver.family, minimumTtl);
  receiver.minimumTtl = minimumTtl;
}

/**
 * A sending socket on a free port of 49152-65535 (RFC 5881 §4: the same
 * source port for the whole session), sending with TTL 255 (§5, RFC 5883 §5).
 */
export async function openSourceSocket(
  family: 4 | 6,
  localAddress: string | null,
  random: () => number,
): Promise<dgram.Socket> {
  const span = SOURCE_PORT_MAX - SOURCE_PORT_MIN + 1;
  let lastError: Error | null = null;
  for (let attempt = 0; attempt < 32; attempt++) {
    const port = SOURCE_PORT_MIN + Math.floor(random() * span);
    const socket = createSocket(family);
    try {
      await bind(socket, localAddress ?? (family === 4 ? '0.0.0.0' : '::'), port);
    } catch (error) {
      lastError = error as Error;
      socket.close();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw error;
    }
    socket.setTTL(SINGLE_HOP_TTL);
    // Replies come to the well-known port; anything here is not ours to read.
    socket.on('message', () => undefined);
    return socket;
  }
  throw new Error(`no free BFD source port: ${lastError?.message ?? 'unknown'}`);
}

/** The descriptor behind a bound dgram socket (Node keeps it in its internal state). */
function descriptorOf(socket: dgram.Socket): number {
  const internals = socket as unknown as Record<symbol, { handle?: { fd?: number } } | undefined>;
  const symbol = Object.getOwnPropertySymbols(internals).find((s) => s.description === 'state symbol');
  const fd = symbol === undefined ? undefined : internals[symbol]?.handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('UDP socket has no file descriptor');
  return fd;
}

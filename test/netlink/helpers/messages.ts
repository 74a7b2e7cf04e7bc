// Netlink replies as the kernel sends them, built by hand (the layout of
// linux/netlink.h), and a command sink that records what a part sends.
import { bytesToAddress } from '../../../src/netlink/kernel-view.js';
import { NlMsgType, parseRoute, splitMessages } from '../../../src/netlink/rtnetlink.js';
import type { CommandSink } from '../../../src/netlink/types.js';

const NLM_F_MULTI = 0x2;

function header(length: number, type: number, flags: number, seq: number): Buffer {
  const b = Buffer.alloc(length);
  b.writeUInt32LE(length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq >>> 0, 8);
  return b;
}

/** NLMSG_ERROR: `code` 0 is an ACK, otherwise a negative errno; followed by the request's header. */
export function errorReply(seq: number, code: number): Buffer {
  const b = header(16 + 4 + 16, NlMsgType.error, 0, seq);
  b.writeInt32LE(code, 16);
  b.writeUInt32LE(16, 20);
  b.writeUInt32LE(seq >>> 0, 28);
  return b;
}

/** NLMSG_DONE ending a dump, with the dump's error (0, or a negative errno). */
export function done(seq: number, code = 0, flags = NLM_F_MULTI): Buffer {
  const b = header(20, NlMsgType.done, flags, seq);
  b.writeInt32LE(code, 16);
  return b;
}

/** The same messages with another sequence number (a capture's, moved to the dump under test). */
export function withSeq(datagram: Buffer, seq: number, extraFlags = 0): Buffer {
  const copy = Buffer.from(datagram);
  let at = 0;
  while (at + 16 <= copy.length) {
    const length = copy.readUInt32LE(at);
    copy.writeUInt32LE(seq >>> 0, at + 8);
    copy.writeUInt16LE(copy.readUInt16LE(at + 6) | extraFlags, at + 6);
    at += (length + 3) & ~3;
  }
  return copy;
}

export function concat(...datagrams: Buffer[]): Buffer {
  return Buffer.concat(datagrams);
}

/** One message as a test reads it back. */
export interface SentMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  /** "10.233.2.0/24 via 10.98.0.2@2" / "blackhole 10.233.4.0/24" / "del 10.233.2.0/24"; null for non-routes. */
  readonly route: string | null;
}

export function describeMessages(datagram: Uint8Array): SentMessage[] {
  const buffer = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  return splitMessages(buffer).map((m) => {
    let route: string | null = null;
    if (m.type === NlMsgType.newRoute || m.type === NlMsgType.delRoute) {
      const r = parseRoute(m.payload);
      if (r !== null) {
        const prefix = `${bytesToAddress(r.destination)}/${r.prefixLength}`;
        if (m.type === NlMsgType.delRoute) route = `del ${prefix}`;
        else if (r.type === 6) route = `blackhole ${prefix}`;
        else
          route = `${prefix} via ${r.nextHops
            .map((h) => `${h.gateway === null ? '-' : bytesToAddress(h.gateway)}@${h.ifindex}`)
            .join(',')}`;
      }
    }
    return { type: m.type, flags: m.flags, seq: m.seq, route };
  });
}

/** Records what is sent; `canSend` is up to the test. */
export class RecordingSink implements CommandSink {
  readonly sent: Uint8Array[] = [];
  canSend = true;

  send(datagram: Uint8Array): void {
    this.sent.push(datagram);
  }

  /** Every message sent so far, in order, and forgets them. */
  take(): SentMessage[] {
    const out = this.sent.flatMap((d) => describeMessages(d));
    this.sent.length = 0;
    return out;
  }
}

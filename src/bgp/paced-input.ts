// A session's received octets, framed into messages and handed on a few at
// a time. libuv reads up to 64 KiB per read; a chunk of a full-table burst
// holds some 16 UPDATEs of a thousand prefixes each, 15-20 ms of decoding
// and RIB work. Checking the turn's input share only between chunks let one
// turn spend 20-100 ms on input alone, and a control request, which needs
// two or three turns, waited 150-200 ms. Checking between messages bounds a
// turn's input to its share plus one message (about 1 ms).
//
// Order is kept: the messages of a chunk wait here, the socket paused, until
// the next turn takes them, before any later chunk is read.

import type { BgpError } from './codec/errors.js';
import { MessageFramer } from './codec/header.js';

/** What drain() left: nothing, messages for a later turn, a stop asked by the receiver, or a framing error. */
export type DrainOutcome = 'empty' | 'more' | 'stopped' | BgpError;

export class PacedInput {
  private readonly framer: MessageFramer;
  private backlog: Uint8Array[] = [];
  private next = 0;
  /** The framing error met after the queued messages: reported once they are through. */
  private framingError: BgpError | null = null;

  constructor(
    maxMessageLength: number,
    /** True when this turn's input share is used up (src/bgp/input-pacer.ts). */
    private readonly sliceSpent: () => boolean,
  ) {
    this.framer = new MessageFramer(maxMessageLength);
  }

  /** RFC 8654: the limit rises once Extended Message is negotiated. */
  setMaxMessageLength(length: number): void {
    this.framer.setMaxMessageLength(length);
  }

  /** Messages framed but not yet handed on. */
  get queued(): number {
    return this.backlog.length - this.next;
  }

  /** Frames a chunk; its messages queue behind those not yet handed on. */
  push(chunk: Uint8Array): void {
    if (this.framingError !== null) return;
    const framed = this.framer.push(chunk);
    if (!Array.isArray(framed)) {
      this.framingError = framed;
      return;
    }
    if (this.next === this.backlog.length) {
      this.backlog = framed;
      this.next = 0;
    } else {
      for (const message of framed) this.backlog.push(message);
    }
  }

  /**
   * Hands queued messages to `deliver` in order, until none is left, or
   * (when `paced`) this turn's input share is spent, or `deliver` returns
   * false (the connection it was for is gone).
   */
  drain(deliver: (message: Uint8Array) => boolean, paced: boolean): DrainOutcome {
    while (this.next < this.backlog.length) {
      if (paced && this.sliceSpent()) return 'more';
      const message = this.backlog[this.next] as Uint8Array;
      this.next++;
      if (!deliver(message)) {
        this.clear();
        return 'stopped';
      }
    }
    this.backlog = [];
    this.next = 0;
    return this.framingError ?? 'empty';
  }

  /** Drops what is queued (the connection went). */
  clear(): void {
    this.backlog = [];
    this.next = 0;
  }
}

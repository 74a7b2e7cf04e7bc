// Route dumps (RTM_GETROUTE with NLM_F_DUMP) over the command channel. The
// kernel runs one dump per socket at a time (a second one gets EBUSY), so
// dumps queue here and run in turn. Replies are told apart from the
// answers to our writes by sequence number.
//
// A dump can be hundreds of thousands of routes (a full table of ours, or
// another daemon's), and the worker hands its datagrams over faster than
// they are read: were they read as they arrive, the event loop would be
// busy with one dump for a second or more, and a notification (a hand
// deletion to repair) would wait behind it. So the kernel is asked for
// only the routes wanted (DumpFilter, when it does strict checking), each
// route is peeked at (no allocation) before it is parsed, and datagrams
// are read a few milliseconds' worth per turn of the event loop.

import {
  align,
  type DumpFilter,
  type KernelRoute,
  NETLINK_HEADER_BYTES,
  NlFlag,
  NlMsgType,
  parseRoute,
  peekRoute,
  RouteMessageWriter,
  type RoutePeek,
  routePeek,
} from './rtnetlink.js';
import type { CommandSink } from './types.js';

export interface DumpVisitor {
  /** Whether to parse this route; `peek` is reused, valid during the call only. */
  wants(peek: RoutePeek): boolean;
  route(route: KernelRoute): void;
}

interface PendingDump {
  readonly visitor: DumpVisitor;
  readonly resolve: (consistent: boolean) => void;
  readonly reject: (error: Error) => void;
  interrupted: boolean;
}

/** Dump sequence numbers: apart from writes (prefix ids, SEQ_V6) and markers (SEQ_MARKER). */
const SEQ_DUMP = 0x30000000;
/** Reading replies stops for the turn after this long: notifications get the event loop in between. */
const READ_SLICE_MS = 4;
/** -ENOENT at the end of a dump filtered by table: the table does not exist, so it has no routes. */
const ENOENT = -2;
/** Put in the inbox in place of a datagram read, so that it can be collected before the inbox is done. */
const EMPTY = Buffer.alloc(0);

export class RouteDumps {
  private sink: CommandSink | null = null;
  private readonly pending = new Map<number, PendingDump>();

  /** A dump is under way (its visitors hold prefix ids). */
  get busy(): boolean {
    return this.pending.size > 0;
  }
  private dumpSeq = 0;
  /** The dump under way (or the last one): the next starts after it. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Datagrams of dump replies not read yet, oldest first. */
  private inbox: Buffer[] = [];
  private inboxStart = 0;
  private reading = false;
  private readonly peek = routePeek();

  /** `now` (milliseconds) times the read slices; tests give their own clock. */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Reads the inbox at the next turn of the event loop. */
  private readonly readSoon = (): void => {
    this.reading = false;
    this.readSlice();
  };

  attach(sink: CommandSink | null): void {
    this.sink = sink;
  }

  /**
   * Streams a route dump of one family (AF_INET, AF_INET6) through
   * `visitor`, after any dump already under way. Resolves to false when the
   * kernel flagged the dump as interrupted by changes (NLM_F_DUMP_INTR: it
   * may have missed or repeated routes); rejects when the kernel refused it.
   * The filter narrows what the kernel sends; the visitor still decides.
   */
  dump(af: number, visitor: DumpVisitor, filter: DumpFilter | null = null): Promise<boolean> {
    const run = (): Promise<boolean> => {
      const sink = this.sink;
      if (sink === null) return Promise.resolve(true);
      this.dumpSeq = (this.dumpSeq + 1) & 0x0fffffff;
      const seq = (SEQ_DUMP | this.dumpSeq) >>> 0;
      return new Promise((resolve, reject) => {
        this.pending.set(seq, { visitor, resolve, reject, interrupted: false });
        sink.send(RouteMessageWriter.dumpRequest(af, seq, filter));
      });
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * A dump that is complete and consistent: repeated (up to three times)
   * while the kernel says it was interrupted; `start` runs before each
   * attempt (to forget what the last one saw).
   */
  async consistent(
    af: number,
    start: () => void,
    visitor: DumpVisitor,
    filter: DumpFilter | null = null,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      start();
      if ((await this.dump(af, visitor, filter)) || attempt === 3) return;
    }
  }

  /** Takes a datagram from the command socket if it answers a dump; false when it is not ours. */
  receive(datagram: Buffer): boolean {
    if (datagram.length < NETLINK_HEADER_BYTES || !this.pending.has(datagram.readUInt32LE(8))) return false;
    this.inbox.push(datagram);
    if (!this.reading) {
      this.reading = true;
      setImmediate(this.readSoon);
    }
    return true;
  }

  /** Reads queued replies for up to READ_SLICE_MS, then lets the event loop go round. */
  private readSlice(): void {
    const started = this.now();
    while (this.inboxStart < this.inbox.length) {
      const datagram = this.inbox[this.inboxStart] as Buffer;
      this.inbox[this.inboxStart++] = EMPTY;
      this.read(datagram);
      if (this.now() - started >= READ_SLICE_MS) break;
    }
    if (this.inboxStart < this.inbox.length) {
      this.reading = true;
      setImmediate(this.readSoon);
    } else {
      this.inbox = [];
      this.inboxStart = 0;
    }
  }

  private read(datagram: Buffer): void {
    let at = 0;
    while (at + NETLINK_HEADER_BYTES <= datagram.length) {
      const length = datagram.readUInt32LE(at);
      if (length < NETLINK_HEADER_BYTES || at + length > datagram.length) break;
      const type = datagram.readUInt16LE(at + 4);
      const flags = datagram.readUInt16LE(at + 6);
      const seq = datagram.readUInt32LE(at + 8);
      const payloadAt = at + NETLINK_HEADER_BYTES;
      const end = at + length;
      at += align(length);
      const dump = this.pending.get(seq);
      if (dump === undefined) continue;
      if ((flags & NlFlag.dumpInterrupted) !== 0) dump.interrupted = true;
      if (type === NlMsgType.newRoute) {
        if (peekRoute(datagram, this.peek, payloadAt, end) && dump.visitor.wants(this.peek)) {
          const route = parseRoute(datagram.subarray(payloadAt, end));
          if (route !== null) dump.visitor.route(route);
        }
        continue;
      }
      if (type !== NlMsgType.error && type !== NlMsgType.done) continue;
      // NLMSG_ERROR: refused at the start; NLMSG_DONE carries the dump's own error (0: none).
      const code = end - payloadAt >= 4 ? datagram.readInt32LE(payloadAt) : 0;
      this.pending.delete(seq);
      if (type === NlMsgType.done && (code === 0 || code === ENOENT)) dump.resolve(!dump.interrupted);
      else dump.reject(new Error(`kernel: route dump refused: errno ${-code}`));
    }
  }
}

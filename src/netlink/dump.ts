// Route dumps (RTM_GETROUTE with NLM_F_DUMP) over the command channel. The
// kernel runs one dump per socket at a time (a second one gets EBUSY), so
// dumps queue here and run in turn. Replies are told apart from the
// answers to our writes by sequence number. Each route is first peeked at
// (no allocation) and parsed only if the visitor wants it: a dump can carry
// hundreds of thousands of other protocols' routes.

import {
  align,
  errorCode,
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

export class RouteDumps {
  private sink: CommandSink | null = null;
  private readonly pending = new Map<number, PendingDump>();
  private dumpSeq = 0;
  /** The dump under way (or the last one): the next starts after it. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly peek = routePeek();

  attach(sink: CommandSink | null): void {
    this.sink = sink;
  }

  /**
   * Streams a route dump of one family (AF_INET, AF_INET6) through
   * `visitor`, after any dump already under way. Resolves to false when the
   * kernel flagged the dump as interrupted by changes (NLM_F_DUMP_INTR: it
   * may have missed or repeated routes); rejects when the kernel refused it.
   */
  dump(af: number, visitor: DumpVisitor): Promise<boolean> {
    const run = (): Promise<boolean> => {
      const sink = this.sink;
      if (sink === null) return Promise.resolve(true);
      this.dumpSeq = (this.dumpSeq + 1) & 0x0fffffff;
      const seq = (SEQ_DUMP | this.dumpSeq) >>> 0;
      return new Promise((resolve, reject) => {
        this.pending.set(seq, { visitor, resolve, reject, interrupted: false });
        sink.send(RouteMessageWriter.dumpRequest(af, seq));
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
  async consistent(af: number, start: () => void, visitor: DumpVisitor): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      start();
      if ((await this.dump(af, visitor)) || attempt === 3) return;
    }
  }

  /** Takes a datagram from the command socket if it answers a dump; false when it is not ours. */
  receive(datagram: Buffer): boolean {
    if (datagram.length < NETLINK_HEADER_BYTES || !this.pending.has(datagram.readUInt32LE(8))) return false;
    this.process(datagram);
    return true;
  }

  private process(datagram: Buffer): void {
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
      } else if (type === NlMsgType.error) {
        this.pending.delete(seq);
        const code = errorCode(datagram.subarray(payloadAt, end));
        dump.reject(new Error(`kernel: route dump refused: errno ${-code}`));
      } else if (type === NlMsgType.done) {
        this.pending.delete(seq);
        dump.resolve(!dump.interrupted);
      }
    }
  }
}

// Programming: drains the dirty prefixes of the desired state (desired.ts),
// asks programStep (reconcile.ts) what each needs, and encodes the route
// messages straight into one buffer: RTM_NEWROUTE with NLM_F_REPLACE (never
// delete-then-add, so no forwarding gap) or RTM_DELROUTE, 1024 to a
// datagram for the command channel, with no per-route acknowledgement. The
// sequence number of each message is its prefix id, so an error reply says
// which route failed. An acknowledged NOOP after each run is the marker
// flush() waits for.

import { TimeSlice } from '../util/time-slice.js';
import type { DesiredState, FamilyState, HopSet } from './desired.js';
import { programStep, Step, stepCounts, writeFailed } from './reconcile.js';
import { errorCode, type KernelNextHop, NlMsgType, RouteMessageWriter, splitMessages } from './rtnetlink.js';
import type { CommandSink, KernelWriterMetrics, WriterLog } from './types.js';

export interface ProgrammerConfig {
  readonly table: number;
  readonly protocol: number;
  readonly metric: number;
}

const ROUTES_PER_DATAGRAM = 1024;
/**
 * Time per turn of the event loop for encoding routes: BGP and the RIB get
 * the loop between turns. (A count of 16k routes was 20-30 ms here with the
 * netlink worker and the peers busy on the other core.)
 */
const SLICE_MS = 6;
/** Sequence numbers: a write's is its prefix id, with this bit for IPv6. */
const SEQ_V6 = 0x40000000;
const SEQ_MARKER = 0x80000000;
const FLUSH_POLL_MS = 5;
/** Failed routes logged one by one; after that only counted (a million failing routes is one metric). */
const FAILURES_LOGGED = 100;

const NO_HOPS: readonly KernelNextHop[] = [];

export class Programmer {
  private readonly writer = new RouteMessageWriter();
  private sink: CommandSink | null = null;
  private scheduled = false;
  private markerSeq = 0;
  /** Sequence number of the last NOOP marker sent, and of the last one acknowledged. */
  private lastMarker = 0;
  private acknowledged = 0;
  private reportedFailures = 0;
  private readonly startedAt = Date.now();
  /**
   * Whether the kernel drops the echoes of our own writes before they reach
   * the monitor (monitor.ts). Then write times are not needed to tell an
   * echo from an outside change, and are not recorded: a full table's
   * column of them (4 MB) is never touched.
   */
  echoesFiltered: () => boolean = () => false;

  constructor(
    private readonly state: DesiredState,
    private readonly config: ProgrammerConfig,
    private readonly log: WriterLog,
    private readonly metrics: KernelWriterMetrics,
  ) {}

  attach(sink: CommandSink | null): void {
    this.sink = sink;
  }

  /** Seconds since the writer started: when each prefix was last written. */
  nowSeconds(): number {
    return Math.floor((Date.now() - this.startedAt) / 1000);
  }

  /** Programs the dirty prefixes at the next turn of the event loop. */
  schedule(): void {
    if (this.scheduled || this.sink === null) return;
    this.scheduled = true;
    setImmediate(() => this.program());
  }

  private program(): void {
    this.scheduled = false;
    const sink = this.sink;
    if (sink === null) return;
    const started = performance.now();
    let written = 0;
    // Asked once a turn, not per route: null when write times are not recorded.
    const writtenAt = this.echoesFiltered() ? null : this.nowSeconds();
    const slice = new TimeSlice(started + SLICE_MS);
    let timeLeft = true;
    for (const family of this.state.families) {
      // The worker holds a bounded number of datagrams: when they are all
      // in flight, stop and go on at `writable`.
      while (timeLeft && sink.canSend) {
        const p = family.queue.take();
        if (p < 0) break;
        if (this.programOne(family, p, writtenAt)) written++;
        if (this.writer.count >= ROUTES_PER_DATAGRAM) sink.send(this.writer.take());
        if (slice.spent()) timeLeft = false;
      }
    }
    if (this.writer.count > 0) sink.send(this.writer.take());
    if (written > 0) {
      this.metrics.batch(written, performance.now() - started);
      this.reportCounts();
    }
    if (this.state.pending > 0) {
      if (sink.canSend) this.schedule();
    } else this.marker(sink);
  }

  /** Writes one prefix if the kernel needs it; true when it counts as written. */
  private programOne(family: FamilyState, p: number, writtenAt: number | null): boolean {
    const step = programStep(this.state, family, p);
    switch (step) {
      case Step.none:
        return false;
      case Step.install: {
        const set = this.state.hopSets[family.desiredOf(p)] as HopSet;
        this.write(family, p, false, set.blackhole, set.resolved, writtenAt);
        return true;
      }
      case Step.remove:
        this.write(family, p, true, false, NO_HOPS, writtenAt);
        return true;
      case Step.unresolvedRemove:
        this.write(family, p, true, false, NO_HOPS, writtenAt);
        break;
      case Step.unresolvedForget:
      case Step.unresolved:
        break;
    }
    this.log.debug({ prefix: family.table.toString(p) }, 'kernel: next hop unresolved, route not installed');
    return stepCounts(step);
  }

  private write(
    family: FamilyState,
    p: number,
    remove: boolean,
    blackhole: boolean,
    hops: readonly KernelNextHop[],
    writtenAt: number | null,
  ): void {
    if (writtenAt !== null) family.writtenSeconds[p] = writtenAt;
    const table = family.table;
    this.writer.route(
      remove,
      family.af,
      table.keyWords(),
      table.keyOffset(p),
      table.length(p),
      this.config.table,
      this.config.protocol,
      this.config.metric,
      blackhole,
      hops,
      (family.version === 6 ? SEQ_V6 : 0) | p,
      false,
    );
  }

  /** An acknowledged no-op after the batch: when its ACK comes, everything before it was processed. */
  private marker(sink: CommandSink): void {
    this.markerSeq = (this.markerSeq + 1) & 0x0fffffff;
    this.lastMarker = (SEQ_MARKER | this.markerSeq) >>> 0;
    this.writer.marker(this.lastMarker);
    sink.send(this.writer.take());
  }

  /** Resolves once everything set so far reached the kernel. */
  flush(): Promise<void> {
    if (this.sink === null) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.scheduled && this.state.pending === 0 && this.acknowledged === this.lastMarker) {
          resolve();
          return;
        }
        setTimeout(check, FLUSH_POLL_MS);
      };
      check();
    });
  }

  /** Replies to our writes: marker ACKs, and errors keyed by prefix id. */
  receive(datagram: Buffer): void {
    let failed = 0;
    for (const message of splitMessages(datagram)) {
      if ((message.seq & SEQ_MARKER) !== 0) {
        this.acknowledged = message.seq >>> 0;
        continue;
      }
      if (message.type !== NlMsgType.error) continue;
      const family = (message.seq & SEQ_V6) !== 0 ? this.state.v6 : this.state.v4;
      const p = message.seq & (SEQ_V6 - 1);
      const code = errorCode(message.payload);
      if (!writeFailed(family, p, code)) continue;
      failed++;
      if (this.reportedFailures < FAILURES_LOGGED) {
        this.reportedFailures++;
        this.log.warn({ prefix: family.table.toString(p), errno: -code }, 'kernel: route not installed');
      }
    }
    if (failed > 0) this.metrics.failed(failed);
  }

  private reportCounts(): void {
    for (const family of this.state.families) this.metrics.routes(family.version, family.installed);
  }
}
